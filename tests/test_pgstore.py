"""The dataset store on both backends: the embedded SQLite file and PostgreSQL/PostGIS (issue 12).

Every behaviour check of ``tests/test_dataset_store.py`` (publish, diff, restore, byte-identical
exports after a restore, sessions, notes, stale publishes, append-only, unknown versions,
concurrent and killed publishes, bundled version 1) runs once per backend through the same
:class:`mineralmap.store.Store` interface (the ``db`` fixture is parametrised). The PostgreSQL
cases use a throw-away cluster (``tests/postgis_cluster.py``) and connect as the app's
non-superuser role; they are skipped with a message when PostgreSQL/PostGIS is not installed, and
fail instead under CI.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from postgis_cluster import cluster_or_skip, new_database

from mineralmap import auth, curated, export, pgstore, store
from mineralmap.config import REPO_ROOT, Settings

CURATED = REPO_ROOT / "geodata" / "occurrences.csv"
BACKENDS = ["sqlite", "postgres"]


def _settings(backend: str, tmp_path: Path, **kw: object) -> Settings:
    if backend == "postgres":
        return Settings(cache_dir=tmp_path / "cache", database_url=new_database(cluster_or_skip()),
                        **kw)  # type: ignore[arg-type]
    return Settings(cache_dir=tmp_path / "cache", **kw)  # type: ignore[arg-type]


@pytest.fixture(params=BACKENDS)
def cfg(request, tmp_path) -> Settings:
    return _settings(request.param, tmp_path)


@pytest.fixture
def db(cfg) -> store.Store:
    return store.open_store(cfg)


@pytest.fixture
def steward() -> auth.StewardSession:
    return auth.cli_session("amina")


def _changed_rows(db: store.Store) -> pd.DataFrame:
    """Current rows with the first row moved, the last one dropped and one new row."""
    rows = db.records().copy()
    rows.loc[0, "lon"] = repr(float(rows.loc[0, "lon"] or 66.0) + 0.01)
    new = rows.iloc[[1]].copy()
    new["id"], new["name"] = "NEW-001", "A new site"
    return pd.concat([rows.iloc[:-1], new], ignore_index=True)


def _raw_sql(db: store.Store, sql: str) -> None:
    """Run ``sql`` directly on the backend's database (bypassing the store)."""
    if isinstance(db, pgstore.PostgresStore):
        with psycopg.connect(db._url, autocommit=True) as con:
            con.execute(sql)
    else:
        con = sqlite3.connect(db.path)  # type: ignore[attr-defined]
        try:
            con.execute(sql)
        finally:
            con.close()


# ------------------------------------------------------------------------------- behaviour


def test_open_store_picks_the_backend(db, cfg):
    want = pgstore.PostgresStore if cfg.database_url else store.SqliteStore
    assert isinstance(db, want)
    assert isinstance(db, store.Store)


def test_version_one_is_the_curated_table_and_reopening_creates_nothing(db, cfg):
    occ = db.occurrences()
    ref = curated.load_occurrences()
    pd.testing.assert_frame_equal(pd.DataFrame(occ), pd.DataFrame(ref))
    assert occ.crs == ref.crs
    v = db.current_version()
    assert (v.number, v.kind, v.n_rows, v.added) == (1, "initial", len(ref), len(ref))
    again = store.open_store(cfg)
    assert [x.number for x in again.versions()] == [1]
    if isinstance(db, pgstore.PostgresStore):
        assert again.schema_version() == len(pgstore.PG_MIGRATIONS)
        with psycopg.connect(db._url) as con:
            rows = con.execute("SELECT version FROM mm_schema_migrations ORDER BY version"
                               ).fetchall()
        assert [r[0] for r in rows] == list(range(1, len(pgstore.PG_MIGRATIONS) + 1))


def test_publish_diff_restore(db, steward):
    v2 = db.publish(steward, _changed_rows(db), note="moved one, removed one, added one",
                    source_name="f.csv", source_sha256="ab" * 32)
    assert (v2.number, v2.added, v2.changed, v2.removed) == (2, 1, 1, 1)
    assert v2.actor == "amina" and v2.parent == 1
    d = db.diff(1, 2)
    assert dict(d["change"].value_counts()) == {"added": 1, "changed": 1, "removed": 1}
    moved = d.loc[d["change"] == "changed"].iloc[0]
    assert moved["changed_columns"] == "lon" and moved["new_lon"] != moved["old_lon"]
    v3 = db.restore(steward, 1, note="undo")
    assert (v3.number, v3.kind, v3.restored_from) == (3, "restore", 1)
    assert v3.content_sha256 == db.version(1).content_sha256
    assert (v3.added, v3.changed, v3.removed) == (1, 1, 1)
    assert db.diff(1, 3).empty


