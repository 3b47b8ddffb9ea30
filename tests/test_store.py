"""mineralmap._store: atomic writes, fingerprints and fingerprinted frame caches (real files)."""

from __future__ import annotations

import hashlib
import json
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from mineralmap import _store


@pytest.fixture
def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["a", "b", "c"], "km": [1.5, np.nan, 3.0]},
                            geometry=[Point(65, 29), None, Point(68, 30)], crs="EPSG:4326")


def test_atomic_json_and_bytes(tmp_path):
    target = tmp_path / "deep" / "x.json"
    _store.write_json_atomic({"b": 1, "a": [1, 2]}, target)
    assert json.loads(target.read_text()) == {"a": [1, 2], "b": 1}
    _store.write_bytes_atomic(b"raw", tmp_path / "y.bin")
    assert (tmp_path / "y.bin").read_bytes() == b"raw"
    assert not list(tmp_path.rglob("*.tmp"))


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), _store.atomic_target(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert not list(tmp_path.glob(".*.tmp"))


def test_written_files_follow_the_umask(tmp_path):
    _store.write_bytes_atomic(b"x", tmp_path / "f")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o666 & ~umask


def test_remove_orphan_tmp(tmp_path):
    old = tmp_path / ".a.parquet.0123abcd.tmp"
    new = tmp_path / ".b.parquet.4567ef01.tmp"
    keep = tmp_path / "a.parquet"
    for f in (old, new, keep):
        f.write_bytes(b"x")
    os.utime(old, (1, 1))
    assert _store.remove_orphan_tmp(tmp_path) == 1
    assert not old.exists() and new.exists() and keep.exists()
    assert _store.remove_orphan_tmp(tmp_path / "absent") == 0


def test_read_geoparquet_matches_geopandas(tmp_path, frame):
    path = tmp_path / "f.parquet"
    _store.write_parquet_atomic(frame, path)
    got = _store.read_geoparquet(path)
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(gpd.read_parquet(path).drop(columns="geometry")))
    assert got.crs == frame.crs
    assert got.geometry.equals(frame.geometry)
    metric = frame.to_crs("EPSG:3857")  # other CRS: the geopandas path
    _store.write_parquet_atomic(metric, tmp_path / "m.parquet")
    assert _store.read_geoparquet(tmp_path / "m.parquet").crs == metric.crs


def test_cached_frame_roundtrip_and_staleness(tmp_path, frame):
    path = tmp_path / "c.parquet"
    assert _store.read_cached_frame(path, "fp1") is None  # nothing written yet
    assert _store.write_cached_frame(path, "fp1", frame) is None
    meta = json.loads(_store.sidecar(path).read_text())
    assert meta["fingerprint"] == "fp1" and meta["rows"] == len(frame)
    got = _store.read_cached_frame(path, "fp1", ["id", "km"])
    assert got is not None and list(got["id"]) == list(frame["id"])
    assert _store.read_cached_frame(path, "fp2") is None  # stale
    assert _store.read_cached_frame(path, "fp1", ["id", "absent"]) is None  # lacks a column
    meta["rows"] = 99
    _store.sidecar(path).write_text(json.dumps(meta))
    assert _store.read_cached_frame(path, "fp1") is None  # row count disagrees


def test_corrupt_cached_frame_is_recomputed_not_raised(tmp_path, frame):
    path = tmp_path / "c.parquet"
    _store.write_cached_frame(path, "fp", frame)
    path.write_bytes(b"not parquet")
    assert _store.read_cached_frame(path, "fp") is None
    _store.sidecar(path).write_text("{broken")
    assert _store.read_cached_frame(path, "fp") is None


def test_unwritable_cache_gives_a_note(tmp_path, frame):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    note = _store.write_cached_frame(blocker / "c.parquet", "fp", frame)
    assert note is not None and "c.parquet not cached" in note


def test_prune_keeps_the_newest(tmp_path, frame):
    paths = [tmp_path / f"extra_{i}.parquet" for i in range(5)]
    for i, p in enumerate(paths):
        _store.write_cached_frame(p, f"fp{i}", frame)
        os.utime(p, ns=(i * 10**9, i * 10**9))
    assert _store.prune_cached_frames(tmp_path, "extra_*.parquet", keep=2) == 3
    assert sorted(p.name for p in tmp_path.glob("extra_*.parquet")) == [
        "extra_3.parquet", "extra_4.parquet"]
    assert not _store.sidecar(paths[0]).exists()


def test_frame_hash_sees_values_and_geometry(frame):
    h = _store.frame_hash(frame)
    assert h == _store.frame_hash(frame.copy())
    moved = frame.copy()
    moved.loc[0, "geometry"] = Point(65, 29.0001)
    assert _store.frame_hash(moved) != h
    changed = frame.copy()
    changed.loc[2, "km"] = 3.5
    assert _store.frame_hash(changed) != h


_PART = st.text(alphabet=st.characters(blacklist_characters="\x1f", blacklist_categories=("Cs",)),
                max_size=8)


@given(st.integers(0, 4).flatmap(lambda n: st.tuples(st.lists(_PART, min_size=n, max_size=n),
                                                     st.lists(_PART, min_size=n, max_size=n))))
def test_sha_text_separates_parts(pair):
    a, b = pair  # same number of parts: equal digests exactly when the parts are equal
    assert (_store.sha_text(*a) == _store.sha_text(*b)) == (a == b)


def test_sha_file(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"abc" * 1_000_000)
    assert _store.sha_file(f) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
