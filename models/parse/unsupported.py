"""What the fast feed path (`models.parse.rss`, `models.parse.rss_dates`) raises when it cannot
read a document exactly as feedparser does: the caller then hands it to feedparser. Pure."""

from __future__ import annotations


class Unsupported(Exception):
    """Something this path does not read exactly as feedparser does: use feedparser."""
