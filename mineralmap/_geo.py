"""Shared geometry plumbing: the one metric projection, the one ellipsoid, nearest-segment search
and geometry masks.

Every distance the project reports is geodesic on WGS84 (:data:`GEOD`); nearest-feature searches
run in one Lambert conformal conic projection for Pakistan (:data:`METRIC_CRS`), then the winner's
distance is measured geodesically. Nothing here knows about layers, occurrences or Streamlit.
"""

from __future__ import annotations

import functools

import numpy as np
import pyproj
import shapely

from mineralmap._lazy import spatial

#: Metric projection used for nearest-feature search (Lambert conformal conic for Pakistan).
METRIC_PROJ4 = "+proj=lcc +lat_1=27 +lat_2=35 +lat_0=30 +lon_0=69 +datum=WGS84 +units=m +no_defs"
METRIC_CRS = pyproj.CRS.from_proj4(METRIC_PROJ4)
#: Ellipsoid used for every reported distance.
GEOD = pyproj.Geod(ellps="WGS84")


@functools.cache
def _transformer(to_metric: bool) -> pyproj.Transformer:
    """The lon/lat <-> :data:`METRIC_CRS` transformer, built on first use.

    Made from the PROJ pipeline that ``Transformer.from_crs`` chooses (the same operation, the
    same numbers): pyproj re-creates a transformer in every thread that uses it, and enrichment
    runs in thread pools; a pipeline costs ~0.3 ms to re-create, ``from_crs`` ~20 ms (an EPSG
    database look-up). ``import mineralmap`` pays neither.
    """
    pair = ("EPSG:4326", METRIC_CRS) if to_metric else (METRIC_CRS, "EPSG:4326")
    chosen = pyproj.Transformer.from_crs(*pair, always_xy=True)
    return pyproj.Transformer.from_pipeline(chosen.definition)


def missing_or_empty(geoms) -> np.ndarray:
    """Boolean mask: geometry is None/NaN or empty (vectorised over any array-like of geometries).

    Parameters
    ----------
    geoms : array-like of shapely geometries (None, NaN or any other non-geometry value allowed:
        it counts as missing)

    Returns
    -------
    numpy.ndarray of bool
    """
    arr = np.asarray(geoms, dtype=object)
    ok = shapely.is_geometry(arr)
    out = ~ok
    if ok.any():
        out[ok] = shapely.is_empty(arr[ok])
    return out


def has_geometry(geoms) -> np.ndarray:
    """Boolean mask: the inverse of :func:`missing_or_empty`."""
    return ~missing_or_empty(geoms)


def to_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat arrays (degrees) to :data:`METRIC_CRS` metres."""
    x, y = _transformer(True).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_metric`."""
    lon, lat = _transformer(False).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geod_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Vectorised geodesic distance in km (WGS84); NaN where any input is NaN."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2))
    )
    out = np.full(lon1.shape, np.nan)
    ok = np.isfinite(lon1) & np.isfinite(lat1) & np.isfinite(lon2) & np.isfinite(lat2)
    if ok.any():
        _, _, d = GEOD.inv(lon1[ok], lat1[ok], lon2[ok], lat2[ok])
        out[ok] = np.asarray(d) / 1000.0
    return out


# --------------------------------------------------------------------------------------------
# exact nearest segment, vectorised


