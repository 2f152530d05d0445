"""The settings sections of the processes people reach: the console (accounts, sign-in, links,
intake), the command line's operator and `yuqing serve` (its Prefect server, the work pool)."""

from __future__ import annotations

from pydantic import Field, field_validator

from settings.base import Role, Section


class WebUser(Section):
    """One console account. The password is stored only as a hash: make one with
    `yuqing web hash-password`."""

    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Sign-in name.")
    person: str = Field(description="The person id this account acts as (on the record).")
    roles: list[Role] = Field(
        default_factory=list, description="What the account may do; empty: the person's roles."
    )
    password_hash: str = Field(description="scrypt$n$r$p$salt$hash from hash-password.")

    @field_validator("password_hash")
    @classmethod
    def _known_hash(cls, value: str) -> str:
        parts = value.split("$")
        if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
            raise ValueError("not a password hash; make one with `yuqing web hash-password`")
        return value


class Cli(Section):
    """Who the command line acts as when a command names nobody with `--by`."""

    operator: str | None = Field(
        None,
        description="Person id the CLI's actions are recorded as without --by; unset: actions "
        "that need an identified person (requests, decisions) are refused without --by, the "
        "others are recorded as the command line with the OS user running it.",
    )


class Serve(Section):
    prefect_host: str = Field(
        "127.0.0.1", description="Address of the Prefect server `yuqing serve` starts (local only)."
    )
    prefect_port: int = Field(
        4200, ge=1, le=65535, description="Its port, fixed: a saved PREFECT_API_URL keeps working."
    )
    work_pool: str | None = Field(
        None,
        description="The distributed setup: a Prefect process work pool whose workers "
        "(`yuqing worker`) run collection, sweeps, escalations and re-runs; serve keeps the "
        "console and the wake-ups. Needs PREFECT_API_URL. Unset: everything runs inside serve.",
    )
    escalation_runs: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Escalation runs on the pool at once; unset: one per online worker.",
    )
    escalation_linger_seconds: float = Field(
        60, ge=0, le=3600, description="An escalation run waits this long for the next due time."
    )
    escalation_max_seconds: float = Field(
        600, ge=10, le=86400, description="An escalation run ends after this long at most."
    )


class Web(Section):
    host: str = Field("127.0.0.1", description="Address the console binds to (local only).")
    port: int = Field(8000, ge=1, le=65535, description="Port of the console and action links.")
    base_url: str | None = Field(
        None,
        description="Public address links point at (e.g. https://yq.example.gov.cn); "
        "unset: alerts carry CLI commands instead of links.",
    )
    link_ttl_hours: float = Field(72, gt=0, le=24 * 30, description="How long a link works.")
    session_minutes: int = Field(480, ge=5, le=7 * 24 * 60, description="Sign-in lifetime.")
    signin_free_failures: int = Field(
        3, ge=1, le=100, description="Failed sign-ins of one account before it must wait."
    )
    signin_free_failures_per_address: int = Field(
        20, ge=1, le=10_000, description="Failed sign-ins from one address before it must wait."
    )
    signin_backoff_seconds: float = Field(
        2.0, gt=0, le=3600, description="The first wait; it doubles with each further failure."
    )
    signin_backoff_max_seconds: float = Field(
        900.0, gt=0, le=86_400, description="The longest wait between two sign-in attempts."
    )
    users: list[WebUser] = Field(default_factory=list, description="Console accounts.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or networks, e.g. 10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For / X-Forwarded-Proto are believed; from any other peer they are ignored.",
    )
    intake_max_bytes: int = Field(
        1_000_000, ge=1_000, le=50_000_000, description="Largest body the intake endpoint reads."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return None if value is None else value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        import ipaddress

        for n, text in enumerate(value):
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"{n}: not an IP address or network: {text[:64]!r}") from None
        return value

    @field_validator("users")
    @classmethod
    def _unique_users(cls, value: list[WebUser]) -> list[WebUser]:
        names = [u.username for u in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"duplicate username {', '.join(twice)}")
        return value
