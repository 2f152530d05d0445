"""Fixtures for the policy-engine tests: the default policy and the default calendar."""

from __future__ import annotations

import pytest

from models.policy import Policy, WorkCalendar
from models.store.presets import default_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    return default_policy()


@pytest.fixture(scope="session")
def cal() -> WorkCalendar:
    return WorkCalendar.default()
