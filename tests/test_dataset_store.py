"""The dataset store (mineralmap/store.py: the shared :class:`~mineralmap.store.BaseStore` logic)
on both backends: versions, publish, diff, restore, byte-identical exports after a restore,
sessions, notes, stale publishes, append-only tables, the audit log, unknown versions, the
version poll, the bundled version 1 and its revisions, concurrent and killed publishes.

Every behaviour is tested once, through the :class:`mineralmap.store.Store` interface, and runs on
the embedded SQLite file and on PostgreSQL/PostGIS (the ``store_backend`` fixture of
``tests/backends.py`` is parametrised; the PostgreSQL cases use the session's throw-away cluster
and connect as the app's non-superuser role; they are skipped with a message where PostgreSQL
cannot be installed, and fail instead under CI). PostgreSQL-only checks (migrations, grants,
points, credentials, reconnects) are in ``tests/test_pgstore.py``.

Each test starts from the store as its first start leaves it (version 1 = the bundled table): on
PostgreSQL a copy of a template database holding exactly that (``database_url`` below); the first
start itself, on an empty database, is tested on both backends by
``test_version_one_is_the_curated_table_and_reopening_creates_nothing``.
"""

from __future__ import annotations

import copy
import multiprocessing
import signal
import sqlite3
import time
import traceback
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from backends import changed_rows, fresh_database_url, raw_sql
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mineralmap import auth, curated, export, pgstore, store
from mineralmap.config import REPO_ROOT, Settings
from mineralmap.schema import OCCURRENCE_COLUMNS

CURATED = REPO_ROOT / "geodata" / "occurrences.csv"


@pytest.fixture
def database_url(store_backend) -> str:
    """This module's tests start from the store as its first start leaves it (version 1 = the
    bundled table): on PostgreSQL a copy of a template holding it (tests/backends.py)."""
    return fresh_database_url(store_backend, version_1=True)


@pytest.fixture
def cfg(backend_settings) -> Settings:
    return backend_settings


@pytest.fixture
def db(cfg) -> store.Store:
    return store.open_store(cfg)


@pytest.fixture
def steward() -> auth.StewardSession:
    return auth.cli_session("amina")


# ------------------------------------------------------------------------------- behaviour


def test_open_store_picks_the_backend(db, cfg):
    want = pgstore.PostgresStore if cfg.database_url else store.SqliteStore
    assert isinstance(db, want)
    assert isinstance(db, store.Store) and isinstance(db, store.BaseStore)


def test_version_one_is_the_curated_table_and_reopening_creates_nothing(store_backend, tmp_path):
    """The first start of the store on an empty (migrated only) database imports the bundled
    table as version 1; opening it again imports nothing."""
    cfg = Settings(cache_dir=tmp_path / "cache", database_url=fresh_database_url(store_backend))
    db = store.open_store(cfg)
    occ = db.occurrences()
    ref = curated.load_occurrences()
    pd.testing.assert_frame_equal(pd.DataFrame(occ), pd.DataFrame(ref))
    assert occ.crs == ref.crs
    v = db.current_version()
    assert (v.number, v.kind, v.n_rows, v.added) == (1, "initial", len(ref), len(ref))
    again = store.open_store(cfg)
    assert [x.number for x in again.versions()] == [1]
    if isinstance(db, store.SqliteStore):
        path = cfg.cache_dir / store.STORE_FILE
        assert path.is_file()
        con = sqlite3.connect(path)
        try:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            con.close()


