"""What the sweep needs to know beyond the tables, built once from the settings and the policy:
the policy itself, the message language, quiet hours, the duty roster, the second reporting
line (双重报告) and the signer of the alerts' one-click action links. Plain values, so the
sweep functions stay easy to call from tests and benches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy import Policy
from models.policy.escalation import QuietHours
from models.policy.routing import Shift
from notifications.links import LinkSigner, derive_key
from settings import Settings


@dataclass(frozen=True)
class EscalationContext:
    policy: Policy
    language: str = "zh"
    quiet: QuietHours | None = None
    shifts: tuple[Shift, ...] = ()
    dual_grades: frozenset[str] = frozenset()  # grade ids that also use the second chain
    second_chain: tuple[tuple[str, ...], ...] = field(default=())  # roles per level
    links: LinkSigner | None = None  # None: alerts name the CLI command instead of links

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)

    def second_roles(self, grade: str, level: int) -> tuple[str, ...]:
        """The second chain's roles at `level` for a dual-reporting grade (else none)."""
        if grade not in self.dual_grades or not self.second_chain:
            return ()
        return self.second_chain[min(level, len(self.second_chain)) - 1]


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def build_context(settings: Settings, policy: Policy) -> EscalationContext:
    """The context for `settings`; grade labels (三级) are resolved to ids through the policy."""
    tz = settings.tz
    esc = settings.escalation
    quiet = None
    if esc.quiet_hours is not None:
        grades = frozenset(policy.scheme.level(g).id for g in esc.quiet_hours.grades)
        quiet = QuietHours(esc.quiet_hours.start, esc.quiet_hours.end, grades)
    shifts = tuple(
        Shift(s.person, s.role, _aware(s.start, tz), _aware(s.end, tz)) for s in esc.roster
    )
    return EscalationContext(
        policy=policy,
        language=settings.general.language,
        quiet=quiet,
        shifts=shifts,
        dual_grades=frozenset(policy.scheme.level(g).id for g in esc.dual_reporting_grades),
        second_chain=tuple(tuple(level) for level in esc.second_chain),
        links=link_signer(settings),
    )


def link_signer(settings: Settings) -> LinkSigner | None:
    """The signer of action links, when both the key (a secret) and the public address are set."""
    key, base = settings.secrets.link_key, settings.web.base_url
    if key is None or base is None:
        return None
    return LinkSigner(
        key=derive_key(key.get_secret_value(), "link"),
        base_url=base,
        ttl=timedelta(hours=settings.web.link_ttl_hours),
    )
