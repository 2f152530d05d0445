"""Who pressed a link that went to a group. A link sent to a group channel is bound to the group
(`@channel`), never to a person, so anyone in the chat can open it but nobody acts as someone
else: the presser is identified by their console sign-in (a person who is a member of that
group channel, i.e. lists it among their channels), and the action is recorded as theirs. Not
signed in: the page asks them to sign in and brings them back to the link. A link sent to a
person's own channel stays one-click (this module leaves it as it is)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from fastapi import Request

from models.store.db import session_scope
from models.store.tables import Person
from notifications.cards import GROUP_PREFIX
from notifications.links import LinkClaim, LinkRefused
from tasks.runtime import Runtime
from yuqing.web.signin import current_user

SIGN_IN = "sign_in"


def is_group_link(claim: LinkClaim) -> bool:
    return claim.recipient.startswith(GROUP_PREFIX)


def identify(request: Request, runtime: Runtime, claim: LinkClaim) -> LinkClaim:
    """The claim as the person pressing it: unchanged for a person's own link; for a group's,
    the signed-in member of that group (LinkRefused: not signed in, or not in the group)."""
    if not is_group_link(claim):
        return claim
    channel = claim.recipient[len(GROUP_PREFIX) :]
    user = current_user(request)
    if user is None:
        raise LinkRefused(
            SIGN_IN,
            "这是发到群里的链接：请先登录控制台确认办理人，登录后回到本链接继续办理",
            claim,
        )
    with session_scope(runtime.engine) as session:
        person = session.get(Person, user.person)
        member = person is not None and channel in (person.channels or [])
    if not member:
        raise LinkRefused(
            "not_member", f"{user.name} 不是该群渠道的成员，不能用此链接办理，请在控制台办理", claim
        )
    return replace(claim, recipient=user.person)


def sign_in_path(token: str) -> str:
    """Where the refusal page sends the presser: sign in, then back to the link."""
    return f"/login?next={quote('/l/' + token, safe='/~@')}"
