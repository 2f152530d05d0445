"""Exponential back-off for console sign-in, as pure functions: after `free` failed attempts an
account (or a client address) must wait before its next try, twice as long after each further
failure, up to a cap. The web front counts the failures (`models.repo.console.signins`) and
asks here when the next try is allowed; the answer needs no password check, so a throttled
attempt costs no scrypt. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Backoff", "next_try_at", "wait_after"]

_DOUBLINGS = 40  # 2**40 waits exceed any cap; stop multiplying before timedelta overflows


@dataclass(frozen=True)
class Backoff:
    """How many failures are free, the first wait after them, and the longest wait."""

    free: int
    first: timedelta
    cap: timedelta


def wait_after(failures: int, rule: Backoff) -> timedelta:
    """The wait before the next try after `failures` failures in a row: none while they are
    `free`, then `first`, doubling with each further failure, never more than `cap`."""
    over = failures - rule.free
    if over < 0:
        return timedelta(0)
    if over >= _DOUBLINGS:
        return rule.cap
    return min(rule.cap, rule.first * (1 << over))


def next_try_at(failures: int, last_failure: datetime | None, rule: Backoff) -> datetime | None:
    """When the next try is allowed, counted from the last failure; None: at once."""
    wait = wait_after(failures, rule)
    if last_failure is None or wait <= timedelta(0):
        return None
    return last_failure + wait
