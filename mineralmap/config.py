"""One settings object, read from the environment once.

This is the only module of :mod:`mineralmap` that reads ``os.environ``. Everything else asks
:func:`get_settings` (or takes a :class:`Settings` argument), so a test or a caller can build its
own ``Settings(...)`` and pass it down, or change the environment and call :func:`reload_settings`.

Every setting is listed in :data:`SETTINGS` (environment variable, default, meaning); the README's
settings table is checked against it by ``tests/test_config.py``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

#: Repository root (the folder holding ``app.py``, ``geodata/`` and ``mineralmap/``).
REPO_ROOT: Path = Path(__file__).resolve().parents[1]
#: Curated fact tables committed with the project.
GEODATA_DIR: Path = REPO_ROOT / "geodata"


@dataclass(frozen=True)
class Setting:
    """Documentation of one setting: its field, environment variable, default and meaning."""

    field: str
    env: str
    default: str
    meaning: str


#: Every setting, in README order.
SETTINGS: tuple[Setting, ...] = (
    Setting("sources_dir", "MINERALMAP_SOURCES", "`../shared/sources` when it exists",
            "source mirror folder"),
    Setting("cache_dir", "MINERALMAP_CACHE", "`geodata/cache/`",
            "cache folder (GeoParquet layers, enriched occurrences, the embedded store)"),
    Setting("geodata_dir", "MINERALMAP_GEODATA", "`geodata/`",
            "curated fact tables (occurrences, ports, crossings, dry ports, market facts)"),
    Setting("offline", "MINERALMAP_OFFLINE", "unset",
            "`1`: never download upstream origins"),
    Setting("occurrences_file", "MINERALMAP_OCCURRENCES", "unset",
            "extra inventory file (CSV lon/lat, GeoParquet, GeoPackage, GeoJSON)"),
    Setting("demo_scale", "MINERALMAP_DEMO_SCALE", "`0`",
            "add N clearly labelled synthetic points (demo of scale)"),
    Setting("database_url", "MINERALMAP_DATABASE_URL", "unset (embedded SQLite store)",
            "`postgresql://…` selects the PostGIS store"),
)


def _default_sources_dir() -> Path | None:
    cand = REPO_ROOT.parent / "shared" / "sources"
    return cand if cand.is_dir() else None


def _flag(raw: str) -> bool:
    return raw.strip().lower() not in ("", "0", "false", "no", "off")


def _path(raw: str) -> Path | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return Path(raw).expanduser()
    except RuntimeError:  # "~name" of an unknown user, or no home directory: keep it literal
        return Path(raw)


@dataclass(frozen=True)
class Settings:
    """Every setting of mineralmap (see :data:`SETTINGS` for the environment variables).

    Attributes
    ----------
    sources_dir : pathlib.Path or None
        Source mirror; ``None`` when neither ``MINERALMAP_SOURCES`` is set nor
        ``../shared/sources`` exists (then only upstream downloads are possible).
    sources_dir_from_env : bool
        ``sources_dir`` was given explicitly (a missing folder is then an error, not a fallback).
    cache_dir : pathlib.Path
        Cache folder.
    geodata_dir : pathlib.Path
        Folder of the curated CSV tables (tests point it at a toy world).
    offline : bool
        Never download.
    occurrences_file : pathlib.Path or None
        Extra inventory file.
    demo_scale : str
        Raw ``MINERALMAP_DEMO_SCALE`` text (validated by :func:`mineralmap.scale.parse_demo_scale`,
        so that a bad value becomes a banner message, not a crash at import).
    database_url : str
        Storage URL; empty for the embedded store.
    """

    sources_dir: Path | None = None
    sources_dir_from_env: bool = False
    cache_dir: Path = GEODATA_DIR / "cache"
    geodata_dir: Path = GEODATA_DIR
    offline: bool = False
    occurrences_file: Path | None = None
    demo_scale: str = ""
    database_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        src = _path(env.get("MINERALMAP_SOURCES", ""))
        cache = _path(env.get("MINERALMAP_CACHE", ""))
        geodata = _path(env.get("MINERALMAP_GEODATA", ""))
        return cls(
            sources_dir=src if src is not None else _default_sources_dir(),
            sources_dir_from_env=src is not None,
            cache_dir=cache if cache is not None else GEODATA_DIR / "cache",
            geodata_dir=geodata if geodata is not None else GEODATA_DIR,
            offline=_flag(env.get("MINERALMAP_OFFLINE", "")),
            occurrences_file=_path(env.get("MINERALMAP_OCCURRENCES", "")),
            demo_scale=env.get("MINERALMAP_DEMO_SCALE", "").strip(),
            database_url=env.get("MINERALMAP_DATABASE_URL", "").strip(),
        )

    def with_(self, **changes: object) -> Settings:
        """Return a copy with ``changes`` applied (for callers and tests)."""
        return replace(self, **changes)


def _snapshot() -> tuple[str | None, ...]:
    """The raw values of every variable of :data:`SETTINGS` (``None`` when unset)."""
    return tuple(os.environ.get(s.env) for s in SETTINGS)


@functools.lru_cache(maxsize=8)
def _settings_for(snapshot: tuple[str | None, ...]) -> Settings:
    return Settings.from_env({s.env: v for s, v in zip(SETTINGS, snapshot, strict=True)
                              if v is not None})


def get_settings() -> Settings:
    """Return the process-wide settings.

    A :class:`Settings` is built once per distinct set of ``MINERALMAP_*`` values and reused
    (a call costs a few dictionary look-ups); when the environment changes (a test's
    ``monkeypatch.setenv``, a benchmark), the next call reflects it.
    """
    return _settings_for(_snapshot())


def reload_settings() -> Settings:
    """Forget every cached :class:`Settings` (e.g. after ``../shared/sources`` appeared) and read
    the environment again."""
    _settings_for.cache_clear()
    return get_settings()


#: How pandas stores text columns in every mineralmap process (see :func:`configure_pandas`).
PANDAS_STRING_STORAGE = "python"


def configure_pandas() -> None:
    """Set the process-wide pandas options that mineralmap runs with.

    Called by each entry point (``app.py``, :func:`mineralmap.cli.main`, and
    ``tests/toy_world.py`` for the tests), never on import: importing the package changes no
    global state.

    Text columns are stored as Python strings (``mode.string_storage = "python"``) instead of
    pandas 3's default Arrow storage. The same values and the same ``str`` dtype result, and
    missing values are still NaN. The app's frames are small (tens to hundreds of rows, 100,000
    in the scale demo), and each rerun filters, indexes and copies them many times. For such
    frames the per-call overhead of the Arrow kernels dominates: ``benchmarks/bench_pages.py``
    measures the page reruns against the commit before this setting.
    """
    import pandas as pd  # the package's modules import pandas themselves; config stays light

    pd.set_option("mode.string_storage", PANDAS_STRING_STORAGE)


def settings_table() -> str:
    """The README's settings table (Markdown), generated from :data:`SETTINGS`."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {s.default} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows)


__all__ = ["GEODATA_DIR", "PANDAS_STRING_STORAGE", "REPO_ROOT", "SETTINGS", "Setting",
           "Settings", "configure_pandas", "get_settings", "reload_settings", "settings_table"]
