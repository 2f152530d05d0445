"""What must be told, as a value: the repository's answer to "who must hear of this change".

A ``Notice`` names what happened (its kind and one headline line, with further lines of fact),
whom to tell (roles, resolved at delivery within the case's units and with the duty roster
overlaid, and named people), what the recipients can do about it (the signed links to offer and
what they are bound to), and its ``occasion``: the cause, unique per case, which keys the outbox
so that telling twice is impossible. Repository functions return notices; tasks hand them to the
outbox (a lapse's in the same transaction) or to the `case` flow (a person's action's, as steps).
Nothing here touches a database or a channel. Standard library only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from models.policy.states import Chain

__all__ = ["Notice", "NoticeKind"]


class NoticeKind(StrEnum):
    """What a notice is about; each kind has its own message form."""

    STAGE = "stage"  # a stage change, to the watchers the policy names
    QUICK_REPORT = "quick_report"  # 快报, to the grade's report targets
    CONTACT_SHEET = "contact_sheet"  # 联系单, to each unit's responsible person and liaison
    APPROVAL = "approval"  # a request for an approver's decision
    DECISION = "decision"  # the decision, to the requester
    REFERRAL = "referral"  # 移送, recorded as an outcome
    ACTION = "action"  # a person's action on an obligation (转办, upgrade…), to those concerned
    INSTRUCTION = "instruction"  # 批示, relayed to the responsible units and the office
    REMINDER = "reminder"  # before the due time, to the owner
    LAPSE = "lapse"  # a chain level fired (催办 / 通报)
    NO_ACK = "no_ack"  # an alert not acknowledged in time, followed up
    MONITORING = "monitoring"  # 监测盲区: a source dark or back
    UNREACHABLE = "unreachable"  # a person none of whose channels delivers, or reached again


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    occasion: str  # unique per case and cause: the outbox key's middle part
    headline: str  # one line, for office staff
    case_id: int | None = None
    roles: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    obligation_id: int | None = None
    chain: Chain = Chain.NO_COMPLETION
    level: int = 0
    lines: tuple[str, ...] = ()
    late_by: timedelta | None = None  # negative: time left before the due time
    ack_window: timedelta | None = None  # None: no no-acknowledgement follow-up
    links: tuple[str, ...] = ()  # link actions offered to each recipient
    link_subject: str | None = None  # what the links are bound to: an obligation key, "req12"
    channel: str | None = None  # a particular channel (the no-ack chain's next channel)
    sort_at: str | None = None  # ISO due time the recipient's alerts are ordered by
    attachment: str | None = None  # a stored document sent with it ("report:<id>")
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("late_by", "ack_window"):
            value = getattr(self, key)
            data[key] = None if value is None else value.total_seconds()
        data["kind"], data["chain"] = self.kind.value, self.chain.value
        data["roles"], data["people"] = list(self.roles), list(self.people)
        data["lines"], data["links"] = list(self.lines), list(self.links)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        seconds = {k: data.get(k) for k in ("late_by", "ack_window")}
        return cls(
            **{
                **data,
                "kind": NoticeKind(data["kind"]),
                "chain": Chain(data["chain"]),
                "roles": tuple(data.get("roles", ())),
                "people": tuple(data.get("people", ())),
                "lines": tuple(data.get("lines", ())),
                "links": tuple(data.get("links", ())),
                **{k: None if v is None else timedelta(seconds=v) for k, v in seconds.items()},
            }
        )
