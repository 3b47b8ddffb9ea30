"""Nearest-segment search: :class:`mineralmap._geo.SegmentIndex` against ``shapely.STRtree``.

Usage::

    .venv/bin/python benchmarks/bench_nearest.py [--quick] [--json]

Both indexes get the same 2-point segments (the real roads and the active railways of the layer
cache, in :data:`mineralmap._geo.METRIC_CRS`) and answer the same question for uniformly random
points inside Pakistan's provinces (1k, 10k, 100k; ``--quick``: 1k, 10k): the nearest segment,
the fraction along it, the nearest point and the planar distance (the ``SegmentIndex.query``
contract). The STRtree side is ``STRtree.query_nearest(..., all_matches=False,
return_distance=True)`` followed by one vectorised projection onto the winning segment.

Printed per layer and N: build and query seconds (best of 3), the ratio STRtree / SegmentIndex
(> 1: SegmentIndex is faster) and the agreement: largest |distance difference| in metres and the
share of points whose chosen segment differs (ties between segments that meet at a vertex are
legitimate differences; the distance is what must agree). ``SegmentIndex`` runs both modes: exact
(the default up to :data:`mineralmap.network.EXACT_MAX_POINTS` points) and fast (above it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import synthetic  # noqa: E402
from mineralmap._geo import SegmentIndex, to_metric  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)


class StrtreeSegments:
    """Baseline with the :meth:`SegmentIndex.query` contract on a GEOS STRtree of segments."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b
        self.tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))

    def query(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        src, seg = self.tree.query_nearest(shapely.points(p), all_matches=False,
                                           return_distance=False)
        seg = seg[np.argsort(src, kind="stable")]
        a, d = self.a[seg], self.b[seg] - self.a[seg]
        l2 = (d * d).sum(axis=1)
        t = np.where(l2 > 0, ((p - a) * d).sum(axis=1) / np.where(l2 > 0, l2, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        q = a + t[:, None] * d
        return seg, t, q, np.hypot(*(p - q).T)

    def distance_only(self, p: np.ndarray) -> np.ndarray:
        """``query_nearest`` with ``return_distance=True`` alone (no projection step)."""
        (src, _), dist = self.tree.query_nearest(shapely.points(p), all_matches=False,
                                                 return_distance=True)
        return dist[np.argsort(src, kind="stable")]


def segments(layer_name: str) -> tuple[np.ndarray, np.ndarray]:
    """End points ``(a, b)`` of every 2-point segment of a line layer, metric CRS."""
    gdf = synthetic.context_layers()[layer_name]
    if layer_name == "railways" and "active" in gdf.columns:
        gdf = gdf[gdf["active"].fillna(False).astype(bool)]
    parts = shapely.get_parts(np.asarray(gdf.geometry.values, dtype=object))
    xy, part = shapely.get_coordinates(parts, return_index=True)
    x, y = to_metric(xy[:, 0], xy[:, 1])
    xy = np.column_stack([x, y])
    same = part[1:] == part[:-1]
    return xy[:-1][same], xy[1:][same]


def points(n: int, seed: int = 0) -> np.ndarray:
    """``n`` random points inside the real provinces, metric CRS, ``(n, 2)``."""
    occ = synthetic.occurrences(n, seed)
    x, y = to_metric(occ.geometry.x.to_numpy(), occ.geometry.y.to_numpy())
    return np.column_stack([x, y])


def _best(fn, repeat: int):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(quick: bool = False) -> dict:
    """Measure build and query times and agreement; return a dict of numbers."""
    res: dict = {"load_avg_before": os.getloadavg()[0], "layers": {}}
    rep = 1 if quick else 3
    for name in ("roads", "railways"):
        a, b = segments(name)
        t_si, si = _best(lambda a=a, b=b: SegmentIndex(a, b), rep)
        t_st, st = _best(lambda a=a, b=b: StrtreeSegments(a, b), rep)
        lay: dict = {"segments": int(a.shape[0]), "build_segment_index_s": t_si,
                     "build_strtree_s": t_st, "sizes": {}}
        for n in (QUICK_SIZES if quick else SIZES):
            p = points(n)
            t_ex, (s_ex, _, _, d_ex) = _best(lambda p=p, si=si: si.query(p, exact=True), rep)
            t_fa, (_, _, _, d_fa) = _best(lambda p=p, si=si: si.query(p, exact=False), rep)
            t_tr, (s_tr, _, _, d_tr) = _best(lambda p=p, st=st: st.query(p), rep)
            t_td, d_td = _best(lambda p=p, st=st: st.distance_only(p), rep)
            lay["sizes"][n] = {
                "segment_index_exact_s": t_ex,
                "segment_index_fast_s": t_fa,
                "strtree_s": t_tr,
                "strtree_distance_only_s": t_td,
                "ratio_strtree_over_exact": t_tr / t_ex,
                "ratio_strtree_over_fast": t_tr / t_fa,
                "exact_vs_strtree_max_abs_m": float(np.max(np.abs(d_ex - d_tr))),
                "exact_vs_strtree_other_segment_share": float(np.mean(s_ex != s_tr)),
                "strtree_return_distance_max_abs_m": float(np.max(np.abs(d_td - d_tr))),
                "fast_vs_strtree_max_m": float(np.max(d_fa - d_tr)),
                "fast_vs_strtree_share_over_1m": float(np.mean(d_fa - d_tr > 1.0)),
            }
        res["layers"][name] = lay
    res["load_avg_after"] = os.getloadavg()[0]
    return res


def print_result(res: dict) -> None:
    """Print the numbers of :func:`run` as a table."""
    print(f"1-min load average before / after: {res['load_avg_before']:.1f} / "
          f"{res['load_avg_after']:.1f} on {os.cpu_count()} cores (shared machine)")
    for name, lay in res["layers"].items():
        print(f"\n{name}: {lay['segments']:,} segments; build SegmentIndex "
              f"{lay['build_segment_index_s']:.3f} s, STRtree {lay['build_strtree_s']:.3f} s "
              f"(ratio {lay['build_strtree_s'] / lay['build_segment_index_s']:.2f}x)")
        head = (f"{'N':>8} {'SegIdx exact s':>15} {'SegIdx fast s':>14} {'STRtree s':>10} "
                f"{'STR/exact':>10} {'STR/fast':>9} {'max |dd| m':>11} {'other seg':>10} "
                f"{'fast>STR 1m':>12}")
        print(head)
        print("-" * len(head))
        for n, r in lay["sizes"].items():
            print(f"{n:>8,} {r['segment_index_exact_s']:>15.4f} {r['segment_index_fast_s']:>14.4f} "
                  f"{r['strtree_s']:>10.4f} {r['ratio_strtree_over_exact']:>9.2f}x "
                  f"{r['ratio_strtree_over_fast']:>8.2f}x "
                  f"{r['exact_vs_strtree_max_abs_m']:>11.2e} "
                  f"{r['exact_vs_strtree_other_segment_share']:>10.4f} "
                  f"{r['fast_vs_strtree_share_over_1m']:>12.4f}")


def main(argv: list[str] | None = None) -> int:
    return synthetic.cli(run, print_result, argv, description=__doc__.splitlines()[0],
                         quick_help="1k and 10k points, one repeat")


if __name__ == "__main__":
    raise SystemExit(main())
