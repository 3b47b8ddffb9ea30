"""Fixtures that run a test once per dataset-store backend: the embedded SQLite file and
PostgreSQL/PostGIS (issue 12).

Loaded as a plugin by ``tests/toy_world.py`` (``pytest_plugins = ["backends"]``), so any test can
ask for:

* ``store_backend`` — ``"sqlite"`` or ``"postgres"`` (parametrised: every test that uses it, or a
  fixture below, runs twice, with ids ``[sqlite]`` and ``[postgres]``);
* ``database_url`` — ``""`` for SQLite, else the app role's URL of a fresh database;
* ``backend_env`` — the same, also set as ``MINERALMAP_DATABASE_URL`` (unset for SQLite) with
  :func:`mineralmap.config.reload_settings`, for code that reads the settings (pages, CLI);
* ``backend_settings`` — a :class:`~mineralmap.config.Settings` on a private cache folder and that
  database.

Cost: PostgreSQL starts once per test session (``tests/postgis_cluster.py``: a throw-away cluster
in a temporary folder, stopped at exit), and each test gets its own database copied from a template
in which PostGIS is enabled and the store's schema is migrated (≈0.1 s per test instead of ≈1.5 s
for ``CREATE EXTENSION postgis`` per database). A test module may override ``database_url`` with
``fresh_database_url(store_backend, version_1=True)``: a copy of a template that also holds the
bundled version 1, which saves the first import (≈0.2 s) per test. Where PostgreSQL/PostGIS cannot be installed the
``[postgres]`` cases are skipped with the reason; under CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from postgis_cluster import cluster_or_skip, new_database

from mineralmap import config, pgstore, store
from mineralmap.config import Settings

#: Backends every parametrised test runs on.
BACKEND_NAMES: tuple[str, ...] = ("sqlite", "postgres")


def fresh_database_url(backend: str, *, version_1: bool = False) -> str:
    """``""`` for SQLite; for PostgreSQL a new migrated database on the session's cluster.

    ``version_1=True``: the database also holds version 1 of the bundled curated table, as the
    store's first start writes it (copied from a template in which a store was opened once);
    for tests whose claim is not that first import. Use it only with the default geodata folder
    (another curated table would be published over it as a "bundled" version 2).
    """
    if backend == "postgres":
        return new_database(cluster_or_skip(), "mmt", migrated=True, version_1=version_1)
    return ""


@pytest.fixture(params=BACKEND_NAMES)
def store_backend(request) -> str:
    """``"sqlite"`` or ``"postgres"``."""
    return str(request.param)


@pytest.fixture
def database_url(store_backend) -> str:
    """The store's database URL for this test (``""``: the embedded SQLite store)."""
    return fresh_database_url(store_backend)


@pytest.fixture
def backend_env(database_url, monkeypatch) -> str:
    """Point the settings at this test's backend (``MINERALMAP_DATABASE_URL``) and reload them."""
    if database_url:
        monkeypatch.setenv("MINERALMAP_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("MINERALMAP_DATABASE_URL", raising=False)
    config.reload_settings()
    return database_url


@pytest.fixture
def backend_settings(database_url, tmp_path: Path) -> Settings:
    """Settings with a private cache folder and this test's backend."""
    return Settings(cache_dir=tmp_path / "cache",
                    database_url=database_url)  # type: ignore[arg-type]


# ---- helpers for store tests ---------------------------------------------------------------------


def changed_rows(db: store.Store) -> pd.DataFrame:
    """Current rows with the first row moved, the last one dropped and one new row."""
    rows = db.records().copy()
    rows.loc[0, "lon"] = repr(float(rows.loc[0, "lon"] or 66.0) + 0.01)
    new = rows.iloc[[1]].copy()
    new["id"], new["name"] = "NEW-001", "A new site"
    return pd.concat([rows.iloc[:-1], new], ignore_index=True)


def raw_sql(db: store.Store, sql: str) -> None:
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


__all__ = ["changed_rows", "raw_sql", "BACKEND_NAMES", "backend_env", "backend_settings", "database_url",
           "fresh_database_url", "store_backend"]
