"""The PostgreSQL/PostGIS implementation of the dataset store (issue 12).

``MINERALMAP_DATABASE_URL=postgresql://user:password@host:5432/dbname`` makes
:func:`mineralmap.store.open_store` return a :class:`PostgresStore`: the same
:class:`mineralmap.store.Store` protocol as the embedded SQLite store (versions, rows,
version_rows, audit log; append-only; version 1 = the bundled curated table), in a database that
several app servers share and that the IT department can back up, replicate and open in QGIS.

Schema
------
Created and migrated by the project: :data:`PG_MIGRATIONS` are numbered SQL scripts, each applied
in one transaction and recorded in ``mm_schema_migrations`` (number, description, time). Starting
the app again applies nothing; two servers starting at once serialise on an advisory lock. Besides
the tables of the SQLite store, every stored occurrence row carries a PostGIS point
(``version_rows.geom``, ``geometry(Point, 4326)``, GiST-indexed, also as geography), so region
queries run in the database (:mod:`mineralmap.postgis`).

Concurrency and failures
------------------------
A publish or restore is one transaction holding a per-dataset advisory lock: two publishes at once
land as two versions (or the later one is refused with :class:`~mineralmap.store.StoreConflictError`
when it names ``expected_parent``); a killed process leaves nothing behind (PostgreSQL rolls the
transaction back). A database that cannot be reached raises :class:`StoreUnavailableError` whose
message names host, port and database but never the password; the store reconnects by itself on
the next call (idle connections are pooled; a broken one is dropped and the read retried once).

The app's database role needs no superuser rights: it owns its database (or schema); only
``CREATE EXTENSION postgis`` is done once by an administrator (``docs/deploying.md``).
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np

from mineralmap._lazy import psycopg
from mineralmap.config import Settings
from mineralmap.schema import OCCURRENCE_COLUMNS
from mineralmap.store import (
    BACKENDS,
    BUSY_TIMEOUT_S,
    DEFAULT_DATASET,
    BaseStore,
    StoreConflictError,
    StoreError,
    _content_hash,
)

#: URL schemes this backend serves.
SCHEMES: tuple[str, ...] = ("postgresql", "postgres")
#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT_S = 5
#: Idle connections kept per store.
POOL_SIZE = 4
#: Rows per COPY chunk (a progress callback runs after each).
COPY_CHUNK = 5000
#: Index of lon, lat, province, district, name in a stored row (a JSON array in schema order).
COL_INDEX: dict[str, int] = {c: i for i, c in enumerate(OCCURRENCE_COLUMNS)}

#: Numbered migrations: (description, SQL). Applied in order, one transaction each, recorded in
#: ``mm_schema_migrations``. Never edit an applied migration: append a new one.
PG_MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("dataset versions, rows, audit log (append-only)", """
    CREATE TABLE versions(
        id bigserial PRIMARY KEY,
        dataset text NOT NULL,
        number integer NOT NULL CHECK (number >= 1),
        created_at text NOT NULL,
        actor text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('initial', 'bundled', 'import', 'restore')),
        note text NOT NULL CHECK (length(btrim(note)) > 0),
        source_name text NOT NULL,
        source_sha256 text NOT NULL,
        parent_id bigint REFERENCES versions(id),
        restored_from integer,
        n_rows integer NOT NULL,
        added integer NOT NULL,
        changed integer NOT NULL,
        removed integer NOT NULL,
        content_sha256 text NOT NULL,
        UNIQUE (dataset, number)
    );
    CREATE TABLE rows(hash text PRIMARY KEY, data jsonb NOT NULL);
    CREATE TABLE version_rows(
        version_id bigint NOT NULL REFERENCES versions(id),
        pos integer NOT NULL,
        occ_id text NOT NULL,
        row_hash text NOT NULL REFERENCES rows(hash),
        geom geometry(Point, 4326),
        PRIMARY KEY (version_id, pos),
        UNIQUE (version_id, occ_id)
    );
    CREATE INDEX version_rows_geom ON version_rows USING gist (geom);
    CREATE INDEX version_rows_geog ON version_rows USING gist ((geom::geography));
    CREATE TABLE audit(
        id bigserial PRIMARY KEY,
        at double precision NOT NULL,
        at_text text NOT NULL,
        actor text NOT NULL,
        event text NOT NULL,
        dataset text NOT NULL,
        detail text NOT NULL
    );
    CREATE INDEX audit_actor_event ON audit(actor, event, at);
    CREATE FUNCTION mm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$;
    CREATE TRIGGER versions_append_only BEFORE UPDATE OR DELETE ON versions
        FOR EACH ROW EXECUTE FUNCTION mm_append_only('dataset versions are append-only');
    CREATE TRIGGER versions_no_truncate BEFORE TRUNCATE ON versions
        FOR EACH STATEMENT EXECUTE FUNCTION mm_append_only('dataset versions are append-only');
    CREATE TRIGGER version_rows_append_only BEFORE UPDATE OR DELETE ON version_rows
        FOR EACH ROW EXECUTE FUNCTION mm_append_only('dataset versions are append-only');
    CREATE TRIGGER version_rows_no_truncate BEFORE TRUNCATE ON version_rows
        FOR EACH STATEMENT EXECUTE FUNCTION mm_append_only('dataset versions are append-only');
    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION mm_append_only('the audit log is append-only');
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION mm_append_only('the audit log is append-only');
    """),
    ("context layers: provenance of the layers loaded by `python -m mineralmap data`", """
    CREATE TABLE layer_provenance(
        layer text PRIMARY KEY,
        table_name text NOT NULL,
        n_features integer NOT NULL,
        geometry_type text NOT NULL,
        fingerprint text NOT NULL,
        origin text NOT NULL,
        licence text NOT NULL,
        attribution text NOT NULL,
        manifest jsonb NOT NULL,
        loaded_at text NOT NULL
    );
    """),
)

_MIGRATION_LOCK = 0x6D6D_0001  # advisory lock id while migrating ("mm" 1)


def app_role_grants(role: str, database: str, schema: str = "public") -> list[str]:
    """SQL that gives an app role the least rights the store needs on a migrated database.

    For the hardened set-up (``docs/deploying.md``): an owner role creates and migrates the schema
    (first start, and ``python -m mineralmap data`` for the context layers); the app servers
    connect as ``role``, which may read everything and append versions, rows and audit entries,
    but cannot update, delete, truncate, drop or alter anything.

    Parameters
    ----------
    role, database, schema : str
        Plain SQL identifiers (letters, digits, ``_``).

    Raises
    ------
    StoreError
        An identifier that is not plain.
    """
    for name in (role, database, schema):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
            raise StoreError(f"not a plain SQL identifier: {name!r}")
    return [
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT INSERT ON versions, rows, version_rows, audit TO {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}",
    ]


class StoreUnavailableError(StoreError):
    """The database cannot be reached (or refused the credentials); nothing was changed."""


def redact_url(url: str) -> str:
    """``url`` with its password (and any query string) replaced, for messages and logs.

    Examples
    --------
    >>> redact_url("postgresql://app:s3cret@db.example:5432/mm")
    'postgresql://app:***@db.example:5432/mm'
    """
    try:
        p = urlsplit(str(url))
        host = p.hostname or ""
        port = f":{p.port}" if p.port else ""
    except ValueError:
        return "postgresql://***"
    user = f"{unquote(p.username)}{':***' if p.password is not None else ''}@" \
        if p.username else ""
    return f"{p.scheme}://{user}{host}{port}{p.path}"


def _passwords(url: str) -> list[str]:
    """The password of ``url`` as written and percent-decoded (read from the raw text: URL
    parsers drop tabs and newlines, so the parsed value may differ from what is in the text)."""
    rest = str(url).split("://", 1)[-1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" not in authority:
        return []
    userinfo = authority.rsplit("@", 1)[0]
    if ":" not in userinfo:
        return []
    raw = userinfo.split(":", 1)[1]
    return [p for p in dict.fromkeys((raw, unquote(raw))) if p]


def _scrub(text: str, url: str) -> str:
    """Remove the URL and its password from ``text`` (driver messages may echo them)."""
    out = str(text).replace(str(url), redact_url(url))
    for pw in sorted(_passwords(url), key=len, reverse=True):
        out = out.replace(pw, "***")
    return out


def _connection_problem(exc: BaseException) -> bool:
    """True for a failed or lost connection (not a lock timeout or a serialisation failure)."""
    return isinstance(exc, psycopg.OperationalError) and getattr(exc, "sqlstate", None) in (
        None, "08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03", "28P01",
        "28000", "3D000")


class PostgresStore(BaseStore):
    """Dataset store in PostgreSQL/PostGIS (see the module docstring).

    The version model, publish, restore, diff, the audit log and the bundled version 1 are
    :class:`mineralmap.store.BaseStore`'s (shared with the SQLite store); this class supplies the
    connections (pooled, reconnecting), the schema migrations and the bulk COPY of a publish.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/dbname`` (libpq URL; ``?sslmode=…`` allowed).
    curated_path : pathlib.Path, optional
        Table imported as version 1 when the dataset has no version yet; default the bundled
        ``geodata/occurrences.csv``.
    dataset : str
        Dataset name.
    bundled : bool
        Import the bundled table as version 1 (or a revised one as a new version) when due;
        ``False`` only applies the schema migrations (e.g. for loading context layers).

    Raises
    ------
    StoreUnavailableError
        The database cannot be reached or refused the credentials.
    StoreError
        The schema cannot be created (e.g. PostGIS missing) or is newer than this code.
    """

    _PARAM = "%s"

    def __init__(self, url: str, curated_path: Path | None = None,
                 dataset: str = DEFAULT_DATASET, *, bundled: bool = True) -> None:
        self._url = str(url)
        self.location = redact_url(self._url)
        self.dataset = dataset
        self._curated_path = curated_path
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._migrate()
        if bundled:
            self._ensure_initial()

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r}, dataset={self.dataset!r})"

    # -------------------------------------------------------------- connections
    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True,
                                   application_name="mineralmap")
        except psycopg.Error as exc:
            raise StoreUnavailableError(
                f"the database {self.location} is unreachable: "
                f"{_scrub(str(exc).strip().splitlines()[-1] if str(exc).strip() else exc, self._url)}"
            ) from None

    def _acquire(self) -> tuple[psycopg.Connection, bool]:
        """A connection and whether it came from the pool (so may be stale)."""
        while True:
            try:
                con = self._idle.get_nowait()
            except queue.Empty:
                return self._connect(), False
            if not con.closed and not con.broken and \
                    con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                return con, True
            with contextlib.suppress(Exception):
                con.close()

    def _release(self, con: psycopg.Connection) -> None:
        if con.closed or con.broken or con.info.transaction_status != psycopg.pq.TransactionStatus.IDLE \
                or self._idle.qsize() >= POOL_SIZE:
            with contextlib.suppress(Exception):
                con.close()
            return
        self._idle.put(con)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled autocommit connection (for :mod:`mineralmap.postgis`); driver errors become
        :class:`StoreUnavailableError` / :class:`~mineralmap.store.StoreError` without secrets."""
        con, _ = self._acquire()
        try:
            yield con
        except psycopg.Error as exc:
            with contextlib.suppress(Exception):
                con.close()
            raise self._error(exc) from None
        except BaseException:
            self._release(con)
            raise
        self._release(con)

    def close(self) -> None:
        """Close every idle connection (the store stays usable: it reconnects when asked)."""
        while True:
            try:
                con = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):
                con.close()

    def _error(self, exc: psycopg.Error) -> StoreError:
        text = _scrub(str(exc).strip() or type(exc).__name__, self._url)
        if _connection_problem(exc):
            return StoreUnavailableError(f"the database {self.location} is unreachable: {text}")
        return StoreError(f"the database {self.location} refused the request: {text}")

    def _read(self, fn: Callable[[psycopg.Connection], object]) -> object:
        """Run ``fn(connection)``; a stale pooled connection is replaced and ``fn`` retried once."""
        for attempt in (0, 1):
            con, pooled = self._acquire()
            try:
                out = fn(con)
            except psycopg.Error as exc:
                with contextlib.suppress(Exception):
                    con.close()
                if attempt == 0 and pooled and _connection_problem(exc):
                    continue
                raise self._error(exc) from None
            self._release(con)
            return out
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _write(self) -> Iterator[psycopg.Connection]:
        """One write transaction holding the dataset's advisory lock (rolled back on error)."""
        con, _ = self._acquire()
        try:
            with con.transaction():
                con.execute(f"SET LOCAL lock_timeout = '{int(BUSY_TIMEOUT_S * 1000)}ms'")
                try:
                    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                ("mineralmap:" + self.dataset,))
                except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled) as exc:
                    raise StoreConflictError(
                        "the dataset store is busy with another publish; try again in a moment"
                    ) from exc
                yield con
        except psycopg.Error as exc:
            with contextlib.suppress(Exception):
                con.close()
            raise self._error(exc) from None
        except BaseException:
            self._release(con)
            raise
        self._release(con)

    # -------------------------------------------------------------- schema
    def _migrate(self) -> None:
        """Apply the missing migrations (under an advisory lock); the connection then serves
        the store's first reads (it goes back to the pool)."""
        con = self._connect()
        ok = False
        try:
            con.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
            try:
                # only DDL when something is missing: a role with just SELECT/INSERT grants
                # (the hardened set-up of docs/deploying.md) opens a migrated database
                if not con.execute("SELECT to_regclass('mm_schema_migrations') IS NOT NULL"
                                   ).fetchone()[0]:
                    con.execute("CREATE TABLE mm_schema_migrations(version integer PRIMARY KEY, "
                                "description text NOT NULL, "
                                "applied_at timestamptz NOT NULL DEFAULT now())")
                row = con.execute("SELECT coalesce(max(version), 0) FROM mm_schema_migrations"
                                  ).fetchone()
                done = int(row[0]) if row else 0
                if done > len(PG_MIGRATIONS):
                    raise StoreError(f"the database {self.location} was written by a newer "
                                     f"mineralmap (schema {done}); upgrade mineralmap")
                for i in range(done, len(PG_MIGRATIONS)):
                    desc, sql = PG_MIGRATIONS[i]
                    with con.transaction():
                        con.execute(sql)
                        con.execute("INSERT INTO mm_schema_migrations(version, description) "
                                    "VALUES (%s, %s)", (i + 1, desc))
            finally:
                con.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
            ok = True
        except psycopg.Error as exc:
            raise self._error(exc) from None
        finally:
            if ok:
                self._release(con)
            else:
                con.close()

    def schema_version(self) -> int:
        """Number of migrations applied (``mm_schema_migrations``)."""
        row = self._read(lambda c: c.execute(
            "SELECT coalesce(max(version), 0) FROM mm_schema_migrations").fetchone())
        return int(row[0])  # type: ignore[index]

    # -------------------------------------------------------------- hooks of BaseStore
    def _append(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """An autocommit connection for one audit INSERT (does not wait for a publish)."""
        return self.connection()

    def _decode(self, data: object) -> list[object]:
        return data  # type: ignore[return-value]  # jsonb arrives as a list

    def _store_rows(self, con: psycopg.Connection, vid: int, values: list[list[object]],
                    hashes: list[str], progress: Callable[[float, str], None] | None) -> None:
        """COPY the rows into a temporary stage, then insert new contents into ``rows`` and the
        version's rows with their points into ``version_rows`` (two set-based statements)."""
        con.execute("CREATE TEMP TABLE IF NOT EXISTS mm_stage(pos integer, occ_id text, "
                    "hash text, data jsonb, lon double precision, lat double precision) "
                    "ON COMMIT DELETE ROWS")
        ilon, ilat = COL_INDEX["lon"], COL_INDEX["lat"]
        n = max(1, len(values))
        with con.cursor() as cur:
            for start in range(0, len(values), COPY_CHUNK):
                stop = min(start + COPY_CHUNK, len(values))
                with cur.copy("COPY mm_stage(pos, occ_id, hash, data, lon, lat) FROM STDIN") as cp:
                    for k in range(start, stop):
                        v = values[k]
                        lon, lat = _float_or_none(v[ilon]), _float_or_none(v[ilat])
                        cp.write_row((k, v[0], hashes[k],
                                      json.dumps(v, ensure_ascii=False, separators=(",", ":")),
                                      lon if lat is not None else None,
                                      lat if lon is not None else None))
                if progress is not None:
                    progress(min(1.0, stop / n), f"writing rows {stop}/{n}")
        con.execute("INSERT INTO rows(hash, data) SELECT DISTINCT ON (hash) hash, data "
                    "FROM mm_stage ORDER BY hash ON CONFLICT (hash) DO NOTHING")
        con.execute("INSERT INTO version_rows(version_id, pos, occ_id, row_hash, geom) "
                    "SELECT %s, pos, occ_id, hash, CASE WHEN lon IS NULL THEN NULL ELSE "
                    "ST_SetSRID(ST_MakePoint(lon, lat), 4326) END FROM mm_stage ORDER BY pos",
                    (vid,))
        con.execute("DELETE FROM mm_stage")

    def _after_publish(self) -> None:
        """Refresh the planner's statistics of ``version_rows`` (a publish may double its size;
        with stale statistics the first region queries on the new version pick poor plans until
        autovacuum analyzes the table). Only the table's owner may ANALYZE: an app role with the
        hardened grants leaves it to autovacuum. Best effort: the publish has committed."""
        with contextlib.suppress(StoreError), self.connection() as con:
            owner = con.execute("SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM "
                                "pg_class c WHERE c.oid = 'version_rows'::regclass").fetchone()
            if owner and owner[0]:
                con.execute("ANALYZE version_rows")

    def integrity_ok(self) -> bool:
        """True when every version's row count and content hash match its stored rows."""
        def q(con: psycopg.Connection) -> bool:
            bad = con.execute(
                "SELECT count(*) FROM versions v WHERE v.n_rows <> (SELECT count(*) FROM "
                "version_rows r WHERE r.version_id = v.id)").fetchone()[0]
            if bad:
                return False
            for vid, sha in con.execute("SELECT id, content_sha256 FROM versions").fetchall():
                hs = [h for (h,) in con.execute("SELECT row_hash FROM version_rows WHERE "
                                                "version_id=%s ORDER BY pos", (vid,)).fetchall()]
                if _content_hash(hs) != sha:
                    return False
            return True
        return bool(self._read(q))



def _float_or_none(text: object) -> float | None:
    if text is None or text == "":
        return None
    try:
        f = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def open_postgres_store(settings: Settings) -> PostgresStore:
    """The :class:`PostgresStore` of ``settings.database_url`` (registered with
    :func:`mineralmap.store.open_store` for ``postgresql://`` URLs)."""
    return PostgresStore(settings.database_url,
                         curated_path=Path(settings.geodata_dir) / "occurrences.csv")


for _scheme in SCHEMES:
    BACKENDS[_scheme] = open_postgres_store

__all__ = ["COL_INDEX", "app_role_grants", "PG_MIGRATIONS", "PostgresStore", "SCHEMES", "StoreUnavailableError",
           "open_postgres_store", "redact_url"]
