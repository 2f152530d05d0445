"""The `[calendar]` section: the office's own calendar file, holding the State Council's
holiday arrangement (放假安排) for a year the `holidays` package does not have yet (it is
published each autumn) and any regional days, merged over the package."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from settings.base import Section


class Calendar(Section):
    file: Path | None = Field(
        None,
        description='A TOML file: holidays = ["YYYY-MM-DD", …] and workdays = [...] (调休 make-up '
        "working days); relative to the settings file.",
    )

    @field_validator("file")
    @classmethod
    def _no_nul(cls, value: Path | None) -> Path | None:
        if value is not None and "\x00" in str(value):
            raise ValueError("a path may not contain a NUL character")
        return value