def test_both_backends_store_the_same_content(tmp_path, steward):
    """The same publish gives the same content hash and rows on SQLite and PostgreSQL."""
    a = store.open_store(_settings("sqlite", tmp_path / "a"))
    b = store.open_store(_settings("postgres", tmp_path / "b"))
    assert a.current_version().content_sha256 == b.current_version().content_sha256
    va = a.publish(steward, _changed_rows(a), note="n", source_name="f", source_sha256="0")
    vb = b.publish(steward, _changed_rows(b), note="n", source_name="f", source_sha256="0")
    assert va.content_sha256 == vb.content_sha256
    pd.testing.assert_frame_equal(a.records(), b.records())


def test_restore_gives_byte_identical_exports(db, steward):
    before = {"geojson": export.geojson_bytes(db.occurrences(1)),
              "records": store.records_frame(db.occurrences(1)).to_csv(index=False)}
    db.publish(steward, _changed_rows(db), note="change", source_name="f.csv",
               source_sha256="0" * 64)
    assert export.geojson_bytes(db.occurrences()) != before["geojson"]
    v = db.restore(steward, 1, note="back to the bundled table")
    assert export.geojson_bytes(db.occurrences(v.number)) == before["geojson"]
    assert store.records_frame(db.occurrences()).to_csv(index=False) == before["records"]


def test_every_write_needs_a_live_session(db):
    rows = db.records()
    for bad in (None, "amina", {"username": "amina"}):
        with pytest.raises(auth.AuthError):
            db.publish(bad, rows, note="x", source_name="f", source_sha256="0")  # type: ignore[arg-type]
        with pytest.raises(auth.AuthError):
            db.restore(bad, 1, note="x")  # type: ignore[arg-type]
        with pytest.raises(auth.AuthError):
            db.audit_log(bad)  # type: ignore[arg-type]
    expired = auth.cli_session("amina", ttl_s=0.0)
    with pytest.raises(auth.AuthError, match="expired"):
        db.publish(expired, rows, note="x", source_name="f", source_sha256="0")
    assert [v.number for v in db.versions()] == [1]


def test_note_required_and_rows_must_meet_the_contract(db, steward):
    rows = db.records()
    with pytest.raises(store.StoreError, match="note"):
        db.publish(steward, rows, note="  ", source_name="f", source_sha256="0")
    bad = rows.copy()
    bad.loc[1, "id"] = bad.loc[0, "id"]
    with pytest.raises(Exception, match="duplicate id"):
        db.publish(steward, bad, note="dup", source_name="f", source_sha256="0")
    assert db.current_version().number == 1


def test_expected_parent_refuses_a_stale_publish(db, steward):
    db.publish(steward, _changed_rows(db), note="first", source_name="a", source_sha256="0",
               expected_parent=1)
    with pytest.raises(store.StoreConflictError, match="version 2 was published"):
        db.publish(steward, db.records(1), note="second", source_name="b", source_sha256="0",
                   expected_parent=1)
    assert db.current_version().number == 2


@pytest.mark.parametrize("sql", ["UPDATE versions SET note='x'", "DELETE FROM versions",
                                 "DELETE FROM version_rows", "UPDATE audit SET actor='x'",
                                 "DELETE FROM audit"])
def test_versions_and_audit_are_append_only(db, steward, sql):
    db.publish(steward, _changed_rows(db), note="n", source_name="a", source_sha256="0")
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
        _raw_sql(db, sql)
    log = db.audit_log(steward)
    assert list(log["event"]) == ["publish"]
    assert "version 2" in log["detail"].iloc[0]
    assert [v.number for v in db.versions()] == [2, 1]


def test_truncate_is_refused_on_postgres(tmp_path, steward):
    db = store.open_store(_settings("postgres", tmp_path))
    for table in ("versions", "version_rows", "audit"):
        with pytest.raises(psycopg.Error, match="append-only"):
            _raw_sql(db, f"TRUNCATE {table} CASCADE")
    assert db.current_version().number == 1


def test_audit_and_failed_sign_ins(db, steward):
    t0 = time.time() - 1
    db.record_auth_event("failed sign-in", "bilal", "wrong password")
    db.record_auth_event("sign-in", "amina")
    with pytest.raises(store.StoreError, match="not a sign-in event"):
        db.record_auth_event("publish", "amina")
    assert len(db.failed_sign_ins("bilal", t0)) == 1
    assert db.failed_sign_ins("amina", t0) == []
    assert list(db.audit_log(steward)["event"]) == ["sign-in", "failed sign-in"]


def test_unknown_version(db):
    with pytest.raises(store.StoreError, match="no version 7"):
        db.occurrences(7)
    with pytest.raises(store.StoreError):
        db.version(True)  # type: ignore[arg-type]


