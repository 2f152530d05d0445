"""Settings: every problem of a broken file is named by its field path; secrets stay out of the
settings file; the environment overrides the file."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from models.policy import ROLES
from settings import Role, SettingsError, load_settings

BROKEN = """
[general]
timezone = "Mars/Olympus"

[sweep]
interval_seconds = 0

[[people]]
id = "Zhang San"
name = "张三"
roles = ["office_staff", "emperor"]
"""


def write(tmp_path: Path, text: str, name: str = "yuqing.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return caught.value.problems


def test_broken_file_names_every_field_path(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, BROKEN))
    joined = "\n".join(problems)
    assert "general.timezone: unknown time zone 'Mars/Olympus'" in joined
    assert "sweep.interval_seconds:" in joined
    assert "people.0.id:" in joined
    assert "people.0.roles.1:" in joined
    assert len(problems) == 4


def test_unknown_field_is_reported_not_ignored(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "[general]\ntimezon = 'Asia/Shanghai'\n"))
    assert problems == [f"{tmp_path / 'yuqing.toml'}: general.timezon: unknown field"]


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, "[general]\ntimezone = \n"))
    assert "yuqing.toml: not valid TOML" in problem and "line 2" in problem


def test_secrets_are_refused_in_the_settings_file(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, "[secrets]\ndatabase_url = 'postgresql://a:b@h/d'\n"))
    assert "[secrets] may not be in the settings file" in problem


def test_database_password_in_settings_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurl = 'postgresql://yq:hunter2@db/yuqing'\n")
    (problem,) = problems_of(path)
    assert "database.url: contains a password" in problem
    assert "hunter2" not in problem  # the error never repeats the secret


def test_channel_without_url_names_the_person_and_the_variable(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[units]]
id = "office"
name = "办公室"
[[people]]
id = "zhang"
name = "张三"
unit = "office"
roles = ["office_staff"]
channels = ["zhang_wecom"]
""",
    )
    (problem,) = problems_of(path)
    assert "people.0.channels.0: channel 'zhang_wecom' has no URL" in problem
    assert "YUQING_SECRETS__CHANNELS__ZHANG_WECOM" in problem


def test_secrets_file_beside_settings_supplies_channel_urls(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[people]]
id = "zhang"
name = "张三"
roles = ["office_staff"]
channels = ["zhang_wecom"]
""",
    )
    write(tmp_path, "[channels]\nzhang_wecom = 'wecombot://KEY'\n", name="secrets.toml")
    settings = load_settings(path)
    assert settings.channel_url("zhang_wecom") == "wecombot://KEY"
    assert "KEY" not in repr(settings)  # secrets never show in reprs or logs


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[general]\ntimezone = 'Asia/Shanghai'\n")
    monkeypatch.setenv("YUQING_GENERAL__TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("YUQING_SECRETS__CHANNELS__OPS", "json://127.0.0.1:9/x")
    settings = load_settings(path)
    assert settings.general.timezone == "Asia/Urumqi"
    assert settings.channel_url("ops") == "json://127.0.0.1:9/x"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nope.toml")
    assert "nope.toml: settings file not found" in problem


def test_defaults_use_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[general]\ndata_dir = 'state'\n"))
    assert settings.database_url() == f"sqlite:///{(tmp_path / 'state' / 'yuqing.db').resolve()}"


def test_settings_roles_are_the_policy_roles() -> None:
    assert set(get_args(Role)) == set(ROLES)
