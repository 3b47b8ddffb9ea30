"""Dataset store: append-only versions of the occurrence table, their rows and an audit log.

One storage interface, :class:`Store` (a :class:`typing.Protocol`), and its default
implementation :class:`SqliteStore`: an embedded SQLite file next to the cache
(``<cache_dir>/mineralmap.sqlite``), created on first use, WAL journal, foreign keys on. The
PostGIS backend (``database_url = postgresql://…``, :mod:`mineralmap.pgstore`) is a second
implementation of the same protocol; :func:`open_store` picks one from the settings. Both derive
from :class:`BaseStore`, which holds everything they share (publish, restore, diff, the bundled
version 1, the audit log, every query on the common tables); a backend adds only its connections,
migrations and bulk row insert.

Model
-----
* A **version** is a complete occurrence table. Versions are numbered 1, 2, 3 … per dataset and
  never change or disappear (database triggers refuse UPDATE and DELETE). Version 1 of the
  default dataset is the bundled curated table (``geodata/occurrences.csv``), imported on first
  use. Each version records who, when, a required note, the source file's name and SHA-256 and
  the counts of rows added, changed and removed against its parent.
* A **row** is stored once per distinct content (``rows``, keyed by the SHA-256 of its values);
  ``version_rows`` lists the rows of each version in order. Values are stored as text exactly as
  :func:`records_frame` renders them, so a version read back is value-identical to what was
  published (a restored version exports byte-identically).
* **Restore** publishes an old version's rows as a new version.
* The **audit log** records sign-ins, failed sign-ins, publishes and restores.

Writes need a :class:`mineralmap.auth.StewardSession` and run in one ``BEGIN IMMEDIATE``
transaction: two concurrent publishes are serialised (both land as separate versions, or, when the
caller passes ``expected_parent``, the later one is refused with :class:`StoreConflictError`), and
a process killed mid-publish leaves the previous version intact (SQLite rolls the unfinished
transaction back).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd

from mineralmap.auth import StewardSession, require_session
from mineralmap.config import Settings, get_settings
from mineralmap.curated import load_occurrences, validate_occurrences
from mineralmap.errors import MineralmapError
from mineralmap.schema import OCCURRENCE_COLUMNS

#: File name of the embedded store inside the cache folder.
STORE_FILE = "mineralmap.sqlite"
#: The dataset the app shows.
DEFAULT_DATASET = "occurrences"
#: Numeric columns of the occurrence schema (stored as shortest round-trip text).
NUMERIC_COLUMNS: tuple[str, ...] = ("lon", "lat", "precision_km", "ore_tonnage_t")
#: Longest accepted note.
MAX_NOTE_CHARS = 2000
#: Events of the audit log.
AUDIT_EVENTS: tuple[str, ...] = ("sign-in", "failed sign-in", "sign-in refused (locked)",
                                 "sign-out", "publish", "restore")
#: Columns of :meth:`Store.diff` / :func:`diff_records`.
DIFF_COLUMNS: tuple[str, ...] = ("change", "id", "name", "old_lon", "old_lat", "new_lon",
                                 "new_lat", "changed_columns")
#: Key of ``GeoDataFrame.attrs`` under which a frame of occurrences may carry the
#: :class:`VersionInfo` it was read from (:func:`mineralmap.selection.select` then runs region
#: queries on that version in the database, when one is configured).
DATASET_ATTR = "mineralmap_dataset_version"
#: Seconds a writer waits for another writer before giving up.
BUSY_TIMEOUT_S = 30.0

_INITIAL_ACTOR = "mineralmap (bundled curated table)"

#: Schema migrations, applied in order inside one transaction each; ``meta.schema_version`` is
#: the number applied. Never edit an applied migration: append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE versions(
        id INTEGER PRIMARY KEY,
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL CHECK (number >= 1),
        created_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('initial', 'bundled', 'import', 'restore')),
        note TEXT NOT NULL CHECK (length(trim(note)) > 0),
        source_name TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,
        parent_id INTEGER REFERENCES versions(id),
        restored_from INTEGER,
        n_rows INTEGER NOT NULL,
        added INTEGER NOT NULL,
        changed INTEGER NOT NULL,
        removed INTEGER NOT NULL,
        content_sha256 TEXT NOT NULL,
        UNIQUE (dataset, number)
    );
    CREATE TABLE rows(hash TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE version_rows(
        version_id INTEGER NOT NULL REFERENCES versions(id),
        pos INTEGER NOT NULL,
        occ_id TEXT NOT NULL,
        row_hash TEXT NOT NULL REFERENCES rows(hash),
        PRIMARY KEY (version_id, pos),
        UNIQUE (version_id, occ_id)
    );
    CREATE TABLE audit(
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        at_text TEXT NOT NULL,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        dataset TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_actor_event ON audit(actor, event, at);
    CREATE TRIGGER versions_append_only_u BEFORE UPDATE ON versions
        BEGIN SELECT RAISE(ABORT, 'dataset versions are append-only'); END;
    CREATE TRIGGER versions_append_only_d BEFORE DELETE ON versions
        BEGIN SELECT RAISE(ABORT, 'dataset versions are append-only'); END;
    CREATE TRIGGER version_rows_append_only_u BEFORE UPDATE ON version_rows
        BEGIN SELECT RAISE(ABORT, 'dataset versions are append-only'); END;
    CREATE TRIGGER version_rows_append_only_d BEFORE DELETE ON version_rows
        BEGIN SELECT RAISE(ABORT, 'dataset versions are append-only'); END;
    CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
)


class StoreError(MineralmapError):
    """The store cannot be opened or read, or a request names an unknown version."""


class StoreConflictError(StoreError):
    """Another steward published since this change was prepared; nothing was written."""


@dataclass(frozen=True)
class VersionInfo:
    """One dataset version (metadata only).

    Attributes
    ----------
    number : int
        1, 2, 3 … within the dataset.
    dataset : str
    created_at : str
        ISO 8601 UTC time of the publish.
    actor : str
        Steward who published (or the bundled-table marker for version 1).
    kind : str
        ``"initial"``, ``"import"`` or ``"restore"``.
    note : str
        The steward's note.
    source_name, source_sha256 : str
        Uploaded file's name and SHA-256 (for a restore: ``"version N"`` and that version's
        content hash).
    parent : int or None
        Version this one was published on top of.
    restored_from : int or None
        For a restore: the version whose rows were restored.
    n_rows, added, changed, removed : int
        Size of the version and the changes against ``parent``.
    content_sha256 : str
        Hash of the version's rows in order (equal hashes mean equal tables).
    """

    number: int
    dataset: str
    created_at: str
    actor: str
    kind: str
    note: str
    source_name: str
    source_sha256: str
    parent: int | None
    restored_from: int | None
    n_rows: int
    added: int
    changed: int
    removed: int
    content_sha256: str

    def __deepcopy__(self, memo: dict) -> VersionInfo:
        """Itself: every field is immutable. The catalog keeps the version in
        ``occurrences.attrs``, which pandas deep-copies into every frame derived from it."""
        return self

    @property
    def label(self) -> str:
        """Short text for banners and export metadata, e.g. ``"v3 (2025-05-01 10:02 UTC)"``."""
        return f"v{self.number} ({self.created_at[:16].replace('T', ' ')} UTC)"

    def as_metadata(self) -> dict[str, object]:
        """Fields for export metadata (no note: notes are for stewards)."""
        return {"dataset": self.dataset, "dataset_version": self.number,
                "dataset_published_at": self.created_at,
                "dataset_content_sha256": self.content_sha256}


@runtime_checkable
class Store(Protocol):
    """Storage interface of dataset versions, rows and the audit log.

    Read methods are open to everyone; write methods need a live
    :class:`~mineralmap.auth.StewardSession` (else :class:`~mineralmap.auth.AuthError`).
    """

    dataset: str

    def current_version(self) -> VersionInfo:
        """The newest version."""
        ...

    def current_number(self) -> int | None:
        """Number of the newest version (one indexed query: cheap enough to poll)."""
        ...

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        ...

    def version(self, number: int) -> VersionInfo:
        """Version ``number`` (StoreError when unknown)."""
        ...

    def records(self, version: int | None = None) -> pd.DataFrame:
        """Rows of a version as text (see :func:`records_frame`); default current."""
        ...

    def occurrences(self, version: int | None = None) -> gpd.GeoDataFrame:
        """Rows of a version in exactly the curated schema (as :func:`curated.load_occurrences`)."""
        ...

    def diff(self, a: int, b: int) -> pd.DataFrame:
        """Changes from version ``a`` to ``b`` (:data:`DIFF_COLUMNS`)."""
        ...

    def publish(self, session: StewardSession, rows: pd.DataFrame, *, note: str,
                source_name: str, source_sha256: str, expected_parent: int | None = None,
                progress: Callable[[float, str], None] | None = None) -> VersionInfo:
        """Store ``rows`` (a complete table) as a new version."""
        ...

    def restore(self, session: StewardSession, number: int, *, note: str,
                expected_parent: int | None = None) -> VersionInfo:
        """Publish the rows of version ``number`` as a new version."""
        ...

    def audit_log(self, session: StewardSession, limit: int = 500) -> pd.DataFrame:
        """Newest audit entries (at, actor, event, detail)."""
        ...

    def record_auth_event(self, event: str, username: str, detail: str = "") -> None:
        """Append a sign-in related event to the audit log."""
        ...

    def failed_sign_ins(self, username: str, since: float) -> list[float]:
        """Unix times of failed sign-ins of ``username`` since ``since``."""
        ...


# ------------------------------------------------------------------------------------------
# row encoding (shared by every implementation)


def _num_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return ""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(f):
        return ""
    return repr(f)


def records_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Render occurrence rows as text, the form the store keeps.

    Parameters
    ----------
    rows : pandas.DataFrame
        Typed (as :func:`mineralmap.curated.validate_occurrences` returns) or all-text rows with
        every column of :data:`~mineralmap.schema.OCCURRENCE_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        Exactly ``OCCURRENCE_COLUMNS``, object dtype, ``str`` values; numbers as the shortest
        text that reads back to the same float, ``""`` for missing.
    """
    missing = [c for c in OCCURRENCE_COLUMNS if c not in rows.columns]
    if missing:
        raise StoreError(f"rows lack column(s) {', '.join(missing)}")
    data: dict[str, list[str]] = {}
    for c in OCCURRENCE_COLUMNS:
        vals = rows[c].tolist()
        if c in NUMERIC_COLUMNS:
            data[c] = [_num_text(v) for v in vals]
        else:
            data[c] = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                       for v in vals]
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)), columns=list(OCCURRENCE_COLUMNS),
                        dtype=object)