def test_revised_bundled_table_becomes_a_version_until_stewards_publish(tmp_path, steward, cfg):
    geodata = tmp_path / "geodata"
    geodata.mkdir()
    csv = geodata / "occurrences.csv"
    csv.write_bytes(CURATED.read_bytes())
    local = cfg.with_(geodata_dir=geodata)
    n1 = store.open_store(local).current_version().n_rows
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]), encoding="utf-8")
    v2 = store.open_store(local).current_version()
    assert (v2.number, v2.kind, v2.n_rows, v2.removed) == (2, "bundled", n1 - 1, 1)
    assert sorted(v.number for v in store.open_store(local).versions()) == [1, 2]


# ------------------------------------------------------------------------------- PostGIS extras


def test_postgres_rows_carry_points(tmp_path):
    db = store.open_store(_settings("postgres", tmp_path))
    assert isinstance(db, pgstore.PostgresStore)
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


def test_app_role_is_not_a_superuser(tmp_path):
    db = store.open_store(_settings("postgres", tmp_path))
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
        con.execute(f"CREATE DATABASE {name} OWNER mm_owner")
    with psycopg.connect(c.admin_url(name), autocommit=True) as con:
        con.execute("CREATE EXTENSION postgis")
        con.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    owner = c.url("mm_owner", "owner-pw", name)
    pgstore.PostgresStore(owner)
    with psycopg.connect(owner, autocommit=True) as con:
        for stmt in pgstore.app_role_grants("mineralmap_app", name):
            con.execute(stmt)
    db = store.open_store(Settings(database_url=c.app_url(name)))
    assert db.publish(steward, _changed_rows(db), note="n", source_name="f",
                      source_sha256="0").number == 2
    for stmt in ("DROP TRIGGER versions_append_only ON versions", "DELETE FROM audit",
                 "UPDATE versions SET note = 'x'", "CREATE TABLE x(i int)"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _raw_sql(db, stmt)
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
    db = store.open_store(_settings("postgres", tmp_path))
    v = db.current_version()
    c = cluster_or_skip()
    with psycopg.connect(c.admin_url(), autocommit=True) as con:
        con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                    "usename = 'mineralmap_app' AND pid <> pg_backend_pid()")
    assert db.current_version() == v  # the pooled connection was dead: replaced, read retried


@settings(max_examples=200, deadline=None)
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


# ------------------------------------------------------------------------------- processes

_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from mineralmap import auth, pgstore, store
    from mineralmap.config import get_settings
    name, mode, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    db = store.open_store(get_settings())
    rows = db.records().copy()
    rows.loc[0, "name"] = "renamed by " + name
    s = auth.cli_session(name)
    def slow(frac, msg):
        if mode == "hang":
            print("MID", flush=True)
            time.sleep(60)
        time.sleep(0.05)
    while not go.exists():
        time.sleep(0.01)
    try:
        v = db.publish(s, rows, note="by " + name, source_name=name, source_sha256="0",
                       expected_parent=1 if mode == "strict" else None, progress=slow)
        print("OK", v.number, flush=True)
    except store.StoreConflictError as exc:
        print("CONFLICT", exc, flush=True)
""")


def _spawn(cfg: Settings, name: str, mode: str, go: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), MINERALMAP_CACHE=str(cfg.cache_dir),
               MINERALMAP_DATABASE_URL=cfg.database_url)
    return subprocess.Popen([sys.executable, "-c", _CHILD, name, mode, str(go)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("mode", ["lenient", "strict"])
def test_two_concurrent_publishes(tmp_path, cfg, mode):
    db = store.open_store(cfg)
    go = tmp_path / "go"
    procs = [_spawn(cfg, n, mode, go) for n in ("alice", "bilal")]
    time.sleep(2.5)  # both children import and open the store, then wait for "go"
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    lines = sorted(o[0].strip() for o in outs)
    if mode == "lenient":
        assert [ln.split()[0] for ln in lines] == ["OK", "OK"]
        assert sorted(int(ln.split()[1]) for ln in lines) == [2, 3]
        assert [v.number for v in db.versions()] == [3, 2, 1]
    else:
        assert [ln.split()[0] for ln in lines] == ["CONFLICT", "OK"]
        assert "nothing was saved" in lines[0]
        assert [v.number for v in db.versions()] == [2, 1]
    assert db.integrity_ok()
    assert len(db.occurrences()) == db.current_version().n_rows


def test_killed_publish_leaves_previous_version_intact(tmp_path, cfg, steward):
    db = store.open_store(cfg)
    before = db.records()
    go = tmp_path / "go"
    go.touch()
    proc = _spawn(cfg, "crash", "hang", go)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert line.strip() == "MID", proc.stderr.read()  # type: ignore[union-attr]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    again = store.open_store(cfg)
    assert again.integrity_ok()
    assert [v.number for v in again.versions()] == [1]
    pd.testing.assert_frame_equal(again.records(), before)
    v = again.publish(steward, _changed_rows(again), note="after the crash", source_name="a",
                      source_sha256="0")
    assert v.number == 2
