"""What building and sending a report needs from the runtime, as plain values: the labels
(grades from the policy, units and people from the organisation, the office's time zone and
public address), the S0-14 form's header, the policy's report and resolution deadlines, each
kind's schedule, recipients and file format, and the signer of download links."""

from __future__ import annotations

from datetime import time, timedelta

from models.policy import Policy
from models.policy.stages import StageEvent
from models.repo.cases import CaseError
from models.reports.build import Office
from models.reports.labels import Labels
from models.reports.periods import PERIODIC, ReportKind
from models.reports.risks import RiskPoint
from models.reports.schedule import Timing
from settings import Settings
from tasks.reports.links import DownloadSigner
from tasks.runtime import Runtime

DIGEST_AT = time(17, 0)  # S1-5, when the policy names no time


def labels_for(runtime: Runtime) -> Labels:
    settings, scheme = runtime.settings, runtime.policy.scheme
    return Labels(
        tz=settings.tz,
        grades={level.id: level.label for level in scheme.by_rank()},
        ranks={level.id: level.rank for level in scheme.by_rank()},
        units={unit.id: unit.name for unit in settings.units},
        people={person.id: person.name for person in settings.people},
        topics={topic.id: topic.name for topic in settings.topics},
        base_url=settings.web.base_url,
    )


def risk_points(settings: Settings) -> tuple[RiskPoint, ...]:
    """The plan's risk points (`[[risk_points]]`), as the ledger's rows."""
    return tuple(
        RiskPoint(
            id=r.id,
            title=r.title,
            measures=r.measures.strip(),
            next_steps=r.next_steps.strip(),
            lead_units=tuple(r.lead_units),
            units=tuple(r.units),
            deadline=r.deadline,
            topics=frozenset(r.topics),
            categories=frozenset(r.categories),
        )
        for r in settings.risk_points
    )


def filler_for(settings: Settings, by: str | None, *, strict: bool = False) -> str:
    """Who fills in (填表人) or sends (报送人) a report, as a person of the directory (their
    id): `by` (an id or a name; unknown: refused when `strict`, else as if not given), else
    `[reports] filled_by`; "" when nobody is named (the form's line is then left to be filled
    in by hand). Never an OS account, never a guess."""
    people = settings.people
    found = next((p for p in people if by in (p.id, p.name)), None) if by else None
    if found is not None:
        return found.id
    if by and strict:
        raise CaseError(f"未知人员 {by!r}：填表人/报送人须是人员名录中的人（编号或姓名）")
    return settings.reports.filled_by or ""


def office_for(settings: Settings, *, filler: str = "") -> Office:
    """The form's header: the office (configured, else the first unit), its head (the holders
    of office_head), who filled it in (a person of the directory: `filler_for`), the phone."""
    name = settings.reports.office_name or (settings.units[0].name if settings.units else "")
    heads = [p.name for p in settings.people if "office_head" in p.roles]
    names = {p.id: p.name for p in settings.people}
    person = filler_for(settings, None) if filler in ("", "schedule", "system") else filler
    return Office(
        name=name,
        head="、".join(heads),
        # 填表人 is a person of the directory, never an OS user or a guess: whoever asked for it,
        # else `[reports] filled_by`; else a report the schedule built says so, and one asked
        # for without a person leaves the line to be filled in by hand.
        filler=names.get(person) or ("系统自动生成" if filler == "schedule" else ""),
        phone=settings.reports.phone,
    )


def closing_keys(policy: Policy, event: StageEvent) -> frozenset[str]:
    """The obligations the stage event completes: `report` gives the quick report (快报, when
    a case was first reported), `close` the handling deadline (化解时限)."""
    return frozenset(
        rule.key
        for grade in policy.scheme.ids
        for rule in policy.obligations_for(grade)
        if rule.closed_by is event
    )


def timing(runtime: Runtime, kind: ReportKind) -> Timing:
    reports = runtime.settings.reports
    if kind is ReportKind.DAILY:
        return Timing(kind, reports.daily.at or runtime.policy.digest_at or DIGEST_AT)
    if kind is ReportKind.WEEKLY:
        return Timing(kind, reports.weekly.at, weekday=reports.weekly.weekday)
    if kind is ReportKind.MONTHLY:
        monthly = reports.monthly
        return Timing(kind, monthly.at, day=monthly.day, december_day=monthly.december_day)
    if kind is ReportKind.QUARTERLY:
        return Timing(kind, reports.quarterly.at)
    if kind is ReportKind.HALFYEAR:
        return Timing(kind, reports.halfyear.at)
    return Timing(kind, reports.annual.at, day=reports.annual.day, month=reports.annual.month)


def enabled_kinds(settings: Settings) -> list[ReportKind]:
    return [kind for kind in PERIODIC if getattr(settings.reports, kind.value).enabled]


def roles_for(runtime: Runtime, kind: ReportKind, *, grade: str | None = None) -> list[str]:
    """Who receives a report of `kind`; the quick report goes to the report targets the policy
    names for the case's grade (快报)."""
    if kind is ReportKind.QUICK:
        policy = runtime.policy
        return list(policy.notify_roles(StageEvent.report, grade or policy.scheme.ids[-1]))
    return list(getattr(runtime.settings.reports, kind.value).roles)


def format_for(settings: Settings, kind: ReportKind) -> str:
    return "docx" if kind is ReportKind.QUICK else str(getattr(settings.reports, kind.value).format)


def download_signer(settings: Settings) -> DownloadSigner | None:
    """Signed download links need the link key (a secret) and the public address."""
    key, base = settings.secrets.link_key, settings.web.base_url
    if key is None or base is None:
        return None
    ttl = timedelta(hours=settings.reports.link_ttl_hours)
    return DownloadSigner.from_secret(key.get_secret_value(), base_url=base, ttl=ttl)
