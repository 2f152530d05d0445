"""The times an RSS feed spells, read as feedparser reads them: RFC 822 and W3C times, and
nothing else (any other spelling is `Unsupported`: the document goes to feedparser). Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from models.parse.unsupported import Unsupported

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun),\s+)?(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+"
    r"(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+(gmt|ut|utc|z|[+-]\d{4})",
    re.IGNORECASE,
)
_W3DTF = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s?(z|[+-]\d{2}:\d{2})?)?",
    re.IGNORECASE,
)


def rss_date(text: str) -> datetime | None:
    """An RFC 822 (`Wed, 02 Oct 2002 13:00:00 +0800`) or W3C (`2002-10-02T13:00:00+08:00`)
    time; empty text is no time; any other spelling is `Unsupported`."""
    if not text:
        return None
    try:
        if match := _RFC822.fullmatch(text):
            day, month, year, hour, minute, second, zone = match.groups()
            return datetime(
                int(year),
                _MONTHS.index(month.lower()) + 1,
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                tzinfo=_zone(zone),
            )
        if match := _W3DTF.fullmatch(text):
            year, month, day, hour, minute, second, zone = match.groups()
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                tzinfo=_zone(zone),
            )
    except ValueError:  # a day or an hour out of range: feedparser's call
        pass
    raise Unsupported(f"a date spelt {text[:40]!r}")


@lru_cache(maxsize=256)
def _zone(spelt: str | None) -> timezone:
    if spelt is None or spelt.lower() in ("gmt", "ut", "utc", "z"):
        return UTC
    digits = spelt[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-offset if spelt[0] == "-" else offset)
