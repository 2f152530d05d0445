"""Signed one-click action links (DESIGN §6), signing and use in one place: a link names one
action on one subject (an obligation, or a request `reqN`) of one case for one recipient,
carries its expiry and a random nonce, and is signed with HMAC-SHA256 under a key derived from
the `link_key` secret. `read_link` checks the form, the signature (constant time) and the expiry,
and names the reason of a refusal. A link works once: `spend_link` writes its nonce (a primary
key) in the transaction of the action it performs (`tasks.act.record`), so of two racing clicks
one commits; `audit` records every attempt, allowed or refused (never the token or the key).

A token reads `ack~12~quick_report~wangfang~1764000000~<nonce>~<signature>`: `~` appears in no id
(person ids, policy keys, nonces and base64url never contain it), so the fields stay readable in
a chat message and a changed field is caught by the signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from models.policy.catalogue import ALERT_LINKS, DECISION_LINKS, LINK_ACTIONS
from models.policy.forms import MAX_ID
from models.store.db import session_scope
from models.store.tables import LinkAttempt, LinkUse

ALERT_ACTIONS = ALERT_LINKS  # what an alert about an obligation offers (the catalogue's)
DECISION_ACTIONS = DECISION_LINKS  # what a request for a decision offers (subject: reqN)
SEPARATOR = "~"
SIGNATURE_BYTES = 16  # a 128-bit HMAC tag: short enough for a chat message, far from guessable
_NUMBER = re.compile(r"[0-9]{1,12}")  # ASCII digits: str.isdigit() also accepts "²"
_LAST_EXPIRY = 253_402_214_400  # 9999-12-31 UTC: what a datetime can hold


@dataclass(frozen=True)
class LinkClaim:
    """What a validly signed link says: who may do which action on what, until when."""

    action: str
    case_id: int
    obligation_key: str
    recipient: str
    expires_at: datetime
    nonce: str


class LinkRefused(Exception):
    """A link that may not act. `reason` is the audit code (bad_form, bad_signature, expired,
    used, unknown_recipient, mismatch, refused, ...); the message is for the person, in Chinese."""

    def __init__(self, reason: str, message: str, claim: LinkClaim | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.claim = claim


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose ("link", "session", "csrf"), so one secret never signs two kinds of
    thing and a token of one kind is never valid as another."""
    return hmac.new(secret.encode(), f"yuqing/{purpose}".encode(), hashlib.sha256).digest()


def new_nonce() -> str:
    return secrets.token_urlsafe(9)