def test_publish_diff_restore(db, steward):
    v2 = db.publish(steward, changed_rows(db), note="moved one, removed one, added one",
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


def test_current_number_is_the_newest_version(db, cfg, steward):
    """The cheap poll (one indexed query) agrees with current_version after every write, also
    for another store object on the same database (another app server)."""
    other = store.open_store(cfg)
    assert db.current_number() == other.current_number() == db.current_version().number == 1
    db.publish(steward, changed_rows(db), note="n", source_name="f", source_sha256="0")
    assert other.current_number() == other.current_version().number == 2
    db.restore(steward, 1, note="undo")
    assert other.current_number() == 3


def test_both_backends_store_the_same_content(tmp_path, steward):
    """The same publish gives the same content hash and rows on SQLite and PostgreSQL."""
    a = store.open_store(Settings(cache_dir=tmp_path / "a"))
    b = store.open_store(Settings(cache_dir=tmp_path / "b",
                                  database_url=fresh_database_url("postgres")))
    assert a.current_version().content_sha256 == b.current_version().content_sha256
    va = a.publish(steward, changed_rows(a), note="n", source_name="f", source_sha256="0")
    vb = b.publish(steward, changed_rows(b), note="n", source_name="f", source_sha256="0")
    assert va.content_sha256 == vb.content_sha256
    pd.testing.assert_frame_equal(a.records(), b.records())
    pd.testing.assert_frame_equal(a.diff(1, 2), b.diff(1, 2))


def test_restore_gives_byte_identical_exports(db, steward):
    before = {"geojson": export.geojson_bytes(db.occurrences(1)),
              "records": store.records_frame(db.occurrences(1)).to_csv(index=False)}
    db.publish(steward, changed_rows(db), note="change", source_name="f.csv",
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
    with pytest.raises(auth.AuthError):
        auth.StewardSession(username="x", method="password", issued_at=0, expires_at=1e12)
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
    db.publish(steward, changed_rows(db), note="first", source_name="a", source_sha256="0",
               expected_parent=1)
    with pytest.raises(store.StoreConflictError, match="version 2 was published"):
        db.publish(steward, db.records(1), note="second", source_name="b", source_sha256="0",
                   expected_parent=1)
    with pytest.raises(store.StoreConflictError, match="version 2 was published"):
        db.restore(steward, 1, note="stale restore", expected_parent=1)
    assert db.current_version().number == 2


APPEND_ONLY_TAMPERING = ("UPDATE versions SET note='x'", "DELETE FROM versions",
                         "DELETE FROM version_rows", "UPDATE audit SET actor='x'",
                         "DELETE FROM audit")


def test_versions_and_audit_are_append_only(db, steward):
    """Each statement, run directly on the database after a publish, is refused, and leaves
    the versions, their rows and the audit log as they were (one store, checked after each)."""
    db.publish(steward, changed_rows(db), note="n", source_name="a", source_sha256="0")
    rows = db.records()
    for sql in APPEND_ONLY_TAMPERING:
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            raw_sql(db, sql)
        log = db.audit_log(steward)
        assert list(log["event"]) == ["publish"], sql
        assert "version 2" in log["detail"].iloc[0], sql
        assert [v.number for v in db.versions()] == [2, 1], sql
        pd.testing.assert_frame_equal(db.records(), rows, obj=sql)


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
    with pytest.raises(store.StoreError, match="no version 7"):
        db.restore(auth.cli_session("amina"), 7, note="x")
    with pytest.raises(store.StoreError):
        db.version(True)  # type: ignore[arg-type]


def test_unknown_database_scheme_is_refused_clearly(tmp_path):
    with pytest.raises(store.StoreError, match="not supported"):
        store.open_store(Settings(cache_dir=tmp_path, database_url="mysql://u@h/db"))


@settings(deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
@example(float("nan"))
@example(float("inf"))
@example(float("-inf"))
@example(-0.0)
@example(5e-324)
@example(1.7976931348623157e308)
@example(0.1)
@example(-66.123456789012345)
@example(2.0**53 + 2)
def test_numbers_round_trip_exactly(x):
    df = pd.DataFrame([{c: "" for c in OCCURRENCE_COLUMNS}])
    df["lon"] = [x]
    text = store.records_frame(df)["lon"].iat[0]
    if x != x or x in (float("inf"), float("-inf")):
        assert text == ""
    else:
        assert float(text) == x


def test_occurrences_are_independent_copies(db, steward):
    """Validated versions are kept in memory (store._VALIDATED): every read is a fresh copy,
    and each version reads back its own rows."""
    a = db.occurrences()
    a.loc[0, "name"] = "changed by the caller"
    b = db.occurrences()
    assert b.loc[0, "name"] != "changed by the caller"
    pd.testing.assert_frame_equal(b, db.occurrences(1))
    db.publish(steward, changed_rows(db), note="n", source_name="f", source_sha256="0")
    two = db.occurrences()
    assert "NEW-001" in set(two["id"]) and "NEW-001" not in set(db.occurrences(1)["id"])
    pd.testing.assert_frame_equal(two, store._to_occurrences(db.records(2),
                                                             "dataset occurrences version 2"))


_cell = st.sampled_from(["", "66.5", "29.25", "-0.0", "1e3", "abc", " 7 "])
_row = st.fixed_dictionaries({"id": st.sampled_from([f"X-{i}" for i in range(8)]),
                              "name": st.sampled_from(["a", "b", "<c>"]),
                              "lon": _cell, "lat": _cell,
                              "status": st.sampled_from(["", "occurrence", "mine"])})


def _text_rows(rows: list[dict]) -> pd.DataFrame:
    blank = dict.fromkeys(OCCURRENCE_COLUMNS, "")
    unique = list({r["id"]: {**blank, **r} for r in rows}.values())  # one row per id
    return pd.DataFrame(unique, columns=list(OCCURRENCE_COLUMNS), dtype=object)


@given(st.lists(_row, max_size=8), st.lists(_row, max_size=8))
def test_diff_by_position_equals_diff_by_label(old, new):
    """diff_records reads rows by position when the ids are unique (the stored case); it gives
    exactly what the row-by-row label lookup gives. A publish counts the rows added, changed and
    removed from the parent's stored (id, row hash) pairs: the same counts as that diff."""
    o_rows, n_rows = _text_rows(old), _text_rows(new)
    o = o_rows.set_index("id", drop=False)
    n = n_rows.set_index("id", drop=False)
    d = store._sorted_diff(store._diff_unique(o, n))
    pd.testing.assert_frame_equal(d, store._sorted_diff(store._diff_by_label(o, n)))
    want = {k: int((d["change"] == k).sum()) for k in ("added", "changed", "removed")}
    pairs = [(str(r[0]), store._row_hash(r)) for r in o_rows.to_numpy(dtype=object).tolist()]
    counts, values, hashes = store.version_rows(pairs, n_rows)
    assert counts == want == store.version_rows(o_rows, n_rows)[0]
    assert values == n_rows.to_numpy(dtype=object).tolist() and len(set(hashes)) == len(n_rows)


def test_diff_is_sorted_by_change_then_id_as_pandas_sorts():
    ids = ["b", "B", "a", "", "ä", "z", "中", "\U0001F600", "10", "9", "x", "a"]
    rows = [{"change": ("removed", "added", "changed")[k % 3], "id": i, "name": f"n{k}",
             "old_lon": float(k), "old_lat": 1.0, "new_lon": 2.0, "new_lat": float("nan"),
             "changed_columns": ""} for k, i in enumerate(ids)]
    got = store._sorted_diff(rows)
    order = {"added": 0, "changed": 1, "removed": 2}
    ref = pd.DataFrame(rows, columns=list(store.DIFF_COLUMNS)).sort_values(
        ["change", "id"], key=lambda s: s.map(order) if s.name == "change" else s,
        kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref)
    assert list(got["name"][got["id"] == "a"]) == ["n2", "n11"]  # equal keys keep their order


def test_records_frame_is_text_in_schema_order():
    rows = pd.DataFrame([{c: "" for c in OCCURRENCE_COLUMNS}] * 3)
    rows["lon"] = [66.5, float("nan"), None]
    rows["name"] = ["a", None, float("nan")]
    out = store.records_frame(rows)
    assert list(out.columns) == list(OCCURRENCE_COLUMNS)
    assert isinstance(out.index, pd.RangeIndex) and len(out) == 3
    assert all(pd.api.types.is_object_dtype(t) for t in out.dtypes)
    assert list(out["lon"]) == ["66.5", "", ""] and list(out["name"]) == ["a", "", ""]


def _drop_last_row(csv: Path) -> None:
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]), encoding="utf-8")


