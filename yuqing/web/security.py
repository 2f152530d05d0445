"""The console's sign-in security, standard library only: password hashes (scrypt), the signed
session cookie that expires, and CSRF tokens (double submit: a random cookie, and in every form
an HMAC of it that only the server can make). Keys come from the secrets: `session_key`, else
derived from `link_key`; with neither, sign-in is off and a per-process key signs CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.links import derive_key
from settings import Settings, WebUser

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SEP = "~"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash`, the form `[[web.users]] password_hash` takes."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = _unb64(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * int(n) * int(r) * 2 + 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a console session, with what they may do."""

    username: str
    person: str
    name: str
    roles: tuple[str, ...]


def session_key(settings: Settings) -> bytes | None:
    secret = settings.secrets.session_key or settings.secrets.link_key
    return None if secret is None else derive_key(secret.get_secret_value(), "session")


def find_user(settings: Settings, username: str) -> WebUser | None:
    return next((u for u in settings.web.users if u.username == username), None)


def signed_in(settings: Settings, user: WebUser) -> SignedIn:
    person = next(p for p in settings.people if p.id == user.person)
    roles = tuple(user.roles or person.roles)
    return SignedIn(username=user.username, person=person.id, name=person.name, roles=roles)


def _tag(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def make_session(key: bytes, username: str, *, now: datetime, minutes: int) -> str:
    """The cookie value: who, until when, signed."""
    expires = int((now + timedelta(minutes=minutes)).timestamp())
    body = f"{username}{SEP}{expires}{SEP}{secrets.token_urlsafe(6)}"
    return f"{body}{SEP}{_tag(key, 'session' + SEP + body)}"


def read_session(key: bytes, cookie: str, *, now: datetime) -> str | None:
    """The username of a genuine, unexpired session cookie, else None."""
    parts = cookie.split(SEP)
    if len(parts) != 4:
        return None
    body = SEP.join(parts[:3])
    if not hmac.compare_digest(parts[3].encode(), _tag(key, "session" + SEP + body).encode()):
        return None
    if not parts[1].isdigit() or now.timestamp() >= int(parts[1]):
        return None
    return parts[0]


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(18)


def csrf_token(key: bytes, seed: str) -> str:
    return _tag(key, "csrf" + SEP + seed)


def csrf_ok(key: bytes, seed: str | None, token: str | None) -> bool:
    if not seed or not token:
        return False
    return hmac.compare_digest(token.encode(), csrf_token(key, seed).encode())