def _row_hash(values: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(values), ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def _content_hash(hashes: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def _to_occurrences(records: pd.DataFrame, source: str) -> gpd.GeoDataFrame:
    return validate_occurrences(records, source=source)


#: Validated rows of recently read versions, keyed by (content hash, source label): a version's
#: rows never change, so reading one again costs a copy instead of a validation.
_VALIDATED: dict[tuple[str, str], gpd.GeoDataFrame] = {}
#: How many versions :data:`_VALIDATED` keeps (the least recently used one is dropped), and up
#: to how many rows (a larger version is validated on every read rather than held twice).
_VALIDATED_KEEP = 4
_VALIDATED_MAX_ROWS = 20_000
_VALIDATED_LOCK = threading.Lock()


def _validated_version(content_sha256: str, source: str,
                       read: Callable[[], pd.DataFrame]) -> gpd.GeoDataFrame:
    """A copy of the validated rows of the version whose content hash is ``content_sha256``;
    ``read()`` gives its text rows when they are not known yet."""
    key = (content_sha256, source)
    with _VALIDATED_LOCK:
        hit = _VALIDATED.pop(key, None)
        if hit is not None:
            _VALIDATED[key] = hit  # most recently used last
    if hit is not None:
        return hit.copy()
    fresh = _to_occurrences(read(), source)
    if len(fresh) <= _VALIDATED_MAX_ROWS:
        with _VALIDATED_LOCK:
            _VALIDATED[key] = fresh.copy()
            while len(_VALIDATED) > _VALIDATED_KEEP:
                del _VALIDATED[next(iter(_VALIDATED))]
    return fresh


def diff_records(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Row-level differences between two text tables (matched by ``id``).

    Parameters
    ----------
    old, new : pandas.DataFrame
        Text rows (:func:`records_frame`).

    Returns
    -------
    pandas.DataFrame
        :data:`DIFF_COLUMNS`: ``change`` is ``added``, ``changed`` or ``removed``; old/new
        coordinates as floats (NaN when absent); ``changed_columns`` lists the columns whose
        value differs (``;``-separated). Sorted by change then id.
    """
    o = old.set_index("id", drop=False)
    n = new.set_index("id", drop=False)
    if o.index.is_unique and n.index.is_unique:
        return _sorted_diff(_diff_unique(o, n))
    return _sorted_diff(_diff_by_label(o, n))


def _diff_by_label(o: pd.DataFrame, n: pd.DataFrame) -> list[dict[str, object]]:
    """:func:`diff_records`'s rows, one ``.loc`` lookup per row (any ids)."""
    out: list[dict[str, object]] = []

    def xy(row: pd.Series | None) -> tuple[float, float]:
        if row is None:
            return (np.nan, np.nan)
        try:
            return (float(row["lon"]) if row["lon"] != "" else np.nan,
                    float(row["lat"]) if row["lat"] != "" else np.nan)
        except ValueError:
            return (np.nan, np.nan)

    for i in n.index.difference(o.index, sort=False):
        r = n.loc[i]
        out.append({"change": "added", "id": i, "name": r["name"], "old_lon": np.nan,
                    "old_lat": np.nan, "new_lon": xy(r)[0], "new_lat": xy(r)[1],
                    "changed_columns": ""})
    for i in o.index.difference(n.index, sort=False):
        r = o.loc[i]
        out.append({"change": "removed", "id": i, "name": r["name"], "old_lon": xy(r)[0],
                    "old_lat": xy(r)[1], "new_lon": np.nan, "new_lat": np.nan,
                    "changed_columns": ""})
    both = n.index.intersection(o.index, sort=False)
    if len(both):
        a = o.loc[both, list(OCCURRENCE_COLUMNS)]
        b = n.loc[both, list(OCCURRENCE_COLUMNS)]
        neq = a.to_numpy(dtype=object) != b.to_numpy(dtype=object)
        for k in np.flatnonzero(neq.any(axis=1)):
            i = both[k]
            cols = [OCCURRENCE_COLUMNS[j] for j in np.flatnonzero(neq[k])]
            (ox, oy), (nx, ny) = xy(o.loc[i]), xy(n.loc[i])
            out.append({"change": "changed", "id": i, "name": n.loc[i, "name"], "old_lon": ox,
                        "old_lat": oy, "new_lon": nx, "new_lat": ny,
                        "changed_columns": ";".join(cols)})
    return out


_CHANGE_ORDER = {"added": 0, "changed": 1, "removed": 2}
_DIFF_XY = ("old_lon", "old_lat", "new_lon", "new_lat")


def _sorted_diff(out: list[dict[str, object]]) -> pd.DataFrame:
    """The diff's rows as a frame of :data:`DIFF_COLUMNS`, sorted by change then id (stable).

    Text ids (every stored table's) are sorted in Python before the frame is built, in the
    order pandas' sort gives them (code point order); any other ids by pandas itself."""
    text_ids = all(isinstance(r["id"], str) for r in out)
    if text_ids:
        out = sorted(out, key=lambda r: (_CHANGE_ORDER[r["change"]], r["id"]))  # type: ignore[index]
    df = pd.DataFrame(out, columns=list(DIFF_COLUMNS))
    for c in _DIFF_XY:
        df[c] = df[c].astype(float)
    if len(df) and not text_ids:
        df = df.sort_values(["change", "id"], key=lambda s: s.map(_CHANGE_ORDER)
                            if s.name == "change" else s).reset_index(drop=True)
    return df


def _xy_pairs(rows: pd.DataFrame) -> np.ndarray:
    """(lon, lat) floats of text rows; NaN for "" and both NaN when either is not a number."""
    out = np.full((len(rows), 2), np.nan)
    for k, (lon, lat) in enumerate(zip(rows["lon"].tolist(), rows["lat"].tolist(), strict=True)):
        try:
            out[k] = (float(lon) if lon != "" else np.nan, float(lat) if lat != "" else np.nan)
        except ValueError:
            pass
    return out


def _diff_unique(o: pd.DataFrame, n: pd.DataFrame) -> list[dict[str, object]]:
    """:func:`diff_records`'s rows when the ids of each table are unique (the stored case):
    the same rows, read by position instead of one ``.loc`` lookup per row."""
    oxy, nxy = _xy_pairs(o), _xy_pairs(n)
    oname, nname = o["name"].tolist(), n["name"].tolist()
    out: list[dict[str, object]] = []
    added = n.index.difference(o.index, sort=False)
    for i, k in zip(added, n.index.get_indexer(added), strict=True):
        out.append({"change": "added", "id": i, "name": nname[k], "old_lon": np.nan,
                    "old_lat": np.nan, "new_lon": nxy[k, 0], "new_lat": nxy[k, 1],
                    "changed_columns": ""})
    removed = o.index.difference(n.index, sort=False)
    for i, k in zip(removed, o.index.get_indexer(removed), strict=True):
        out.append({"change": "removed", "id": i, "name": oname[k], "old_lon": oxy[k, 0],
                    "old_lat": oxy[k, 1], "new_lon": np.nan, "new_lat": np.nan,
                    "changed_columns": ""})
    both = n.index.intersection(o.index, sort=False)
    if len(both):
        ko, kn = o.index.get_indexer(both), n.index.get_indexer(both)
        cols = list(OCCURRENCE_COLUMNS)
        a = o[cols].to_numpy(dtype=object)[ko]
        b = n[cols].to_numpy(dtype=object)[kn]
        neq = a != b
        for k in np.flatnonzero(neq.any(axis=1)):
            out.append({"change": "changed", "id": both[k], "name": nname[kn[k]],
                        "old_lon": oxy[ko[k], 0], "old_lat": oxy[ko[k], 1],
                        "new_lon": nxy[kn[k], 0], "new_lat": nxy[kn[k], 1],
                        "changed_columns": ";".join(OCCURRENCE_COLUMNS[j]
                                                    for j in np.flatnonzero(neq[k]))})
    return out


def version_counts(old: Iterable[tuple[str, str]], new: Iterable[tuple[str, str]]
                   ) -> dict[str, int]:
    """Rows added, changed and removed from one version to another, from their ``(id, row
    hash)`` pairs (ids unique within each, as in every stored version).

    Equal to the counts of :func:`diff_records` on the two tables (a row's hash covers every
    value of the row), without reading or comparing the rows themselves.
    """
    before, after = dict(old), dict(new)
    changed = sum(1 for i, h in after.items() if i in before and before[i] != h)
    both = len(after) - sum(1 for i in after if i not in before)
    return {"added": len(after) - both, "changed": changed, "removed": len(before) - both}


def version_rows(old: pd.DataFrame | Iterable[tuple[str, str]], new: pd.DataFrame
                 ) -> tuple[dict[str, int], list[list[object]], list[str]]:
    """What a new version stores, for every backend: counts added/changed/removed against
    ``old`` (text rows, or the ``(id, row hash)`` pairs of a stored version), the rows' values in
    schema order and each row's content hash."""
    values = new.loc[:, list(OCCURRENCE_COLUMNS)].to_numpy(dtype=object).tolist()
    hashes = [_row_hash(v) for v in values]
    if isinstance(old, pd.DataFrame):
        old_values = old.loc[:, list(OCCURRENCE_COLUMNS)].to_numpy(dtype=object).tolist()
        old = [(str(v[0]), _row_hash(v)) for v in old_values]
    counts = version_counts(old, ((str(v[0]), h) for v, h in zip(values, hashes, strict=True)))
    return counts, values, hashes


def _check_note(note: str) -> str:
    text = (note or "").strip() if isinstance(note, str) else ""
    if not text:
        raise StoreError("a note is required: say what changed and why")
    if len(text) > MAX_NOTE_CHARS:
        raise StoreError(f"the note is longer than {MAX_NOTE_CHARS} characters")
    return text


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_VERSION_COLS = ("number", "dataset", "created_at", "actor", "kind", "note", "source_name",
                 "source_sha256", "parent_id", "restored_from", "n_rows", "added", "changed",
                 "removed", "content_sha256")
_VERSION_SELECT = f"SELECT {', '.join(_VERSION_COLS)} FROM versions"


# ------------------------------------------------------------------------------------------
# the logic every backend shares


class BaseStore:
    """What every backend of :class:`Store` shares: the version model, publish, restore, diff, the
    bundled version 1 and its revisions, the audit log.

    A backend subclasses this and supplies its plumbing (the hooks below); every query here is
    written once, with ``?`` placeholders (:meth:`_sql` adapts them to the driver), and runs on
    the connection a hook hands out, so the same SQL and the same rules run on SQLite and
    PostgreSQL.

    Hooks
    -----
    ``_read(fn)``
        Run ``fn(connection)`` for a read and return its result (driver errors become
        :class:`StoreError`).
    ``_write()``
        Context manager: one write transaction that serialises publishers of this dataset
        (rolled back on any error; :class:`StoreConflictError` when the store stays busy).
    ``_append()``
        Context manager: a connection for one audit INSERT (need not wait for a publish).
    ``_store_rows(con, version_id, values, hashes, progress)``
        Insert a new version's rows into ``rows`` (once per content hash) and ``version_rows``.
    ``_decode(data)``
        A stored row (the ``rows.data`` column) as its list of values.
    ``_after_publish()``
        Optional: runs after a publish or restore has committed.
    ``_PARAM``
        The driver's placeholder (``"?"`` or ``"%s"``).
    """

    dataset: str
    _curated_path: Path | None
    _PARAM = "?"

    # -------------------------------------------------------------- hooks
    def _read(self, fn: Callable[[object], object]) -> object:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self) -> contextlib.AbstractContextManager:  # pragma: no cover - abstract
        raise NotImplementedError

    def _append(self) -> contextlib.AbstractContextManager:  # pragma: no cover - abstract
        raise NotImplementedError

    def _store_rows(self, con: object, vid: int, values: list[list[object]], hashes: list[str],
                    progress: Callable[[float, str], None] | None
                    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _decode(self, data: object) -> list[object]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _after_publish(self) -> None:
        """Called after a publish or restore has committed (a backend may refresh statistics)."""

    # -------------------------------------------------------------- shared SQL
    def _sql(self, text: str) -> str:
        return text if self._PARAM == "?" else text.replace("?", self._PARAM)

    def _x(self, con: object, text: str, args: Sequence[object] = ()) -> object:
        """``con.execute`` with the driver's placeholders (both drivers return a cursor)."""
        return con.execute(self._sql(text), tuple(args))  # type: ignore[attr-defined]

    def _last_kind_sha(self, con: object) -> tuple[str, str] | None:
        row = self._x(con, "SELECT kind, source_sha256 FROM versions WHERE dataset=? ORDER BY "
                      "number DESC LIMIT 1", (self.dataset,)).fetchone()  # type: ignore[attr-defined]
        return None if row is None else (str(row[0]), str(row[1]))

    def _version_id(self, con: object, number: int | None) -> tuple[int, int]:
        if number is None:
            row = self._x(con, "SELECT id, number FROM versions WHERE dataset=? ORDER BY number "
                          "DESC LIMIT 1", (self.dataset,)).fetchone()  # type: ignore[attr-defined]
        else:
            if isinstance(number, bool) or not isinstance(number, (int, np.integer)):
                raise StoreError(f"version must be a whole number, not {number!r}")
            row = self._x(con, "SELECT id, number FROM versions WHERE dataset=? AND number=?",
                          (self.dataset, int(number))).fetchone()  # type: ignore[attr-defined]
        if row is None:
            raise StoreError(f"dataset {self.dataset!r} has no version {number}; "
                             "`python -m mineralmap dataset list` shows the versions")
        return int(row[0]), int(row[1])

    def _records_con(self, con: object, vid: int) -> pd.DataFrame:
        data = self._x(con, "SELECT r.data FROM version_rows v JOIN rows r ON r.hash = "
                       "v.row_hash WHERE v.version_id=? ORDER BY v.pos",
                       (vid,)).fetchall()  # type: ignore[attr-defined]
        return pd.DataFrame([self._decode(d[0]) for d in data],
                            columns=list(OCCURRENCE_COLUMNS), dtype=object)

    def _audit(self, con: object, actor: str, event: str, detail: str) -> None:
        now = time.time()
        self._x(con, "INSERT INTO audit(at, at_text, actor, event, dataset, detail) "
                "VALUES (?,?,?,?,?,?)", (now, _utc(now), actor, event, self.dataset, detail))

    def _check_parent(self, con: object, expected: int | None) -> None:
        if expected is None:
            return
        _, current = self._version_id(con, None)
        if current != expected:
            raise StoreConflictError(
                f"version {current} was published after the version {expected} you reviewed "
                "against; nothing was saved. Reload, review the changes again and publish")

    def _insert_version(self, con: object, rec: pd.DataFrame, *, actor: str, kind: str,
                        note: str, source_name: str, source_sha256: str,
                        restored_from: int | None,
                        progress: Callable[[float, str], None] | None) -> VersionInfo:
        """Write ``rec`` as the next version (inside the caller's write transaction)."""
        parent = self._x(con, "SELECT id, number FROM versions WHERE dataset=? ORDER BY number "
                         "DESC LIMIT 1", (self.dataset,)).fetchone()  # type: ignore[attr-defined]
        old = self._x(con, "SELECT occ_id, row_hash FROM version_rows WHERE version_id=?",
                      (parent[0],)).fetchall() if parent else []  # type: ignore[attr-defined]
        counts, values, hashes = version_rows([(str(i), str(h)) for i, h in old], rec)
        number = (parent[1] + 1) if parent else 1
        now = time.time()
        vid = int(self._x(
            con, "INSERT INTO versions(dataset, number, created_at, actor, kind, note, "
            "source_name, source_sha256, parent_id, restored_from, n_rows, added, changed, "
            "removed, content_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            (self.dataset, number, _utc(now), actor, kind, note, source_name, source_sha256,
             parent[0] if parent else None, restored_from, len(values), counts["added"],
             counts["changed"], counts["removed"], _content_hash(hashes))
        ).fetchone()[0])  # type: ignore[attr-defined]
        self._store_rows(con, vid, values, hashes, progress)
        row = self._x(con, _VERSION_SELECT + " WHERE id=?", (vid,)).fetchone()  # type: ignore[attr-defined]
        return _info(row)

    # -------------------------------------------------------------- bundled version 1
    def _bundled_source(self) -> Path:
        path = self._curated_path
        return Path(path) if path is not None else \
            Path(__file__).resolve().parents[1] / "geodata" / "occurrences.csv"

    def _ensure_initial(self) -> None:
        """Version 1 = the bundled table; later bundled revisions follow while no steward edits.

        When the project ships a revised ``occurrences.csv`` and the current version is still a
        bundled one (no steward has published or restored since), the revision becomes a new
        version (kind ``bundled``). Once stewards publish, their data stays current and a newer
        bundled table is not applied by itself. Several processes opening the store at once
        import it once (the check is repeated inside the write transaction).
        """
        src = self._bundled_source()
        last = self._read(self._last_kind_sha)
        try:
            sha = hashlib.sha256(src.read_bytes()).hexdigest()
        except OSError as exc:
            if last is not None:
                return  # the store has its versions; the bundled file is not needed
            raise StoreError(f"the bundled table {src} is missing or unreadable "
                             f"({exc.strerror or exc}) and the dataset store has no version "
                             "yet") from None
        if not _bundled_update_due(last, sha):  # type: ignore[arg-type]
            return
        occ = load_occurrences(src)
        with self._write() as con:
            last = self._last_kind_sha(con)
            if not _bundled_update_due(last, sha):
                return  # another process did it meanwhile, or a steward published
            self._insert_version(
                con, records_frame(occ), actor=_INITIAL_ACTOR,
                kind="initial" if last is None else "bundled",
                note="bundled curated table" if last is None else
                "bundled curated table revised by a mineralmap release",
                source_name=src.name, source_sha256=sha, restored_from=None, progress=None)

    # -------------------------------------------------------------- reads
    def current_number(self) -> int | None:
        """Number of the newest version (None when there is none): one query on the
        ``(dataset, number)`` index, cheap enough to poll every few seconds."""
        row = self._read(lambda c: self._x(
            c, "SELECT max(number) FROM versions WHERE dataset=?", (self.dataset,)
        ).fetchone())  # type: ignore[attr-defined]
        return None if row is None or row[0] is None else int(row[0])  # type: ignore[index]

    def current_version(self) -> VersionInfo:
        """The newest version of the dataset."""
        return self.version(None)

    def version(self, number: int | None) -> VersionInfo:
        """Version ``number`` (``None``: the newest).

        Raises
        ------
        StoreError
            No such version.
        """
        def q(con: object) -> VersionInfo:
            vid, _ = self._version_id(con, number)
            return _info(self._x(con, _VERSION_SELECT + " WHERE id=?",
                                 (vid,)).fetchone())  # type: ignore[attr-defined]
        return self._read(q)  # type: ignore[return-value]

    def version_id(self, number: int | None = None) -> int:
        """Database id of version ``number`` (default current), for queries on ``version_rows``."""
        return self._read(lambda c: self._version_id(c, number)[0])  # type: ignore[return-value]

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        rows = self._read(lambda c: self._x(c, _VERSION_SELECT + " WHERE dataset=? ORDER BY "
                                            "number DESC", (self.dataset,)).fetchall())  # type: ignore[attr-defined]
        return [_info(r) for r in rows]  # type: ignore[union-attr]

    def records(self, version: int | None = None) -> pd.DataFrame:
        """Rows of ``version`` (default: current) as text, in published order."""
        return self._read(lambda c: self._records_con(c, self._version_id(c, version)[0])
                          )  # type: ignore[return-value]

    def occurrences(self, version: int | None = None) -> gpd.GeoDataFrame:
        """Rows of ``version`` (default: current) in the curated schema.

        Returns
        -------
        geopandas.GeoDataFrame
            Same columns, dtypes and CRS as :func:`mineralmap.curated.load_occurrences`.
        """
        def q(con: object) -> tuple[int, int, str]:
            vid, number = self._version_id(con, version)
            sha = self._x(con, "SELECT content_sha256 FROM versions WHERE id=?",
                          (vid,)).fetchone()[0]  # type: ignore[attr-defined]
            return vid, number, str(sha)
        vid, number, sha = self._read(q)  # type: ignore[misc]
        return _validated_version(
            sha, f"dataset {self.dataset} version {number}",
            lambda: self._read(lambda c: self._records_con(c, vid)))  # type: ignore[arg-type,return-value]

    def diff(self, a: int, b: int) -> pd.DataFrame:
        """Changes from version ``a`` to version ``b`` (:func:`diff_records`)."""
        return diff_records(self.records(a), self.records(b))

    def failed_sign_ins(self, username: str, since: float) -> list[float]:
        """Unix times of failed sign-ins of ``username`` at or after ``since``."""
        rows = self._read(lambda c: self._x(
            c, "SELECT at FROM audit WHERE actor=? AND event='failed sign-in' AND at>=? "
            "ORDER BY at", (str(username), float(since))).fetchall())  # type: ignore[attr-defined]
        return [float(r[0]) for r in rows]  # type: ignore[union-attr]

    def audit_log(self, session: StewardSession, limit: int = 500) -> pd.DataFrame:
        """Newest audit entries first (stewards only).

        Returns
        -------
        pandas.DataFrame
            Columns ``at`` (ISO UTC), ``actor``, ``event``, ``detail``.
        """
        require_session(session)
        n = max(1, min(int(limit), 100_000))
        rows = self._read(lambda c: self._x(
            c, "SELECT at_text, actor, event, detail FROM audit WHERE dataset=? "
            "ORDER BY id DESC LIMIT ?", (self.dataset, n)).fetchall())  # type: ignore[attr-defined]
        return pd.DataFrame(rows, columns=["at", "actor", "event", "detail"])

    # -------------------------------------------------------------- writes
    def record_auth_event(self, event: str, username: str, detail: str = "") -> None:
        """Append a sign-in event (``sign-in``, ``failed sign-in``, …) to the audit log."""
        if event not in AUDIT_EVENTS or event in ("publish", "restore"):
            raise StoreError(f"not a sign-in event: {event!r}")
        with self._append() as con:
            self._audit(con, str(username)[:128], event, str(detail)[:500])

    def publish(self, session: StewardSession, rows: pd.DataFrame, *, note: str,
                source_name: str, source_sha256: str, expected_parent: int | None = None,
                progress: Callable[[float, str], None] | None = None) -> VersionInfo:
        """Store ``rows`` (the complete new table) as a new version, atomically.

        Parameters
        ----------
        session : StewardSession
            The acting steward.
        rows : pandas.DataFrame
            Every column of ``OCCURRENCE_COLUMNS`` (typed or text); must pass
            :func:`mineralmap.curated.validate_occurrences`.
        note : str
            Required: what changed and why.
        source_name, source_sha256 : str
            Uploaded file's name and SHA-256.
        expected_parent : int, optional
            The version the steward reviewed against; when another version was published since,
            nothing is written and :class:`StoreConflictError` is raised.
        progress : callable, optional
            ``progress(fraction, message)`` while rows are written.

        Raises
        ------
        AuthError
            No live steward session.
        StoreError
            Empty note; rows break the occurrence contract (ValidationError).
        StoreConflictError
            ``expected_parent`` is no longer the current version, or the store stayed busy.
        """
        s = require_session(session)
        text = _check_note(note)
        rec = records_frame(validate_occurrences(records_frame(rows), source=source_name or
                                                 "upload"))
        with self._write() as con:
            self._check_parent(con, expected_parent)
            info = self._insert_version(con, rec, actor=s.username, kind="import", note=text,
                                        source_name=str(source_name)[:255],
                                        source_sha256=str(source_sha256)[:64],
                                        restored_from=None, progress=progress)
            self._audit(con, s.username, "publish",
                        f"version {info.number}: {info.n_rows} rows, +{info.added} "
                        f"~{info.changed} -{info.removed}; file {info.source_name} "
                        f"sha256 {info.source_sha256[:12]}; note: {text[:200]}")
        self._after_publish()
        return info

    def restore(self, session: StewardSession, number: int, *, note: str,
                expected_parent: int | None = None) -> VersionInfo:
        """Publish the rows of version ``number`` again, as a new version.

        Raises
        ------
        AuthError, StoreError, StoreConflictError
            As :meth:`publish`; StoreError also for an unknown version.
        """
        s = require_session(session)
        text = _check_note(note)
        with self._write() as con:
            self._check_parent(con, expected_parent)
            vid, num = self._version_id(con, number)
            rec = self._records_con(con, vid)
            src = self._x(con, "SELECT content_sha256 FROM versions WHERE id=?",
                          (vid,)).fetchone()  # type: ignore[attr-defined]
            info = self._insert_version(con, rec, actor=s.username, kind="restore", note=text,
                                        source_name=f"version {num}", source_sha256=src[0],
                                        restored_from=num, progress=None)
            self._audit(con, s.username, "restore",
                        f"version {info.number} restores version {num}: +{info.added} "
                        f"~{info.changed} -{info.removed}; note: {text[:200]}")
        self._after_publish()
        return info


def _bundled_update_due(last: tuple[str, str] | None, sha: str) -> bool:
    """Whether the bundled table (content hash ``sha``) becomes the next version: the store is
    empty, or its newest version is an older bundled table (no steward has published since)."""
    if last is None:
        return True
    return bool(sha) and last[0] in ("initial", "bundled") and last[1] != sha


# ------------------------------------------------------------------------------------------
# SQLite implementation


class SqliteStore(BaseStore):
    """The embedded store (see the module docstring).

    Parameters
    ----------
    path : pathlib.Path
        Database file (created with its folder on first use).
    curated_path : pathlib.Path, optional
        Table imported as version 1 when the dataset has no version yet; default the bundled
        ``geodata/occurrences.csv``.
    dataset : str
        Dataset name.
    """

    def __init__(self, path: Path, curated_path: Path | None = None,
                 dataset: str = DEFAULT_DATASET) -> None:
        self.path = Path(path)
        self.dataset = dataset
        self._curated_path = curated_path
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._conn() as con:
                con.execute("PRAGMA journal_mode=WAL")
            self._migrate()
            self._ensure_initial()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the dataset store {self.path} cannot be opened: {exc}") from exc

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r}, dataset={self.dataset!r})"

    # -------------------------------------------------------------- plumbing (hooks)
    @contextlib.contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA synchronous=FULL")
            yield con
        finally:
            con.close()

    def _read(self, fn: Callable[[sqlite3.Connection], object]) -> object:
        try:
            with self._conn() as con:
                return fn(con)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the dataset store {self.path} cannot be read: {exc}") from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on any error)."""
        with self._conn() as con:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreConflictError(
                    "the dataset store is busy with another publish; try again in a moment"
                ) from exc
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def _append(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._write()

    def _decode(self, data: object) -> list[object]:
        return json.loads(str(data))

    def _store_rows(self, con: sqlite3.Connection, vid: int, values: list[list[object]],
                    hashes: list[str], progress: Callable[[float, str], None] | None) -> None:
        n = max(1, len(values))
        step = max(1, n // 20)
        for start in range(0, len(values), step):
            chunk = range(start, min(start + step, len(values)))
            con.executemany("INSERT OR IGNORE INTO rows(hash, data) VALUES (?, ?)",
                            [(hashes[k], json.dumps(values[k], ensure_ascii=False,
                                                    separators=(",", ":"))) for k in chunk])
            con.executemany("INSERT INTO version_rows(version_id, pos, occ_id, row_hash) "
                            "VALUES (?,?,?,?)",
                            [(vid, k, values[k][0], hashes[k]) for k in chunk])
            if progress is not None:
                progress(min(1.0, (start + len(chunk)) / n), f"writing rows {chunk.stop}/{n}")

    @staticmethod
    def _schema_version(con: sqlite3.Connection) -> int:
        has_meta = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                               "name='meta'").fetchone()
        if not has_meta:
            return 0
        row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        """Apply the missing migrations; a store already up to date is only read (no write
        lock: opening it does not wait for another process's publish)."""
        with self._conn() as con:
            done = self._schema_version(con)
        if done == len(MIGRATIONS):
            return
        with self._write() as con:
            done = self._schema_version(con)
            if done > len(MIGRATIONS):
                raise StoreError(f"{self.path} was written by a newer mineralmap "
                                 f"(schema {done}); upgrade mineralmap")
            for i in range(done, len(MIGRATIONS)):
                for stmt in _statements(MIGRATIONS[i]):
                    con.execute(stmt)
                con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                            (str(i + 1),))

    def integrity_ok(self) -> bool:
        """True when SQLite's ``integrity_check`` and ``foreign_key_check`` find nothing."""
        with self._conn() as con:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return ok and not con.execute("PRAGMA foreign_key_check").fetchall()



