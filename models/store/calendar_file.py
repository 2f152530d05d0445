"""Reading the office's calendar file (``[calendar] file``) from disk into the working-day
calendar: the I/O beside the pure ``models.policy.calendar_file``. An unreadable file or bad
TOML is a ``CalendarInvalid`` naming the file (and the line)."""

from __future__ import annotations

from pathlib import Path

from models.policy.calendar import WorkCalendar
from models.policy.calendar_file import CalendarInvalid, parse_calendar
from models.policy.errors import PolicyInvalid
from models.store.presets import read_toml

__all__ = ["load_calendar"]


def load_calendar(path: Path | None) -> WorkCalendar:
    """The State Council calendar of the ``holidays`` package, with the file's days over it."""
    if path is None:
        return WorkCalendar.default()
    try:
        data = read_toml(path)
    except PolicyInvalid as exc:
        raise CalendarInvalid(exc.problems, origin=str(path)) from None
    return WorkCalendar(parse_calendar(data, origin=str(path)))
