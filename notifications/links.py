"""Signed one-click action links (DESIGN §6), as pure functions: a link names one action on one
obligation of one case for one recipient, carries its expiry and a random nonce, and is signed
with HMAC-SHA256 under a key derived from the `link_key` secret. `read_link` checks the form, the
signature (constant time) and the expiry, and names the reason of a refusal; whether the nonce
was already used is the database's business (`yuqing.links`). Standard library only.

A token reads `ack~12~quick_report~wangfang~1764000000~<nonce>~<signature>`: `~` appears in no id
(person ids, policy keys, nonces and base64url never contain it), so the fields stay readable in
a chat message and a changed field is caught by the signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LINK_ACTIONS = ("ack", "complete", "extend", "reassign", "escalate", "upgrade")
SEPARATOR = "~"
SIGNATURE_BYTES = 16  # a 128-bit HMAC tag: short enough for a chat message, far from guessable


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
    if action not in LINK_ACTIONS or not case_text.isdigit() or not expires_text.isdigit():
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
        self, *, case_id: int, obligation_key: str, recipient: str, now: datetime
    ) -> tuple[tuple[str, str], ...]:
        """(action, url) for every link action, each with its own nonce (each works once)."""
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
            for action in LINK_ACTIONS
        )