def test_revised_bundled_table_becomes_a_version_until_stewards_publish(tmp_path, steward, cfg):
    """A release that revises geodata/occurrences.csv updates a store nobody edited, and never
    overrides what a steward published."""
    geodata = tmp_path / "geodata"
    geodata.mkdir()
    csv = geodata / "occurrences.csv"
    csv.write_bytes(CURATED.read_bytes())
    local = cfg.with_(geodata_dir=geodata)
    n1 = store.open_store(local).current_version().n_rows
    _drop_last_row(csv)
    v2 = store.open_store(local).current_version()
    assert (v2.number, v2.kind, v2.n_rows, v2.removed) == (2, "bundled", n1 - 1, 1)
    assert sorted(v.number for v in store.open_store(local).versions()) == [1, 2]  # no re-import
    db = store.open_store(local)
    db.publish(steward, db.records(), note="steward check", source_name="f.csv",
               source_sha256="cd" * 32)
    _drop_last_row(csv)
    after = store.open_store(local).current_version()
    assert (after.number, after.kind, after.actor) == (3, "import", "amina")


# ------------------------------------------------------------------------------- processes

# Each publisher is a separate OS process (its own connection, its own locks), forked from this
# already-imported test process instead of a fresh interpreter that imports the whole stack again.
_FORK = multiprocessing.get_context("fork")
#: How long a "slow" publisher holds its write transaction open (at its first progress call), so
#: that the other publisher, released at the same moment, has to wait for it.
HOLD_S = 0.25


