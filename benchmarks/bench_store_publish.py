"""What a publish computes besides writing rows, at N rows: the counts against the parent from
the stored ``(id, row hash)`` pairs (``store.version_counts``, what ``BaseStore`` does now) vs
diffing the parent's decoded rows (``store.diff_records``, what it did before; the database
read of those rows, which the new way also skips, is not included); the
diff's sort in Python vs pandas' ``sort_values``; and text-column cleaning of a validation
(``curated._text``) in one pass vs pandas' string methods (its path for long columns).

Usage::

    .venv/bin/python benchmarks/bench_store_publish.py [--n 1000,20000] [--repeat 3]

Prints one line per case with the median times and the ratio (baseline / new), measured side by
side in this process. Not part of the test suite (no timed assertions).
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mineralmap import auth, curated, store  # noqa: E402


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _tables(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A parent version of ``n`` text rows and a child with 1 % moved, removed and added."""
    base = store.records_frame(curated.load_occurrences())
    reps = -(-n // len(base))
    old = pd.concat([base] * reps, ignore_index=True).iloc[:n].copy()
    old["id"] = [f"B-{i:07d}" for i in range(n)]
    new = old.copy()
    k = max(1, n // 100)
    new.loc[: k - 1, "lon"] = [repr(float(x) + 0.01) if x else x for x in new.loc[: k - 1, "lon"]]
    added = new.iloc[:k].copy()
    added["id"] = [f"N-{i:07d}" for i in range(k)]
    new = pd.concat([new.iloc[:-k], added], ignore_index=True)
    return old.reset_index(drop=True), new


def _baseline_counts(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, int]:
    d = store.diff_records(old, new)
    return {c: int((d["change"] == c).sum()) for c in ("added", "changed", "removed")}


def _baseline_version_rows(old: pd.DataFrame, new: pd.DataFrame
                           ) -> tuple[dict[str, int], list[list[object]], list[str]]:
    """The previous ``store.version_rows``: the diff of the parent's decoded rows, plus the new
    rows' values and hashes (which both versions compute for storing them)."""
    values = new.to_numpy(dtype=object).tolist()
    return _baseline_counts(old, new), values, [store._row_hash(v) for v in values]


def _parent_read_case(rows: pd.DataFrame
                      ) -> tuple[str, Callable[[], object], Callable[[], object]]:
    """Reading the parent version in an embedded store (a temporary SQLite file): its decoded
    rows (before) vs its (id, row hash) pairs (now)."""
    tmp = Path(tempfile.mkdtemp(prefix="mm_bench_store_"))
    atexit.register(shutil.rmtree, tmp, True)
    db = store.SqliteStore(tmp / store.STORE_FILE)
    db.publish(auth.cli_session("bench"), rows, note="bench", source_name="bench",
               source_sha256="0")
    vid = db.version_id()

    def decoded() -> object:
        return db._read(lambda c: db._records_con(c, vid))

    def pairs() -> object:
        return db._read(lambda c: c.execute("SELECT occ_id, row_hash FROM version_rows WHERE "
                                            "version_id=?", (vid,)).fetchall())
    return "read parent (decoded rows | id, hash pairs)", decoded, pairs


def _pandas_sorted(out: list[dict[str, object]]) -> pd.DataFrame:
    order = {"added": 0, "changed": 1, "removed": 2}
    df = pd.DataFrame(out, columns=list(store.DIFF_COLUMNS))
    for c in ("old_lon", "old_lat", "new_lon", "new_lat"):
        df[c] = df[c].astype(float)
    return df.sort_values(["change", "id"], key=lambda s: s.map(order) if s.name == "change"
                          else s).reset_index(drop=True)


def _pandas_text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", default="1000,20000", help="comma-separated row counts")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    print(f"{'case':<46} {'N':>7} {'baseline ms':>12} {'new ms':>9} {'ratio':>7}")
    for n in (int(x) for x in a.n.split(",")):
        old, new = _tables(n)
        pairs = [(str(v[0]), store._row_hash(v))
                 for v in old.to_numpy(dtype=object).tolist()]
        assert store.version_rows(pairs, new)[0] == _baseline_counts(old, new)
        rows: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("version rows (diff parent rows | hash pairs)",
             lambda o=old, w=new: _baseline_version_rows(o, w),
             lambda p=pairs, w=new: store.version_rows(p, w)),
        ]
        out = store._diff_unique(old.set_index("id", drop=False), new.set_index("id", drop=False))
        pd.testing.assert_frame_equal(store._sorted_diff(out), _pandas_sorted(out))
        rows.append(("diff sort (pandas | python)", lambda d=out: _pandas_sorted(d),
                     lambda d=out: store._sorted_diff(d)))
        name = old["name"].iloc[: min(n, curated._SMALL_COLUMN)]
        rows.append((f"text column of {len(name)} (pandas | one pass)",
                     lambda c=name: _pandas_text(c), lambda c=name: curated._text(c)))
        rows.append(_parent_read_case(new))
        for label, base_fn, new_fn in rows:
            b, m = _median_s(base_fn, a.repeat), _median_s(new_fn, a.repeat)
            print(f"{label:<46} {n:>7} {b * 1000:>12.2f} {m * 1000:>9.2f} {b / m:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