def inverse_sq_length(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """``1 / (dx² + dy²)`` per segment, 0 for a zero-length segment (for :func:`project_on_segments`)."""
    l2 = dx * dx + dy * dy
    return np.where(l2 > 0, 1.0 / np.where(l2 > 0, l2, 1.0), 0.0)


def project_on_segments(
    px: np.ndarray, py: np.ndarray, ax: np.ndarray, ay: np.ndarray, dx: np.ndarray,
    dy: np.ndarray, inv_l2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthogonal projection of points onto segments ``a -> a + d`` (planar, broadcasting).

    The one copy of the point-to-segment formula in the project.

    Parameters
    ----------
    px, py : numpy.ndarray
        Points.
    ax, ay, dx, dy : numpy.ndarray
        Segment start and direction (end minus start).
    inv_l2 : numpy.ndarray
        :func:`inverse_sq_length` of ``(dx, dy)``.

    Returns
    -------
    tuple of numpy.ndarray
        ``t`` in [0, 1] along each segment (0 for a zero-length one) and the offset ``(ex, ey)``
        from the nearest point on the segment to the point.
    """
    t = ((px - ax) * dx + (py - ay) * dy) * inv_l2
    t = np.clip(t, 0.0, 1.0)
    return t, px - ax - t * dx, py - ay - t * dy


#: k-d tree queries of fewer points run in the calling thread: ``workers=-1`` starts a thread per
#: core (~1 ms), which costs more than a small query (~0.07 ms for a few points).
KD_PARALLEL_MIN_POINTS = 2_000


def kd_workers(n_points: int) -> int:
    """``workers`` for a :class:`scipy.spatial.cKDTree` query of ``n_points`` points (the result
    does not depend on it)."""
    return -1 if n_points >= KD_PARALLEL_MIN_POINTS else 1


class SegmentIndex:
    """Exact planar nearest-segment search for many points (k-d tree on sub-segment midpoints).

    Segments are cut into sub-segments no longer than ``max_len`` (metres, half-length at most
    ``H``). For a point, the sub-segment whose midpoint is nearest gives an upper bound ``d1`` on
    the distance; every sub-segment that could be nearer has its midpoint within ``d1 + H``, so
    all of those are tested exactly (the k nearest midpoints; ``k`` grows for the few points
    whose k-th midpoint is still within that bound). ``benchmarks/bench_nearest.py`` compares
    it with ``shapely.STRtree.query_nearest`` on the same segments of the real roads and
    railways: equally exact (distances agree to 1e-10 m), 1.0-1.6x faster in the exact mode and
    3-6x in the fast mode at 1k-100k points, and 2.7-3.3x faster to build on the roads (two
    runs on 2 shared cores); it is the project's one nearest-segment locator.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(n, 2)`` segment end points in a metric projection.
    max_len : float
        Longest sub-segment (metres).
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, max_len: float = 1000.0) -> None:
        a = np.asarray(a, dtype=float).reshape(-1, 2)
        b = np.asarray(b, dtype=float).reshape(-1, 2)
        length = np.hypot(*(b - a).T)
        nsub = np.maximum(1, np.ceil(length / max_len)).astype(np.int64)
        owner = np.repeat(np.arange(a.shape[0]), nsub)
        k = np.arange(owner.size) - np.repeat(np.cumsum(nsub) - nsub, nsub)
        self.owner = owner
        self.t0 = k / nsub[owner]
        self.t1 = (k + 1) / nsub[owner]
        d = (b - a)[owner]
        self.sa = a[owner] + self.t0[:, None] * d
        self.sb = a[owner] + self.t1[:, None] * d
        self.half = float(np.hypot(*(self.sb - self.sa).T).max() / 2.0) if owner.size else 0.0
        self._ax, self._ay = self.sa[:, 0].copy(), self.sa[:, 1].copy()
        self._dx = self.sb[:, 0] - self._ax
        self._dy = self.sb[:, 1] - self._ay
        self._inv_l2 = inverse_sq_length(self._dx, self._dy)
        self.tree = spatial.cKDTree((self.sa + self.sb) / 2.0, leafsize=64) if owner.size else None

    @property
    def size(self) -> int:
        return int(self.owner.size)

    def _dist(self, p: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance from points ``p`` (m, 2) to sub-segments ``i`` (m,) or (m, c), and t."""
        if i.ndim == 2:
            px, py = p[:, 0:1], p[:, 1:2]
        else:
            px, py = p[:, 0], p[:, 1]
        t, ex, ey = project_on_segments(px, py, self._ax[i], self._ay[i], self._dx[i],
                                        self._dy[i], self._inv_l2[i])
        return np.sqrt(ex * ex + ey * ey), t

    def query(
        self, p: np.ndarray, exact: bool = False, k: int = 4
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Nearest segment for each point.

        Parameters
        ----------
        p : numpy.ndarray
            ``(m, 2)`` points in the same projection.
        exact : bool
            False (default): test the sub-segments of the ``k`` nearest midpoints and their
            neighbours along the line; the distance found exceeds the true planar minimum by at
            most ``half`` (half the longest sub-segment) and in practice by far less. True: the
            exact planar minimum (slower, see the class docstring).
        k : int
            Candidate midpoints per point in the approximate mode.

        Returns
        -------
        tuple of numpy.ndarray
            ``(segment index, t along the original segment from a to b, nearest point (m, 2),
            planar distance)``.
        """
        p = np.asarray(p, dtype=float).reshape(-1, 2)
        m = p.shape[0]
        if self.tree is None or m == 0:
            z = np.zeros(m)
            return np.full(m, -1, dtype=np.int64), z, np.full((m, 2), np.nan), z + np.nan
        n_mid = self.size
        kk = int(min(k, n_mid))
        _, cand = self.tree.query(p, k=kk, workers=kd_workers(m))
        cand = np.asarray(cand, dtype=np.int64).reshape(m, kk)
        # neighbours along the same segment chain (sub-segments are stored in line order)
        cand = np.concatenate([cand, np.clip(cand - 1, 0, n_mid - 1),
                               np.clip(cand + 1, 0, n_mid - 1)], axis=1)
        dist, _ = self._dist(p, cand)
        j = np.argmin(dist, axis=1)
        best = cand[np.arange(m), j]
        bestd = dist[np.arange(m), j]
        todo = np.arange(m) if exact else np.empty(0, dtype=np.int64)
        k = 16
        while todo.size:
            kk = min(k, n_mid)
            radius = bestd[todo] + self.half * (1 + 1e-9) + 1e-6
            dd, ii = self.tree.query(p[todo], k=kk, workers=kd_workers(todo.size))
            dd = dd.reshape(todo.size, kk)
            ii_safe = ii.reshape(todo.size, kk)
            valid = dd <= radius[:, None]
            dist, _ = self._dist(p[todo], ii_safe)
            j = np.argmin(dist, axis=1)
            cand_d = dist[np.arange(todo.size), j]
            better = cand_d < bestd[todo]
            bestd[todo[better]] = cand_d[better]
            best[todo[better]] = ii_safe[np.arange(todo.size), j][better]
            if kk >= n_mid:
                break
            todo = todo[valid[:, -1]]  # the bound may hold more candidates than k
            k *= 4
        dist, t_sub = self._dist(p, best)
        t = self.t0[best] + t_sub * (self.t1[best] - self.t0[best])
        q = self.sa[best] + t_sub[:, None] * (self.sb[best] - self.sa[best])
        return self.owner[best], t, q, dist


__all__ = ["GEOD", "KD_PARALLEL_MIN_POINTS", "METRIC_CRS", "METRIC_PROJ4", "SegmentIndex", "geod_km",
           "has_geometry", "inverse_sq_length", "kd_workers", "missing_or_empty", "project_on_segments", "to_lonlat",
           "to_metric"]
