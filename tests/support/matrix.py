"""The office the authorization matrix runs against, and what it expects, stated here on its own
(not read from the code under test) from the rules people were promised: one person per role
(two schools each with a responsible person and a liaison), two 一级 cases at the contact sheet
(one per school) each with an extension request waiting, and `expected`, which says whether a
person may take an action on a case, an obligation or a request:

- the catalogue's roles decide who may take an action at all (`CATALOGUE[a].roles`; a decision:
  the roles the policy names as approvers for the request's kind and grade);
- an office role reaches every case and obligation;
- a unit role reaches only the cases of its own unit, and there only the obligations a unit
  role owns;
- an outside contact or approver reaches only obligations its own role owns (none here).

Pages: the office's pages (统计, 卡住的案件, 报告下载, 通知渠道) to office roles only; a case page
to whoever reaches the case, or whose role a request on it awaits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from models.policy.catalogue import CATALOGUE
from models.store.presets import default_policy
from tasks.act import ActionRequest, record_action
from tasks.runtime import Runtime
from tests.support.escalation import T0, new_case
from tests.support.web import LINK_KEY, PASSWORD
from yuqing.localservers import WebhookReceiver
from yuqing.web.security import hash_password

OFFICE_ROLES = frozenset(
    {
        "monitor",
        "office_staff",
        "office_head",
        "leader_in_charge",
        "principal_leader",
        "group_head",
        "duty_officer",
        "operator",
    }
)
UNIT_ROLES = frozenset({"unit_responsible", "unit_liaison"})
PERSONAS = (  # id, name, unit, role: one role each
    ("monitor1", "监测员甲", "office", "monitor"),
    ("staff1", "王芳", "office", "office_staff"),
    ("head1", "陈军", "office", "office_head"),
    ("lead1", "李强", "office", "leader_in_charge"),
    ("prin1", "周明", "office", "principal_leader"),
    ("group1", "孙力", "office", "group_head"),
    ("duty1", "赵敏", "office", "duty_officer"),
    ("op1", "吴运维", "office", "operator"),
    ("resp1", "张伟", "school", "unit_responsible"),
    ("liai1", "刘洋", "school", "unit_liaison"),
    ("resp2", "孙丽", "school2", "unit_responsible"),
    ("liai2", "周洁", "school2", "unit_liaison"),
    ("appr1", "钱审", "office", "approver"),
    ("prop1", "宣传部联络人", "propaganda", "propaganda_dept"),
    ("cyber1", "网信办联络人", "cyber", "cyberspace_office"),
    ("party1", "党委联络人", "party", "party_committee"),
    ("super1", "上级联络人", "superior", "superior_group"),
)
UNITS = (
    ("office", "办公室", False),
    ("school", "市一中", False),
    ("school2", "市二中", False),
    ("propaganda", "宣传部", True),
    ("cyber", "网信办", True),
    ("party", "党委", True),
    ("superior", "上级领导小组", True),
)
OBLIGATIONS = ("first_response", "verification")  # office_staff's, unit_responsible's
POLICY = default_policy()
AT = T0 + timedelta(hours=1)


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    unit: str
    role: str


@dataclass(frozen=True)
class Target:
    """What an attempt acts on: a case of a unit, maybe one of its obligations or its request."""

    case_id: int
    unit: str
    obligation: str | None = None
    owner_role: str | None = None
    request: int | None = None


def personas() -> list[Persona]:
    return [Persona(*p) for p in PERSONAS]


def write_config(
    directory: Path, *, database_url: str, receiver: WebhookReceiver, port: int
) -> Path:
    units = "".join(
        f'[[units]]\nid = "{u}"\nname = "{n}"\nexternal = {"true" if x else "false"}\n\n'
        for u, n, x in UNITS
    )
    people = "".join(
        f'[[people]]\nid = "{p}"\nname = "{n}"\nunit = "{u}"\nroles = ["{r}"]\n'
        f'channels = ["{p}_hook"]\n\n'
        for p, n, u, r in PERSONAS
    )
    digest = hash_password(PASSWORD)
    users = "".join(
        f'[[web.users]]\nusername = "{p}"\nperson = "{p}"\npassword_hash = "{digest}"\n\n'
        for p, *_ in PERSONAS
    )
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[database]\nurl = "{database_url}"\n\n'
        f'[policy]\npreset = "default"\n\n{units}{people}'
        f'[web]\nport = {port}\nbase_url = "http://127.0.0.1:{port}"\n\n{users}',
        encoding="utf-8",
    )
    hooks = "".join(f'{p}_hook = "{receiver.apprise_url("/hook/" + p)}"\n' for p, *_ in PERSONAS)
    (directory / "secrets.toml").write_text(
        f'link_key = "{LINK_KEY}"\n\n[channels]\n{hooks}', encoding="utf-8"
    )
    return config


def _act(runtime: Runtime, action: str, case_id: int, person: str, **form: str) -> int | None:
    subject = form.pop("subject", None)
    request = ActionRequest(action, case_id, person, AT, "test", form, subject)
    acted = record_action(runtime, request)
    assert acted.change is not None, acted.refused
    return acted.change.data.get("request_id")


def seed(runtime: Runtime) -> list[Target]:
    """Two cases at the contact sheet, one per school, each with an extension request waiting;
    the targets of the matrix on each: the case, its office and unit obligations, its request."""
    targets = []
    for unit, title in (("school", "市一中食堂投诉"), ("school2", "市二中校门拥堵")):
        case_id = new_case(runtime.engine, title=title)
        _act(runtime, "report", case_id, "staff1")
        _act(runtime, "assess", case_id, "lead1", grade="一级", category="inquiry", units=unit)
        _act(runtime, "dispatch", case_id, "staff1")
        request = extension(runtime, case_id)
        targets.append(Target(case_id, unit))
        targets += [
            Target(case_id, unit, key, POLICY.rule_any_grade("g1", key).owner_role)
            for key in OBLIGATIONS
        ]
        targets.append(Target(case_id, unit, request=request))
    return targets


def extension(runtime: Runtime, case_id: int) -> int:
    """A fresh extension request on the case (the office's first response), waiting."""
    until = (AT + timedelta(days=1)).isoformat()
    form = {"until": until, "reason": "等待核实", "subject": "first_response"}
    request = _act(runtime, "extend", case_id, "staff1", **form)
    assert request is not None
    return int(request)


def expected(persona: Persona, action: str, target: Target) -> bool:
    """Whether the rules promised let `persona` take `action` on `target`."""
    spec = CATALOGUE[action]
    if spec.decision:
        return persona.role in POLICY.approver_roles("extension", "g1")
    if persona.role not in spec.roles:
        return False
    if persona.role in OFFICE_ROLES:
        return True
    if persona.role in UNIT_ROLES:
        own_case = persona.unit == target.unit
        return own_case and (target.owner_role is None or target.owner_role in UNIT_ROLES)
    return target.owner_role == persona.role


def sees(persona: Persona, target: Target) -> bool:
    """Whether the case page of the target's case opens for the persona."""
    if persona.role in OFFICE_ROLES:
        return True
    if persona.role in UNIT_ROLES:
        return persona.unit == target.unit
    return persona.role in POLICY.approver_roles("extension", "g1")  # a request awaits them


def attempts(targets: list[Target]) -> list[tuple[str, Target]]:
    """Every catalogue action (registration aside) on every target it fits."""
    found = []
    for name, spec in CATALOGUE.items():
        for target in targets:
            fits = {
                "obligation": target.obligation is not None,
                "request": target.request is not None,
                "case": target.obligation is None and target.request is None,
            }.get(spec.subject, False)
            if fits:
                found.append((name, target))
    return found
