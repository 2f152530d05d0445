"""The web surfaces' properties, for hypothesis: the test suite runs them briefly on both backends
(`tests/e2e/test_fuzz_web.py`), `bench/fuzz_web.py` runs them long. Each surface draws a request
(the sign-in form, the register form, every action's form, the library search, case pages by
number, and the signed links opened and submitted with forged, tampered, expired, replayed and
genuine tokens and random form bodies) and sends it to the real app in process, on a real
database. Whatever was drawn: no 500 and no exception, only the statuses the surface may answer,
no traceback in the page; a refusal changes no table (every row compared before and after); and
every sign-in or link attempt adds exactly one row to its audit record."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from tests.support.webfuzz_forms import (
    check_actions,
    check_case_pages,
    check_library,
    check_login,
    check_register,
)
from tests.support.webfuzz_links import check_link_get, check_link_post
from tests.support.webfuzz_world import World, world

__all__ = ["SURFACES", "World", "world"]

SURFACES: dict[str, Callable[[World, st.DataObject], None]] = {
    "login form": check_login,
    "register form": check_register,
    "action forms": check_actions,
    "library search": check_library,
    "case pages": check_case_pages,
    "link GET": check_link_get,
    "link POST": check_link_post,
}
