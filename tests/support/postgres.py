"""A private, throw-away PostgreSQL server for yuqing's tests. `running_postgres()` finds the
server binaries (``$YUQING_PG_BINDIR``, Debian's ``/usr/lib/postgresql/<version>/bin``,
``pg_config --bindir``, or ``initdb`` on ``PATH``), creates a new cluster in a temporary
directory with trust authentication, starts it on a free port of 127.0.0.1 with its unix socket
in that directory and durability switched off for speed, creates a database and yields a
`PostgresServer` whose ``url`` is a SQLAlchemy URL for it; on exit it stops the server and
deletes the directory. PostgreSQL refuses to run as root, so under root the cluster belongs to,
and the server runs as, an unprivileged user (``postgres`` if it exists, else ``nobody``;
``$YUQING_PG_USER`` chooses another). `PostgresAdmin` creates and drops per-test databases on
such a server or on any other one whose URL allows it. ``python -m tests.support.postgres
--check`` starts a server (or connects to ``$YUQING_TEST_DATABASE_URL``), prints its version and
timings, and exits non-zero with the reason when it cannot."""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

BINDIR_ENV = "YUQING_PG_BINDIR"
USER_ENV = "YUQING_PG_USER"
TMPDIR_ENV = "YUQING_PG_TMPDIR"
EXTERNAL_URL_ENV = "YUQING_TEST_DATABASE_URL"

REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = (
    "install Debian's `postgresql` package (`apt-get install -y postgresql`, as .ci/run does)"
)

# Durability buys nothing in a cluster that is deleted after the tests; these make writes cheap.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Fixed so that results do not depend on the machine's time zone.
    "timezone": "'UTC'",
}

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries are not on this machine; a test run may skip on this."""


class PostgresStartError(RuntimeError):
    """The binaries exist but a cluster could not be created or started; never skip on this."""


@dataclass(frozen=True)
class PostgresServer:
    """A running private server: where it listens, who owns it and how long it took to start."""

    url: str
    host: str
    port: int
    user: str
    database: str
    bindir: Path
    directory: Path
    os_user: str
    version: str
    init_seconds: float
    start_seconds: float


@dataclass(frozen=True)
class _RunAs:
    name: str
    uid: int
    gid: int


# --- finding the binaries ---------------------------------------------------------------------


def _missing_binaries(bindir: Path) -> list[str]:
    return [
        name
        for name in REQUIRED_BINARIES
        if not ((bindir / name).is_file() and os.access(bindir / name, os.X_OK))
    ]


def _version_key(bindir: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in bindir.parent.name.split("."))
    except ValueError:
        return (-1,)


def _candidate_bindirs() -> Iterator[tuple[str, Path]]:
    # Debian keeps the server binaries off PATH, one directory per major version; newest first.
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        for bindir in sorted(debian.glob("*/bin"), key=_version_key, reverse=True):
            yield "Debian", bindir
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            yield "pg_config --bindir", Path(out)
    initdb = shutil.which("initdb")
    if initdb is not None:
        # Follow a symlink so that pg_ctl and postgres are looked for beside the real initdb.
        yield "PATH", Path(initdb).resolve().parent


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl and postgres, or `PostgresUnavailable` saying where
    it looked. A non-empty ``$YUQING_PG_BINDIR`` is the only place looked at."""
    override = os.environ.get(BINDIR_ENV, "")
    if override:
        missing = _missing_binaries(Path(override))
        if missing:
            raise PostgresUnavailable(
                f"PostgreSQL server binaries not found: {BINDIR_ENV}={override} has no "
                f"{', '.join(missing)}; point it at PostgreSQL's bin directory or unset it"
            )
        return Path(override)
    tried: list[str] = []
    for source, bindir in _candidate_bindirs():
        missing = _missing_binaries(bindir)
        if not missing:
            return bindir
        tried.append(f"{bindir} (from {source}) has no {', '.join(missing)}")
    looked = (
        "; ".join(tried)
        if tried
        else "there is no /usr/lib/postgresql/<version>/bin, no pg_config and no initdb on PATH"
    )
    raise PostgresUnavailable(
        f"PostgreSQL server binaries ({', '.join(REQUIRED_BINARIES)}) not found: {looked}. "
        f"To run the PostgreSQL tests, {INSTALL_HINT}, or set {BINDIR_ENV}."
    )


