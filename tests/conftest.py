"""Shared pytest configuration for yuqing. The first section isolates Prefect from the developer's
own profile and makes it quiet; the second gives tests a database on each selected backend:
``database_url`` is parametrised over ``sqlite`` (a new file under ``tmp_path``) and
``postgresql`` (a new database per test on a private server started once per session, or on the
admin-capable server named by ``YUQING_TEST_DATABASE_URL``), each a copy of a template migrated
once per session, or empty for a test marked ``empty_database``. ``YUQING_TEST_BACKENDS`` (comma
list, default ``sqlite,postgresql``) selects backends; the others' test ids are deselected. When
PostgreSQL is selected but its server binaries are missing, its tests skip, unless
``YUQING_TEST_REQUIRE_POSTGRES=1`` makes that a failure at session start. Every test using
``database_url`` (directly or through ``engine``) gets the ``db`` marker."""

from __future__ import annotations

# ================================================================================================
# Test infrastructure: Prefect isolation and database backends. Keep this section first; project
# fixtures go below it. pytest_configure, pytest_unconfigure and pytest_collection_modifyitems are
# defined here: extend these functions rather than defining them a second time.
# ================================================================================================
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

# Set before anything imports prefect, which reads its settings once, at import.
_PREFECT_HOME = tempfile.mkdtemp(prefix="yuqing-test-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402

from tests.support.postgres import (  # noqa: E402
    EXTERNAL_URL_ENV,
    PostgresAdmin,
    PostgresUnavailable,
    find_bindir,
    running_postgres,
    unique_database_name,
)
from yuqing.localservers import FeedServer, WebhookReceiver  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BACKENDS = ("sqlite", "postgresql")
BACKENDS_ENV = "YUQING_TEST_BACKENDS"
REQUIRE_POSTGRES_ENV = "YUQING_TEST_REQUIRE_POSTGRES"
SKIP_REASON = "PostgreSQL server binaries not found; .ci/run installs Debian's postgresql"


def _selected_backends() -> tuple[str, ...]:
    raw = os.environ.get(BACKENDS_ENV, "") or ",".join(BACKENDS)
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [name for name in chosen if name not in BACKENDS]
    if unknown or not chosen:
        raise pytest.UsageError(
            f"{BACKENDS_ENV}={raw!r}: expected a comma list of {', '.join(BACKENDS)}"
        )
    return chosen


def _postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def pytest_configure(config: pytest.Config) -> None:
    backends = _selected_backends()
    if "postgresql" in backends and _postgres_required() and not os.environ.get(EXTERNAL_URL_ENV):
        # Fail before collecting anything: a CI run that asks for PostgreSQL must never skip it.
        try:
            find_bindir()
        except PostgresUnavailable as exc:
            raise pytest.UsageError(
                f"{REQUIRE_POSTGRES_ENV}=1 but PostgreSQL cannot be used for the tests: {exc}"
            ) from exc


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    where = f" (PostgreSQL from ${EXTERNAL_URL_ENV})" if os.environ.get(EXTERNAL_URL_ENV) else ""
    return f"yuqing database backends: {', '.join(_selected_backends())}{where}"


@pytest.hookimpl(tryfirst=True)  # before `-m db` filters on the marker added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backends = _selected_backends()
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
            callspec = getattr(item, "callspec", None)
            backend = callspec.params.get("database_url") if callspec is not None else None
            if backend is not None and backend not in backends:
                deselected.append(item)
                continue
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def selected_backends() -> tuple[str, ...]:
    """The database backends this run tests, from $YUQING_TEST_BACKENDS."""
    return _selected_backends()


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[PostgresAdmin]:
    """An admin connection to the session's PostgreSQL server: the external one named by
    $YUQING_TEST_DATABASE_URL, else a private server started on first use."""
    external = os.environ.get(EXTERNAL_URL_ENV, "")
    if external:
        admin = PostgresAdmin(external)
        try:
            yield admin
        finally:
            admin.dispose()
        return
    try:
        bindir = find_bindir()
    except PostgresUnavailable as exc:
        if _postgres_required():
            pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1: {exc}", pytrace=False)
        pytest.skip(SKIP_REASON)
    # A start failure with the binaries present is an error, never a skip.
    with running_postgres(bindir=bindir) as server:
        admin = PostgresAdmin(server.url)
        try:
            yield admin
        finally:
            admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (per xdist worker), copied for each test: a
    test's database starts where every migration has run, without running them again."""
    from models.store.db import upgrade_database

    path = tmp_path_factory.mktemp("template") / "yuqing.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:  # nothing left in a -wal file beside it
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: PostgresAdmin) -> Iterator[str]:
    """A PostgreSQL database migrated once per session (per xdist worker), the template of each
    test's database (CREATE DATABASE ... TEMPLATE copies its files)."""
    from models.store.db import upgrade_database

    name = unique_database_name("yuqing_template")
    upgrade_database(postgres_admin.create_database(name))
    try:
        yield name
    finally:
        postgres_admin.drop_database(name)


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of a database that belongs to this test alone, with every migration
    applied (a copy of the session's template); empty for a test marked ``empty_database``."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "yuqing.sqlite3"
        if not empty:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin: PostgresAdmin = request.getfixturevalue("postgres_admin")
    template = None if empty else str(request.getfixturevalue("postgres_template"))
    name = unique_database_name()
    url = admin.create_database(name, template=template)
    try:
        yield url
    finally:
        admin.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's database, every migration applied (a no-op but for tests marked
    ``empty_database``)."""
    # Imported here so that collection works while models.store.db is still being written.
    from models.store.db import make_engine, upgrade_database

    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


# ================================================================================================
# Project fixtures
# ================================================================================================


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on 127.0.0.1 that keeps what Apprise's json:// channel delivers."""
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 serving the feeds a test puts on it."""
    with FeedServer() as server:
        yield server


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server for the session's flow runs (on a fresh home: it migrates once,
    ~12 s), started the way yuqing starts one: it dies with pytest even on kill -9, so no test
    run leaves a server behind. Yields its API URL; subprocesses get it through the env."""
    from deployments.local_server import start_server
    from deployments.prefect_api import drain_prefect, use_api

    server = start_server(tmp_path_factory.mktemp("prefect-server-home"))
    try:
        with use_api(server.url) as url:
            try:
                yield url
            finally:
                drain_prefect()
    finally:
        server.stop()
