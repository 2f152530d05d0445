"""The one settings object. Where values come from, lowest to highest precedence:

1. the defaults written here;
2. the TOML file: `yuqing.toml` in the working directory, or the path in `YUQING_CONFIG`;
3. environment variables `YUQING_<SECTION>__<FIELD>` (e.g. `YUQING_GENERAL__TIMEZONE`).

Secrets (database password, channel URLs with tokens, signing keys) never come from the TOML
file: they come from a secrets file (the path in `YUQING_SECRETS_FILE`, else `secrets.toml`
beside the settings file; keep it out of version control) and, above it, from
`YUQING_SECRETS__<FIELD>` environment variables, e.g.
`YUQING_SECRETS__CHANNELS__ZHANG_WECOM=wecombot://KEY`.
"""

from settings.base import CHANNEL_ID_PATTERN, ID_PATTERN, Role, Section, SettingsError
from settings.calendar import Calendar
from settings.loading import Settings, config_path, load_settings
from settings.organisation import (
    JsonMapping,
    MediaLevelName,
    PersonConfig,
    Secrets,
    SourceConfig,
    TopicConfig,
    UnitConfig,
)
from settings.reports import (
    AnnualReport,
    DailyReport,
    HalfYearReport,
    MonthlyReport,
    QuarterlyReport,
    Reports,
    WeeklyReport,
)
from settings.risks import RiskPointConfig
from settings.sections import (
    Collect,
    Database,
    Dispatch,
    EndpointLimit,
    Escalation,
    General,
    Policy,
    QuietHoursConfig,
    SensitivePeriod,
    ShiftConfig,
    Sweep,
)
from settings.serving import Cli, Serve, Web, WebUser

__all__ = [
    "CHANNEL_ID_PATTERN",
    "ID_PATTERN",
    "AnnualReport",
    "Calendar",
    "Cli",
    "Collect",
    "DailyReport",
    "Database",
    "Dispatch",
    "EndpointLimit",
    "Escalation",
    "General",
    "HalfYearReport",
    "JsonMapping",
    "MediaLevelName",
    "MonthlyReport",
    "PersonConfig",
    "Policy",
    "QuarterlyReport",
    "QuietHoursConfig",
    "Reports",
    "RiskPointConfig",
    "Role",
    "Secrets",
    "Section",
    "SensitivePeriod",
    "Serve",
    "Settings",
    "SettingsError",
    "ShiftConfig",
    "SourceConfig",
    "Sweep",
    "TopicConfig",
    "UnitConfig",
    "Web",
    "WebUser",
    "WeeklyReport",
    "config_path",
    "load_settings",
]