def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner ``;``)."""
    out, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _info(row: Sequence[object]) -> VersionInfo:
    d = dict(zip(_VERSION_COLS, row, strict=True))
    return VersionInfo(
        number=int(d["number"]), dataset=str(d["dataset"]), created_at=str(d["created_at"]),
        actor=str(d["actor"]), kind=str(d["kind"]), note=str(d["note"]),
        source_name=str(d["source_name"]), source_sha256=str(d["source_sha256"]),
        parent=None if d["parent_id"] is None else _parent_number(d),
        restored_from=None if d["restored_from"] is None else int(d["restored_from"]),
        n_rows=int(d["n_rows"]), added=int(d["added"]), changed=int(d["changed"]),
        removed=int(d["removed"]), content_sha256=str(d["content_sha256"]),
    )


def _parent_number(d: dict[str, object]) -> int:
    # versions are numbered consecutively within a dataset; the parent is the previous number
    return int(d["number"]) - 1


def store_path(settings: Settings | None = None) -> Path:
    """Path of the embedded store for ``settings`` (default: :func:`get_settings`)."""
    s = settings or get_settings()
    return Path(s.cache_dir) / STORE_FILE


#: Store implementations for database URLs, by URL scheme (``postgresql`` …). A backend module
#: registers its factory here when it is imported (:mod:`mineralmap.pgstore` registers
#: ``postgresql`` and ``postgres``), so this module does not import it (no import cycle).
BACKENDS: dict[str, Callable[[Settings], Store]] = {}


def open_store(settings: Settings | None = None) -> Store:
    """Open the store selected by the settings (created with version 1 on first use).

    Parameters
    ----------
    settings : Settings, optional
        Default :func:`mineralmap.config.get_settings`. ``database_url`` empty: the embedded
        SQLite store in ``cache_dir``; ``postgresql://…``: the PostGIS store (issue 12).

    Raises
    ------
    StoreError
        The database cannot be opened, or the URL names an unsupported backend.
    """
    s = settings or get_settings()
    url = (s.database_url or "").strip()
    if url:
        scheme = url.split(":", 1)[0].lower()
        factory = BACKENDS.get(scheme)
        if factory is None:
            raise StoreError(f"database_url scheme {scheme!r} is not supported by this version; "
                             "unset MINERALMAP_DATABASE_URL to use the embedded store")
        return factory(s)
    return SqliteStore(store_path(s), curated_path=Path(s.geodata_dir) / "occurrences.csv")


__all__ = [
    "AUDIT_EVENTS", "BACKENDS", "BaseStore", "DATASET_ATTR", "DEFAULT_DATASET", "DIFF_COLUMNS", "MIGRATIONS", "STORE_FILE", "SqliteStore",
    "Store", "StoreConflictError", "StoreError", "VersionInfo", "diff_records", "open_store",
    "records_frame", "store_path", "version_counts", "version_rows",
]
