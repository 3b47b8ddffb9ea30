"""A throw-away PostgreSQL + PostGIS cluster for the tests (issue 12).

:func:`cluster` starts one cluster per test run (``initdb`` + ``pg_ctl`` in a temporary folder,
listening on 127.0.0.1 on a free port, password authentication), shared by the xdist workers
(:func:`share_for_this_run`), and it is stopped when the run ends. PostgreSQL
refuses to run as root, so when the tests run as root the cluster runs as the unprivileged system
user ``mmtest`` (created with ``useradd`` when missing).

Roles, as ``docs/deploying.md`` documents them for a real deployment:

* ``mm_admin`` — the cluster's superuser (creates databases and ``CREATE EXTENSION postgis``);
* ``mineralmap_app`` — the app's role: LOGIN, **not** a superuser, owner of its database only.

:func:`new_database` creates a fresh database owned by the app role with PostGIS enabled and
returns the app role's URL; every store and PostGIS test connects with that URL only. Each new
database is a copy (``CREATE DATABASE … TEMPLATE``, a file copy in memory, ≈0.1 s) of one of
three templates built once per run: PostGIS enabled (:data:`POSTGIS_TEMPLATE_DB`, instead of
``CREATE EXTENSION postgis`` per database, ≈1 s), plus the store's schema migrated
(:data:`TEMPLATE_DB`), plus version 1 of the bundled table as the store's first start writes it
(:data:`TEMPLATE_V1_DB`, built on first use).

When PostgreSQL or PostGIS is not installed the tests are skipped with a message — except under CI
(``CI`` set in the environment), where :func:`cluster_or_skip` fails instead.
"""

from __future__ import annotations

import atexit
import fcntl
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Unprivileged system user that runs the cluster when the tests run as root.
OS_USER = "mmtest"
SUPERUSER = "mm_admin"
APP_ROLE = "mineralmap_app"
INSTALL_HINT = ("apt-get install -y postgresql postgresql-15-postgis-3 "
                "(and pip install 'psycopg[binary]==3.3.9')")


class ClusterUnavailable(RuntimeError):
    """PostgreSQL/PostGIS binaries or psycopg are missing, or the cluster did not start."""


