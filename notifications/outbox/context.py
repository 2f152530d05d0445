"""The delivery context: what turning notices into outbox rows needs beyond the tables, built
once from the settings and the policy: the policy itself, the message language, quiet hours,
routing (the duty roster and the second reporting line), the signer of the one-click action links
and the channels that post into a group. Plain values, so the sweep, the case steps and the
delivery stay easy to call from tests and benches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy import Policy
from models.policy.escalation import QuietHours
from models.policy.routing import Routing, Shift
from notifications.channels import is_group_url
from notifications.links import LinkSigner, derive_key
from settings import Settings


@dataclass(frozen=True)
class DeliveryContext:
    policy: Policy
    language: str = "zh"
    quiet: QuietHours | None = None
    routing: Routing = field(default_factory=Routing)
    links: LinkSigner | None = None  # None: messages name the CLI command instead of links
    # Who is told that a person cannot be reached, and how long their alerts are tried.
    unreachable_roles: tuple[str, ...] = ("office_staff", "office_head", "duty_officer")
    give_up_after: timedelta = timedelta(hours=24)
    groups: frozenset[str] = frozenset()  # channel ids that post into a group chat

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def build_context(settings: Settings, policy: Policy) -> DeliveryContext:
    """The context for `settings`; grade labels (三级) are resolved to ids through the policy."""
    tz = settings.tz
    esc = settings.escalation
    quiet = None
    if esc.quiet_hours is not None:
        grades = frozenset(policy.scheme.level(g).id for g in esc.quiet_hours.grades)
        quiet = QuietHours(esc.quiet_hours.start, esc.quiet_hours.end, grades)
    routing = Routing(
        shifts=tuple(
            Shift(s.person, s.role, _aware(s.start, tz), _aware(s.end, tz)) for s in esc.roster
        ),
        dual_grades=frozenset(policy.scheme.level(g).id for g in esc.dual_reporting_grades),
        second_chain=tuple(tuple(level) for level in esc.second_chain),
    )
    return DeliveryContext(
        policy=policy,
        language=settings.general.language,
        quiet=quiet,
        routing=routing,
        links=link_signer(settings),
        unreachable_roles=tuple(settings.dispatch.unreachable_roles),
        give_up_after=settings.dispatch.give_up_after,
        groups=group_channels(settings),
    )


def group_channels(settings: Settings) -> frozenset[str]:
    """The channels that post into a group chat (an IM bot, unless its URL says `group=no`)."""
    return frozenset(
        cid
        for cid, url in settings.secrets.channels.items()
        if is_group_url(url.get_secret_value())
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