# --- running commands as the cluster's owner ---------------------------------------------------


def _server_user() -> _RunAs | None:
    """None when we are not root; else the unprivileged account the server must run as."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get(USER_ENV, "")
    names = [wanted] if wanted else ["postgres", "nobody"]
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return _RunAs(name, entry.pw_uid, entry.pw_gid)
    raise PostgresStartError(
        "running as root, which PostgreSQL refuses, and found no unprivileged account to run it "
        f"as (tried {', '.join(names)}); create one or name one in {USER_ENV}"
    )


def _run(
    cmd: Sequence[str | Path], *, run_as: _RunAs | None, cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    # Inherited PG* variables (PGDATA, PGPORT, ...) could point the tools at another cluster.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    kwargs: dict[str, Any] = {}
    if run_as is not None:
        # extra_groups=[] drops root's supplementary groups along with its uid.
        kwargs = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
        env.update(HOME=str(cwd), USER=run_as.name, LOGNAME=run_as.name)
    try:
        return subprocess.run(
            [str(part) for part in cmd],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )
    except PermissionError as exc:
        who = run_as.name if run_as is not None else "this user"
        raise PostgresStartError(
            f"could not run {Path(cmd[0]).name} as {who} in {cwd}: {exc}. Its parent directories "
            f"must be searchable by {who}; set {TMPDIR_ENV} (or TMPDIR) to a place like /tmp"
        ) from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PostgresStartError(f"could not run {' '.join(map(str, cmd))}: {exc}") from exc


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _failure(what: str, result: subprocess.CompletedProcess[str], log: Path | None = None) -> str:
    text = f"{what} (exit {result.returncode}): {' '.join(map(str, result.args))}\n"
    text += result.stdout.strip()
    if log is not None:
        text += f"\n--- last lines of {log.name} ---\n{_tail(log)}"
    return text


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


# --- the server ----------------------------------------------------------------------------------

_OWNER_FILE = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(bindir: Path, datadir: Path, *, run_as: _RunAs | None) -> None:
    # Immediate mode: nothing in a throw-away cluster is worth a shutdown checkpoint.
    stop: list[str | Path] = [bindir / "pg_ctl", "-D", datadir, "-m", "immediate", "-w", "stop"]
    _run(stop, run_as=run_as, cwd=datadir.parent, timeout=60)


def _reap_stale_servers(base: Path) -> None:
    """Stop and delete clusters left by test runs that were killed before they could clean up,
    so that an interrupted run does not leave a server behind for the rest of a machine's life."""
    for directory in base.glob("yuqing-pg-*"):
        try:
            owner = int((directory / _OWNER_FILE).read_text().strip())
            stat = directory.stat()
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if os.geteuid() == 0 and stat.st_uid != 0:
            run_as: _RunAs | None = _RunAs(str(stat.st_uid), stat.st_uid, stat.st_gid)
        elif stat.st_uid == os.geteuid():
            run_as = None
        else:
            continue
        datadir = directory / "data"
        if (datadir / "postmaster.pid").exists():
            try:
                _stop(find_bindir(), datadir, run_as=run_as)
            except (PostgresUnavailable, PostgresStartError):
                continue  # leave it for someone who can stop it: deleting it would orphan it
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def running_postgres(
    *,
    user: str = "yuqing",
    database: str = "yuqing",
    bindir: Path | None = None,
    start_timeout: int = 60,
    durable: bool = False,
) -> Iterator[PostgresServer]:
    """Start a private server, yield it with database `database` created for `user` (the
    cluster's superuser), then stop it and delete every file it wrote. Fast and forgetful
    unless `durable` (a test that crashes the server keeps what was committed)."""
    if not _DATABASE_NAME.match(database):
        raise ValueError(f"unsafe database name {database!r}")
    bindir = bindir if bindir is not None else find_bindir()
    run_as = _server_user()
    base = Path(os.environ.get(TMPDIR_ENV) or tempfile.gettempdir())
    _reap_stale_servers(base)
    directory = Path(tempfile.mkdtemp(prefix="yuqing-pg-", dir=base))
    datadir = directory / "data"
    logfile = directory / "server.log"
    try:
        (directory / _OWNER_FILE).write_text(f"{os.getpid()}\n")
        if run_as is not None:
            os.chown(directory, run_as.uid, run_as.gid)

        began = time.perf_counter()
        initdb: list[str | Path] = [bindir / "initdb", "-D", datadir, "-U", user, "-A", "trust"]
        initdb += ["-E", "UTF8", "--no-locale", "--no-sync"]
        result = _run(initdb, run_as=run_as, cwd=directory, timeout=120)
        if result.returncode != 0:
            hint = ""
            if run_as is not None and "Permission denied" in result.stdout:
                hint = (
                    f"\n{directory} and its parents must be reachable by OS user {run_as.name}; "
                    f"set {TMPDIR_ENV} (or TMPDIR) to a place like /tmp"
                )
            raise PostgresStartError(_failure("initdb failed", result) + hint)
        init_seconds = time.perf_counter() - began

        settings = {} if durable else dict(FAST_SETTINGS)
        settings["timezone"] = FAST_SETTINGS["timezone"]
        settings["listen_addresses"] = "'127.0.0.1'"
        # The socket lives in our own directory: the system's /var/run/postgresql may not exist.
        settings["unix_socket_directories"] = _quote(str(directory))
        with (datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# yuqing test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

        began = time.perf_counter()
        port = 0
        for _attempt in range(3):
            port = _free_port()
            start: list[str | Path] = [bindir / "pg_ctl", "-D", datadir, "-l", logfile, "-w"]
            start += ["-t", str(start_timeout), "-o", f"-p {port}", "start"]
            result = _run(start, run_as=run_as, cwd=directory, timeout=start_timeout + 30)
            if result.returncode == 0:
                break
            # Another process may have taken the port between our probe and the server's bind.
            if "could not bind" not in _tail(logfile, 200):
                break
        if result.returncode != 0:
            raise PostgresStartError(_failure("pg_ctl could not start the server", result, logfile))

        admin = PostgresAdmin(f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres")
        try:
            url = admin.create_database(database)
            version = admin.server_version()
        except Exception as exc:
            raise PostgresStartError(
                f"the server started on port {port} but took no connection: {exc}\n"
                f"--- last lines of {logfile.name} ---\n{_tail(logfile)}"
            ) from exc
        finally:
            admin.dispose()
        start_seconds = time.perf_counter() - began

        yield PostgresServer(
            url=url,
            host="127.0.0.1",
            port=port,
            user=user,
            database=database,
            bindir=bindir,
            directory=directory,
            os_user=run_as.name if run_as is not None else pwd.getpwuid(os.geteuid()).pw_name,
            version=version,
            init_seconds=init_seconds,
            start_seconds=start_seconds,
        )
    finally:
        if (datadir / "postmaster.pid").exists():
            try:
                _stop(bindir, datadir, run_as=run_as)
            except PostgresStartError as exc:
                print(f"warning: could not stop the test PostgreSQL server: {exc}", file=sys.stderr)
        shutil.rmtree(directory, ignore_errors=True)


def restart_postgres(server: PostgresServer, *, mode: str = "fast") -> None:
    """Restart the private server on its port (`fast`: sessions ended, a clean shutdown;
    `immediate`: as after a crash, recovery at start), as an operator or a failover would."""
    if mode not in ("smart", "fast", "immediate"):
        raise ValueError(f"unknown shutdown mode {mode!r}")
    datadir, log = server.directory / "data", server.directory / "server.log"
    command: list[str | Path] = [server.bindir / "pg_ctl", "-D", datadir, "-l", log, "-m", mode]
    command += ["-w", "-t", "60", "-o", f"-p {server.port}", "restart"]
    result = _run(command, run_as=_server_user(), cwd=server.directory, timeout=120)
    if result.returncode != 0:
        raise PostgresStartError(_failure("pg_ctl could not restart the server", result, log))


class PostgresAdmin:
    """An autocommit connection to a PostgreSQL server as a user that may create databases,
    used to give each test a database of its own. Plain ``postgresql://`` URLs get psycopg 3."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url: URL = parsed
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        self._engine = create_engine(parsed, isolation_level="AUTOCOMMIT", pool_size=1)

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server, password included."""
        return self.url.set(database=database).render_as_string(hide_password=False)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create `name`, empty or as a copy of the database `template` (which no session may
        be using: a moment's wait for one closing, then PostgreSQL's own error)."""
        for unsafe in (name, template or name):
            if not _DATABASE_NAME.match(unsafe):
                raise ValueError(f"unsafe database name {unsafe!r}")
        from sqlalchemy.exc import DBAPIError

        statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        for attempt in range(50):
            try:
                with self._engine.connect() as conn:
                    conn.exec_driver_sql(statement)
                break
            except DBAPIError as exc:
                if template is None or "being accessed" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        if not _DATABASE_NAME.match(name):
            raise ValueError(f"unsafe database name {name!r}")
        with self._engine.connect() as conn:
            # FORCE (PostgreSQL 13+) ends sessions a test left open, e.g. an undisposed engine.
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def server_version(self) -> str:
        with self._engine.connect() as conn:
            return str(conn.exec_driver_sql("SELECT version()").scalar_one())

    def dispose(self) -> None:
        self._engine.dispose()


def unique_database_name(prefix: str = "yuqing_test") -> str:
    """A fresh name that cannot clash with another test, run or developer on a shared server."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


# --- command line --------------------------------------------------------------------------------


def _check_external(url: str) -> None:
    admin = PostgresAdmin(url)
    try:
        began = time.perf_counter()
        name = unique_database_name("yuqing_check")
        admin.create_database(name)
        admin.drop_database(name)
        print(f"PostgreSQL OK (external, {EXTERNAL_URL_ENV}): {admin.server_version()}")
        print(f"  create+drop database: {time.perf_counter() - began:.3f}s")
    finally:
        admin.dispose()


def _check_private() -> None:
    began = time.perf_counter()
    with running_postgres() as server:
        admin = PostgresAdmin(server.url)
        try:
            created = time.perf_counter()
            name = unique_database_name("yuqing_check")
            admin.create_database(name)
            admin.drop_database(name)
            per_test = time.perf_counter() - created
        finally:
            admin.dispose()
        print(f"PostgreSQL OK (private test server): {server.version}")
        print(f"  binaries: {server.bindir}; runs as OS user {server.os_user}; port {server.port}")
        print(
            f"  initdb {server.init_seconds:.2f}s, start+create database "
            f"{server.start_seconds:.2f}s, per-test create+drop database {per_test:.3f}s"
        )
    print(f"  total with stop and cleanup: {time.perf_counter() - began:.2f}s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.postgres",
        description="Check that the PostgreSQL server yuqing's tests use can be started.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"start a private server (or use ${EXTERNAL_URL_ENV}), print its version, stop it",
    )
    parser.parse_args(argv)
    external = os.environ.get(EXTERNAL_URL_ENV, "")
    try:
        if external:
            _check_external(external)
        else:
            _check_private()
    except Exception as exc:
        bar = "!" * 78
        print(f"{bar}\nPostgreSQL for the tests is NOT available:\n{exc}\n{bar}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