def _tag(key: bytes, body: str) -> str:
    digest = hmac.new(key, f"v1{SEPARATOR}{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode()


def sign_link(
    key: bytes,
    *,
    action: str,
    case_id: int,
    obligation_key: str,
    recipient: str,
    expires_at: datetime,
    nonce: str,
) -> str:
    """The token for one link (the part of the URL after `/l/`)."""
    if action not in LINK_ACTIONS:
        raise ValueError(f"unknown link action {action!r}")
    parts = [action, str(case_id), obligation_key, recipient, str(int(expires_at.timestamp()))]
    parts.append(nonce)
    if any(SEPARATOR in part or not part for part in parts):
        raise ValueError(f"link fields may not be empty or contain {SEPARATOR!r}: {parts}")
    body = SEPARATOR.join(parts)
    return f"{body}{SEPARATOR}{_tag(key, body)}"


def read_link(key: bytes, token: str, *, now: datetime) -> LinkClaim:
    """The claim of a genuine, unexpired link; LinkRefused naming the reason otherwise."""
    parts = token.split(SEPARATOR)
    if len(parts) != 7:
        raise LinkRefused("bad_form", "链接不完整或格式不对，请从原通知中完整复制链接")
    body, tag = SEPARATOR.join(parts[:6]), parts[6]
    if not hmac.compare_digest(tag.encode(), _tag(key, body).encode()):
        raise LinkRefused("bad_signature", "链接签名不符：链接是伪造的，或其中内容被改动过")
    action, case_text, obligation_key, recipient, expires_text, nonce = parts[:6]
    if (
        action not in LINK_ACTIONS
        or not _NUMBER.fullmatch(case_text)
        or not _NUMBER.fullmatch(expires_text)
        or int(expires_text) > _LAST_EXPIRY
    ):
        raise LinkRefused("bad_form", "链接内容无法识别")
    claim = LinkClaim(
        action=action,
        case_id=int(case_text),
        obligation_key=obligation_key,
        recipient=recipient,
        expires_at=datetime.fromtimestamp(int(expires_text), UTC),
        nonce=nonce,
    )
    if now >= claim.expires_at:
        raise LinkRefused("expired", "链接已过期，请在系统控制台中办理，或联系办公室", claim)
    return claim


@dataclass(frozen=True)
class LinkSigner:
    """Makes the links of one alert: the key, the public base URL and how long a link lives."""

    key: bytes
    base_url: str
    ttl: timedelta

    def url(
        self,
        *,
        action: str,
        case_id: int,
        obligation_key: str,
        recipient: str,
        now: datetime,
        nonce: str | None = None,
    ) -> str:
        token = sign_link(
            self.key,
            action=action,
            case_id=case_id,
            obligation_key=obligation_key,
            recipient=recipient,
            expires_at=now + self.ttl,
            nonce=nonce or new_nonce(),
        )
        return f"{self.base_url.rstrip('/')}/l/{token}"

    def alert_links(
        self,
        *,
        case_id: int,
        obligation_key: str,
        recipient: str,
        now: datetime,
        actions: tuple[str, ...] = ALERT_ACTIONS,
    ) -> tuple[tuple[str, str], ...]:
        """(action, url) for each of `actions`, each with its own nonce (each works once)."""
        return tuple(
            (
                action,
                self.url(
                    action=action,
                    case_id=case_id,
                    obligation_key=obligation_key,
                    recipient=recipient,
                    now=now,
                ),
            )
            for action in actions
        )


# --- use: the database's part -----------------------------------------------------------------


def attempt_row(*, at: datetime, outcome: str, reason: str, claim: LinkClaim | None) -> LinkAttempt:
    """The audit row. A claim's fields are signed, but are kept storable all the same (within
    the columns, no NUL): the record of an attempt must never be what fails."""
    return LinkAttempt(
        at=at,
        outcome=outcome,
        reason=_storable(reason, 2000),
        action=None if claim is None else _storable(claim.action, 20),
        recipient=None if claim is None else _storable(claim.recipient, 64),
        case_id=None if claim is None or claim.case_id > MAX_ID else claim.case_id,
        obligation_key=None if claim is None else _storable(claim.obligation_key, 64),
    )


def _storable(text: str, limit: int) -> str:
    return text.replace("\x00", "\ufffd")[:limit]


def spend_link(session: Session, claim: LinkClaim, *, at: datetime) -> None:
    """Mark the link used (its nonce is unique: a second spend fails the whole transaction)."""
    session.add(
        LinkUse(
            nonce=claim.nonce,
            at=at,
            action=claim.action,
            recipient=claim.recipient,
            case_id=claim.case_id,
            obligation_key=claim.obligation_key,
        )
    )
    session.add(attempt_row(at=at, outcome="acted", reason="", claim=claim))


def link_used(engine: Engine, claim: LinkClaim) -> bool:
    with session_scope(engine) as session:
        return session.get(LinkUse, claim.nonce) is not None


def audit(
    engine: Engine, *, at: datetime, outcome: str, reason: str, claim: LinkClaim | None
) -> None:
    """Record one attempt (viewed or refused) in a transaction of its own."""
    with session_scope(engine) as session:
        session.add(attempt_row(at=at, outcome=outcome, reason=reason, claim=claim))
