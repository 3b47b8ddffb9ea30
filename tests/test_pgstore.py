"""PostgreSQL-only behaviour of the PostGIS store (mineralmap/pgstore.py, issue 12): migrations
from an empty database, TRUNCATE refused, occurrence points, the app role's rights and the
hardened grants, credentials never shown, reconnecting after dropped connections.

The behaviour both backends share (publish, restore, diff, append-only, concurrency, …) is tested
once over both in ``tests/test_dataset_store.py``. These tests use the session's throw-away
cluster (``tests/postgis_cluster.py``); they are skipped with a message when PostgreSQL/PostGIS is
not installed, and fail instead under CI.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

import psycopg
import pytest
from backends import changed_rows, fresh_database_url, raw_sql
from hypothesis import given, settings
from hypothesis import strategies as st
from postgis_cluster import cluster_or_skip, copy_strategy, new_database, postgis_template

from mineralmap import auth, pgstore, store
from mineralmap.config import Settings


def _pg(tmp_path: Path) -> pgstore.PostgresStore:
    """The store on a fresh database holding version 1 of the bundled table (a copy of a
    template in which the store was opened once: tests/backends.py); the first start on an
    empty database is test_migrations_on_an_empty_database_are_applied_once."""
    db = store.open_store(Settings(cache_dir=tmp_path / "cache",
                                   database_url=fresh_database_url("postgres", version_1=True)))
    assert isinstance(db, pgstore.PostgresStore)
    return db


@pytest.fixture
def steward() -> auth.StewardSession:
    return auth.cli_session("amina")


def test_migrations_on_an_empty_database_are_applied_once(tmp_path):
    url = new_database(cluster_or_skip())  # PostGIS only: no store schema yet
    db = store.open_store(Settings(cache_dir=tmp_path, database_url=url))
    assert db.schema_version() == len(pgstore.PG_MIGRATIONS)
    again = store.open_store(Settings(cache_dir=tmp_path, database_url=url))
    assert [v.number for v in again.versions()] == [1]
    with psycopg.connect(url) as con:
        rows = con.execute("SELECT version FROM mm_schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(pgstore.PG_MIGRATIONS) + 1))


def test_truncate_is_refused(tmp_path):
    db = _pg(tmp_path)
    for table in ("versions", "version_rows", "audit"):
        with pytest.raises(psycopg.Error, match="append-only"):
            raw_sql(db, f"TRUNCATE {table} CASCADE")
    assert db.current_version().number == 1


# ------------------------------------------------------------------------------- PostGIS extras


def test_postgres_rows_carry_points(tmp_path):
    db = _pg(tmp_path)
    rec = db.records()
    mapped = int(((rec["lon"] != "") & (rec["lat"] != "")).sum())
    with psycopg.connect(db._url) as con:
        n_geom, srid = con.execute(
            "SELECT count(geom), max(ST_SRID(geom)) FROM version_rows WHERE version_id=%s",
            (db.version_id(),)).fetchone()
        first = con.execute("SELECT ST_X(geom), ST_Y(geom) FROM version_rows WHERE "
                            "version_id=%s AND geom IS NOT NULL ORDER BY pos LIMIT 1",
                            (db.version_id(),)).fetchone()
    assert (n_geom, srid) == (mapped, 4326)
    row = rec.loc[rec["lon"] != ""].iloc[0]
    assert first == (float(row["lon"]), float(row["lat"]))


def test_publish_refreshes_the_planner_statistics(tmp_path, steward):
    """After a publish the planner knows the new size of version_rows (no wait for autovacuum)."""
    db = _pg(tmp_path)
    db.publish(steward, changed_rows(db), note="n", source_name="f", source_sha256="0")
    with psycopg.connect(db._url) as con:
        n = con.execute("SELECT count(*) FROM version_rows").fetchone()[0]
        est = con.execute("SELECT reltuples FROM pg_class WHERE relname = 'version_rows'"
                          ).fetchone()[0]
    assert est == n


def test_app_role_is_not_a_superuser(tmp_path):
    db = _pg(tmp_path)
    with psycopg.connect(db._url) as con:
        sup, create_db, create_role = con.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
            "WHERE rolname = current_user").fetchone()
    assert (sup, create_db, create_role) == (False, False, False)


def test_hardened_app_role_can_publish_but_not_rewrite_history(steward):
    """Owner role migrates; the app role gets only pgstore.app_role_grants (docs/deploying.md)."""
    c = cluster_or_skip()
    name = f"hard_{os.getpid()}_{time.time_ns() % 10**6}"
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        con.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                    "'mm_owner') THEN CREATE ROLE mm_owner LOGIN PASSWORD 'owner-pw'; END IF; "
                    "END $$")
        # PostGIS enabled by the administrator (a copy of a database where it ran
        # CREATE EXTENSION postgis), nothing else: the owner role migrates below
        con.execute(f"CREATE DATABASE {name} OWNER mm_owner TEMPLATE {postgis_template(c)}"
                    f"{copy_strategy(con)}")
    with psycopg.connect(c.admin_url(name), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"
                           ).fetchone()[0] == 1
        assert con.execute("SELECT to_regclass('versions')").fetchone()[0] is None
        con.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    owner = c.url("mm_owner", "owner-pw", name)
    pgstore.PostgresStore(owner)
    with psycopg.connect(owner, autocommit=True) as con:
        for stmt in pgstore.app_role_grants("mineralmap_app", name):
            con.execute(stmt)
    db = store.open_store(Settings(database_url=c.app_url(name)))
    assert db.publish(steward, changed_rows(db), note="n", source_name="f",
                      source_sha256="0").number == 2
    for stmt in ("DROP TRIGGER versions_append_only ON versions", "DELETE FROM audit",
                 "UPDATE versions SET note = 'x'", "CREATE TABLE x(i int)"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw_sql(db, stmt)
    with pytest.raises(store.StoreError, match="plain SQL identifier"):
        pgstore.app_role_grants("app; DROP TABLE versions", name)


# ------------------------------------------------------------------------------- failures


def _closed_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_database_never_shows_the_password(caplog):
    c = cluster_or_skip()
    secret = "Zq9-very-secret-password"
    caplog.set_level(logging.DEBUG)
    cases = (f"postgresql://mineralmap_app:{secret}@127.0.0.1:{_closed_port()}/mm",  # no server
             c.url("mineralmap_app", secret, "postgres"))  # wrong password
    for url in cases:
        with pytest.raises(pgstore.StoreUnavailableError) as err:
            store.open_store(Settings(database_url=url))
        text = f"{err.value} {err.value!r} {err.value.__cause__!r} {err.value.__context__!r}"
        assert "unreachable" in text and "mineralmap_app:***@127.0.0.1" in text
        assert secret not in text
        assert isinstance(err.value, store.StoreError)
    assert secret not in caplog.text


def test_store_reconnects_after_the_server_drops_connections(tmp_path):
    db = _pg(tmp_path)
    v = db.current_version()
    c = cluster_or_skip()
    dbname = psycopg.conninfo.conninfo_to_dict(db._url)["dbname"]
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        # this test's database only: the cluster is shared with the other xdist worker's tests
        killed = con.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE usename = 'mineralmap_app' AND datname = %s AND "
                             "pid <> pg_backend_pid()", (dbname,)).fetchone()[0]
    assert killed >= 1  # the store's pooled connection
    assert db.current_version() == v  # the pooled connection was dead: replaced, read retried


@settings(deadline=None)
@given(user=st.text(alphabet=st.characters(codec="ascii", categories=("L", "N")), min_size=1,
                    max_size=12),
       pw=st.text(alphabet=st.characters(codec="ascii", exclude_characters="@/:#?%[]"),
                  min_size=4, max_size=30),
       host=st.sampled_from(["db.example", "127.0.0.1", "pg-1.internal"]),
       port=st.integers(1, 65535))
def test_redact_url_never_keeps_the_password(user, pw, host, port):
    url = f"postgresql://{user}:{pw}@{host}:{port}/mm"
    assert pgstore.redact_url(url) == f"postgresql://{user}:***@{host}:{port}/mm"
    assert pw not in pgstore._scrub(f"failed for {url} with {pw}!", url)
