"""The console's sign-in security, standard library only: password hashes (scrypt); the session
cookie's random id (the server keeps the session, under the id's SHA-256) and the fingerprint of
the password hash a session was opened under; and CSRF tokens. A signed-in form's token is an
HMAC keyed by the session's own id, so it is good for that session only. Before sign-in (the
sign-in form) and on a link's page the token is a double submit: a random cookie, and in the form
an HMAC of it, and of the link's nonce on a link page, under a key from the secrets
(`session_key`, else derived from `link_key`; with neither, a key for this process)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from models.policy.permissions import Standing
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
        password.encode(errors="surrogatepass"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=32,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = _unb64(digest)
        got = hashlib.scrypt(
            password.encode(errors="surrogatepass"),
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
    """The person behind a console session and where they stand now: the roles the directory
    gives them, bounded by the account's own `roles` when it lists some."""

    username: str
    standing: Standing
    bound: tuple[str, ...] | None = None  # the account's roles, when it lists some

    @property
    def person(self) -> str:
        return self.standing.person

    @property
    def name(self) -> str:
        return self.standing.name

    @property
    def roles(self) -> frozenset[str]:
        return self.standing.roles


def find_user(settings: Settings, username: str) -> WebUser | None:
    return next((u for u in settings.web.users if u.username == username), None)


# --- sessions ---------------------------------------------------------------------------------


def new_session_id() -> str:
    """The cookie's value: 256 random bits, nothing else."""
    return secrets.token_urlsafe(32)


def session_digest(session_id: str) -> str:
    """What the server stores and looks up (hex SHA-256, 64 characters)."""
    return hashlib.sha256(session_id.encode(errors="replace")).hexdigest()


def password_tag(password_hash: str) -> str:
    """A fingerprint of an account's password hash: a session opened under another one (the
    password has changed since) is over."""
    return hashlib.sha256(f"yuqing/password{SEP}{password_hash}".encode()).hexdigest()


# --- CSRF -------------------------------------------------------------------------------------


def forms_key(settings: Settings) -> bytes | None:
    """The key of the double-submit tokens; None: the caller uses a key of its process."""
    secret = settings.secrets.session_key or settings.secrets.link_key
    return None if secret is None else derive_key(secret.get_secret_value(), "session")


def _tag(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(errors="replace"), hashlib.sha256).digest())


def session_csrf(session_id: str) -> str:
    """The token of every form of one signed-in session."""
    return _tag(session_id.encode(errors="replace"), "yuqing/csrf")


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(18)


def csrf_token(key: bytes, seed: str, *, bound: str = "") -> str:
    """The double-submit token for the cookie `seed` (and, on a link's page, its nonce)."""
    return _tag(key, f"csrf{SEP}{seed}{SEP}{bound}")


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(
        (given or "").encode(errors="replace"), expected.encode()
    )


def csrf_ok(key: bytes, seed: str | None, token: str | None, *, bound: str = "") -> bool:
    return bool(seed) and same_token(token, csrf_token(key, seed or "", bound=bound))