def _publisher(cfg: Settings, name: str, mode: str, go, out) -> None:
    """Child process: open the store, report READY, wait for ``go``, publish, report."""
    try:
        db = store.open_store(cfg)
        rows = db.records().copy()
        rows.loc[0, "name"] = "renamed by " + name
        s = auth.cli_session(name)
        out.send(("READY",))
        held = []

        def slow(frac: float, msg: str) -> None:
            if mode == "hang":
                out.send(("MID",))
                time.sleep(60)
            if not held:
                held.append(frac)
                time.sleep(HOLD_S)

        go.wait(60)
        try:
            v = db.publish(s, rows, note="by " + name, source_name=name, source_sha256="0",
                           expected_parent=1 if mode == "strict" else None, progress=slow)
            out.send(("OK", v.number))
        except store.StoreConflictError as exc:
            out.send(("CONFLICT", str(exc)))
    except BaseException:  # noqa: BLE001 - reported to the test, which fails with it
        out.send(("ERROR", traceback.format_exc()))
        raise


def _spawn(cfg: Settings, name: str, mode: str, go):
    """Start a publisher process; returns it and the reading end of its pipe."""
    recv, send = _FORK.Pipe(duplex=False)
    proc = _FORK.Process(target=_publisher, args=(cfg, name, mode, go, send), daemon=True)
    proc.start()
    send.close()
    return proc, recv


def _next(recv, timeout: float = 60) -> tuple:
    assert recv.poll(timeout), "the publisher process sent nothing"
    return recv.recv()


@pytest.mark.parametrize("mode", ["lenient", "strict"])
def test_two_concurrent_publishes(cfg, mode):
    db = store.open_store(cfg)
    go = _FORK.Event()
    children = [_spawn(cfg, n, mode, go) for n in ("alice", "bilal")]
    for _, recv in children:  # both children have opened the store and wait for "go"
        msg = _next(recv)
        assert msg == ("READY",), msg
    go.set()
    results = [_next(recv, 120) for _, recv in children]
    for proc, _ in children:
        proc.join(120)
    assert all(proc.exitcode == 0 for proc, _ in children), results
    lines = sorted(" ".join(str(x) for x in r) for r in results)
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


def test_killed_publish_leaves_previous_version_intact(cfg, steward):
    db = store.open_store(cfg)
    before = db.records()
    go = _FORK.Event()
    go.set()
    proc, recv = _spawn(cfg, "crash", "hang", go)
    assert _next(recv) == ("READY",)
    msg = _next(recv)
    assert msg == ("MID",), msg
    proc.kill()  # SIGKILL in the middle of the write transaction
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    again = store.open_store(cfg)
    assert again.integrity_ok()
    assert [v.number for v in again.versions()] == [1]
    pd.testing.assert_frame_equal(again.records(), before)
    v = again.publish(steward, changed_rows(again), note="after the crash", source_name="a",
                      source_sha256="0")
    assert v.number == 2


def test_version_info_is_shared_not_copied_by_deepcopy():
    """pandas deep-copies ``attrs`` (where the catalog keeps the version) into derived frames."""
    v = store.VersionInfo(1, "d", "2026-01-01T00:00:00", "a", "import", "n", "f", "s", None, None,
                          1, 1, 0, 0, "c")
    assert copy.deepcopy(v) is v
    df = pd.DataFrame({"x": [1, 2]})
    df.attrs["v"] = v
    assert df[df["x"] > 1].attrs["v"] is v