def _bindir() -> Path:
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if cands:
        return Path(cands[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ClusterUnavailable(f"PostgreSQL (initdb) is not installed: {INSTALL_HINT}")


def _has_postgis(bindir: Path) -> bool:
    try:
        share = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        share = ""
    cands = [Path(share)] if share else []
    cands += [Path(p) for p in glob.glob("/usr/share/postgresql/*")]
    return any((c / "extension" / "postgis.control").is_file() for c in cands)


#: A cluster of a whole test run holds ~30 MB per database; in memory only with this much free.
MEMORY_DIR_MIN_FREE = 4 * 1024**3


def _memory_dir() -> str | None:
    """``/dev/shm`` when it is a writable tmpfs with room to spare, else None (the default
    temporary folder): the throw-away cluster (fsync off) then lives in memory, which makes
    creating databases from the template about twice as fast and removing them at the end
    cheap."""
    shm = Path("/dev/shm")
    try:
        ok = shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) and \
            shutil.disk_usage(shm).free >= MEMORY_DIR_MIN_FREE
    except OSError:
        ok = False
    return str(shm) if ok else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user() -> list[str]:
    """Command prefix that runs a program as the unprivileged cluster owner."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        OS_USER], check=True, capture_output=True)
    return ["runuser", "-u", OS_USER, "--"]


@dataclass
class Cluster:
    """A running cluster: where it listens and the superuser's credentials."""

    root: Path
    bindir: Path
    port: int
    admin_password: str
    app_password: str
    prefix: list[str]
    _n: int = 0

    def url(self, user: str, password: str, dbname: str) -> str:
        """``postgresql://`` URL for ``user`` on ``dbname``."""
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def admin_url(self, dbname: str = "postgres") -> str:
        return self.url(SUPERUSER, self.admin_password, dbname)

    def app_url(self, dbname: str) -> str:
        return self.url(APP_ROLE, self.app_password, dbname)

    def stop(self, wait: bool = True) -> None:
        """Stop the server and remove its folder; with ``wait=False`` the folder (tens of
        thousands of files after a whole run) is removed by a detached ``rm -rf``, so that the
        end of the test run does not wait for it."""
        subprocess.run([*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                        "-m", "immediate", "-w", "stop"], capture_output=True, check=False)
        if wait or shutil.which("rm") is None:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            subprocess.Popen(["rm", "-rf", "--", str(self.root)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)


def start_cluster() -> Cluster:
    """Start a new cluster (see the module docstring).

    Raises
    ------
    ClusterUnavailable
        Binaries, PostGIS or psycopg missing, or the server did not start.
    """
    try:
        import psycopg  # noqa: F401 - only to know whether the driver is installed
    except ImportError as exc:
        raise ClusterUnavailable(f"psycopg is not installed: {INSTALL_HINT}") from exc
    bindir = _bindir()
    if not _has_postgis(bindir):
        raise ClusterUnavailable(f"PostGIS is not installed: {INSTALL_HINT}")
    prefix = _as_user()
    root = Path(tempfile.mkdtemp(prefix="mm_pg_", dir=_memory_dir()))
    if prefix:
        shutil.chown(root, user=OS_USER, group=pwd.getpwnam(OS_USER).pw_gid)
    admin_pw, app_pw = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    pwfile = root / "pw"
    pwfile.write_text(admin_pw + "\n")
    if prefix:
        shutil.chown(pwfile, user=OS_USER)
    pwfile.chmod(0o600)
    data = root / "data"
    run = [*prefix]
    out = subprocess.run([*run, str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                          "--pwfile", str(pwfile), "--auth", "scram-sha-256", "-E", "UTF8",
                          "--locale", "C.UTF-8", "--no-sync"],  # a throw-away cluster
                         capture_output=True, text=True, check=False)
    pwfile.unlink()
    if out.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise ClusterUnavailable(f"initdb failed: {out.stderr[-1500:]}")
    port = _free_port()
    opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
            "-c max_connections=60 -c shared_buffers=32MB")
    out = subprocess.run([*run, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                          str(root / "server.log"), "-w", "-t", "60", "start"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-1500:] \
            if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise ClusterUnavailable(f"pg_ctl start failed: {out.stderr[-800:]} {log}")
    c = Cluster(root=root, bindir=bindir, port=port, admin_password=admin_pw,
                app_password=app_pw, prefix=prefix)
    import psycopg

    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        # the app's role: a login role without superuser, createdb or createrole rights
        con.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    f"PASSWORD '{app_pw}'")
    return c


_CLUSTER: Cluster | None = None
_FAILURE: str | None = None

#: Environment variable naming a folder through which the processes of one test run (the pytest
#: controller and its xdist workers) share one cluster: set by :func:`share_for_this_run`.
SHARE_ENV = "MM_TEST_PG_SHARE"  # not a MINERALMAP_ setting: test plumbing only
_SHARE_FILE = "cluster.json"


def _to_json(c: Cluster) -> dict:
    return {"root": str(c.root), "bindir": str(c.bindir), "port": c.port,
            "admin_password": c.admin_password, "app_password": c.app_password,
            "prefix": c.prefix}


def _from_json(d: dict) -> Cluster:
    c = Cluster(root=Path(d["root"]), bindir=Path(d["bindir"]), port=int(d["port"]),
                admin_password=d["admin_password"], app_password=d["app_password"],
                prefix=list(d["prefix"]))
    c._template_ready = True  # type: ignore[attr-defined] - made by the process that started it
    return c


def _shared_cluster(share: Path) -> Cluster:
    """The run's cluster from ``share``: the first process to ask starts it (and its template)
    under a file lock and writes how to reach it; the others read that. Stopped by the
    controller (:func:`share_for_this_run`), not by the worker that happened to start it."""
    share.mkdir(parents=True, exist_ok=True)
    with open(share / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = share / _SHARE_FILE
        if info.is_file():
            d = json.loads(info.read_text())
            if "failure" in d:
                raise ClusterUnavailable(d["failure"])
            return _from_json(d)
        try:
            c = start_cluster()
        except ClusterUnavailable as exc:
            info.write_text(json.dumps({"failure": str(exc)}))
            raise
        try:
            _template(c)
        except BaseException:
            c.stop()
            raise
        tmp = share / (_SHARE_FILE + ".tmp")
        tmp.write_text(json.dumps(_to_json(c)))
        tmp.chmod(0o600)
        tmp.replace(info)
        return c


def cluster() -> Cluster:
    """The test run's cluster (started on first use, stopped at exit).

    Under a controller that called :func:`share_for_this_run` (tests/conftest.py does), every
    process of the run (xdist workers) uses one cluster; otherwise one per process.
    """
    global _CLUSTER, _FAILURE
    if _CLUSTER is not None:
        return _CLUSTER
    if _FAILURE is not None:
        raise ClusterUnavailable(_FAILURE)
    share = os.environ.get(SHARE_ENV)
    try:
        _CLUSTER = _shared_cluster(Path(share)) if share else start_cluster()
    except ClusterUnavailable as exc:
        _FAILURE = str(exc)
        raise
    if not share:
        atexit.register(_CLUSTER.stop)
    return _CLUSTER


def share_for_this_run() -> Callable[[], None]:
    """Called once by the process that starts the test run, before any worker starts: lets the
    run's processes share one cluster (started by the first one that needs it). Returns the
    function that stops it (call it when every worker has finished; it is also registered at
    exit)."""
    share = Path(tempfile.mkdtemp(prefix="mm_pg_share_"))
    os.environ[SHARE_ENV] = str(share)
    done: list[bool] = []

    def stop() -> None:
        if done:
            return
        done.append(True)
        if os.environ.get(SHARE_ENV) == str(share):
            del os.environ[SHARE_ENV]
        info = share / _SHARE_FILE
        try:
            d = json.loads(info.read_text()) if info.is_file() else {}
        except (OSError, ValueError):
            d = {}
        if "port" in d:
            _from_json(d).stop(wait=False)  # the run is over: nothing waits for the folder
        shutil.rmtree(share, ignore_errors=True)

    atexit.register(stop)
    return stop


def cluster_or_skip() -> Cluster:
    """:func:`cluster`, or skip the test with the reason (fail instead under CI)."""
    try:
        return cluster()
    except ClusterUnavailable as exc:
        msg = f"PostgreSQL/PostGIS tests need a local cluster: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{msg} (CI must not skip these tests)")
        pytest.skip(msg)
        raise  # unreachable


TEMPLATE_DB = "mm_template"
#: Template with only PostGIS enabled (``CREATE EXTENSION postgis`` by the superuser, ≈1 s per
#: database; a copy of this template is a file copy, ≈0.1 s).
POSTGIS_TEMPLATE_DB = "mm_template_postgis"


def copy_strategy(con: object) -> str:
    """`` STRATEGY FILE_COPY`` on PostgreSQL 15+ (else ``""``): copying a template's files is
    about a third faster than writing every page through the WAL (15's default), and this
    cluster does not fsync."""
    version = int(getattr(getattr(con, "info", None), "server_version", 0) or 0)
    return " STRATEGY FILE_COPY" if version >= 150000 else ""


def postgis_template(c: Cluster) -> str:
    """Name of the template database with PostGIS enabled and nothing else (its ``public``
    schema belongs to whoever owns the copy: ``pg_database_owner``)."""
    _template(c)
    return POSTGIS_TEMPLATE_DB


def _template(c: Cluster) -> str:
    """The template databases (once per cluster): :data:`POSTGIS_TEMPLATE_DB`, and its copy
    :data:`TEMPLATE_DB` in which the store's schema is migrated by the app role (so the copies'
    tables belong to the app role), no dataset version."""
    import psycopg

    from mineralmap.pgstore import PostgresStore

    if getattr(c, "_template_ready", False):
        return TEMPLATE_DB
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {POSTGIS_TEMPLATE_DB}")
    with psycopg.connect(c.admin_url(POSTGIS_TEMPLATE_DB), autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {TEMPLATE_DB} OWNER {APP_ROLE} "
                    f"TEMPLATE {POSTGIS_TEMPLATE_DB}{copy_strategy(con)}")
    PostgresStore(c.app_url(TEMPLATE_DB), bundled=False).close()
    c._template_ready = True  # type: ignore[attr-defined]
    return TEMPLATE_DB


#: Template with the migrated schema and version 1 = the bundled ``geodata/occurrences.csv``
#: (imported by :class:`~mineralmap.pgstore.PostgresStore` itself, once per cluster).
TEMPLATE_V1_DB = "mm_template_v1"
_V1_LOCK = 0x6D6D_7431  # advisory lock id while one process of the run builds it ("mmt1")


def _template_v1(c: Cluster) -> str:
    """:data:`TEMPLATE_V1_DB`, built on first use by whichever process of the run asks first.

    Built under another name and renamed when complete (under an advisory lock), so that a
    database of that name is always a finished one."""
    import psycopg

    from mineralmap.pgstore import PostgresStore

    if getattr(c, "_template_v1_ready", False):
        return TEMPLATE_V1_DB
    base = _template(c)
    exists = "SELECT 1 FROM pg_database WHERE datname = %s"
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        con.execute("SELECT pg_advisory_lock(%s)", (_V1_LOCK,))
        try:
            if con.execute(exists, (TEMPLATE_V1_DB,)).fetchone() is None:
                tmp = f"{TEMPLATE_V1_DB}_{os.getpid()}"
                con.execute(f"DROP DATABASE IF EXISTS {tmp}")
                con.execute(f"CREATE DATABASE {tmp} OWNER {APP_ROLE} TEMPLATE {base}"
                            f"{copy_strategy(con)}")
                PostgresStore(c.app_url(tmp)).close()  # migrations done: imports version 1
                con.execute(f"ALTER DATABASE {tmp} RENAME TO {TEMPLATE_V1_DB}")
        finally:
            con.execute("SELECT pg_advisory_unlock(%s)", (_V1_LOCK,))
    c._template_v1_ready = True  # type: ignore[attr-defined]
    return TEMPLATE_V1_DB


def new_database(c: Cluster, prefix: str = "mm", *, migrated: bool = False,
                 version_1: bool = False) -> str:
    """Create a fresh database owned by the app role with PostGIS enabled; return its app URL.

    The database is a copy of :data:`POSTGIS_TEMPLATE_DB` (as if ``CREATE EXTENSION postgis``
    had run in it, at a tenth of the cost). ``migrated=True`` copies a template whose store schema is already migrated (a file copy:
    ~4x cheaper than creating the extension per database), for tests that do not test the
    migrations themselves. ``version_1=True`` (implies ``migrated``) copies a template that also
    holds version 1 of the bundled curated table, exactly as the store's first start writes it
    (:data:`TEMPLATE_V1_DB`), for tests that do not test that first import either.
    """
    import psycopg

    c._n += 1
    name = f"{prefix}_{os.getpid()}_{c._n}_{int(time.time() * 1000) % 100000}"
    template = _template_v1(c) if version_1 else _template(c) if migrated else \
        postgis_template(c)
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE} TEMPLATE {template}"
                    f"{copy_strategy(con)}")
    return c.app_url(name)


__all__ = ["APP_ROLE", "SHARE_ENV", "Cluster", "ClusterUnavailable", "cluster", "cluster_or_skip",
           "copy_strategy", "new_database", "postgis_template", "share_for_this_run",
           "start_cluster"]
