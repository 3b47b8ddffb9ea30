"""Heavy optional libraries imported on first use, not when mineralmap is imported.

``import mineralmap.catalog`` (what every CLI call and the app start pay) does not need scipy:
only building indexes and networks does; nor argon2 (only signing in) or defusedxml (only
reading KML uploads) or matplotlib (only drawing a brief). Modules write ``from mineralmap._lazy import spatial``
and call ``spatial.cKDTree(...)``; the real module is imported on the first attribute access.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = [
    "LazyModule", "argon2", "argon2_exceptions", "csgraph", "defusedxml", "defusedxml_etree",
    "mpl_collections", "mpl_figure", "mpl_lines", "mpl_patches", "mpl_path", "psycopg",
    "psycopg_json", "psycopg_sql", "pyogrio", "sparse", "spatial", "tqdm_auto", "xml_etree",
]


class LazyModule:
    """Stand-in for a module that imports it on first attribute access.

    Parameters
    ----------
    name : str
        Dotted module name, e.g. ``"scipy.spatial"``.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # copy/pickle/inspect probes must not trigger an import
            raise AttributeError(attr)
        module = self.__dict__.get("_module")
        if module is None:
            module = importlib.import_module(self.__dict__["_name"])
            self._module = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self.__dict__.get("_module") is not None else "not imported yet"
        return f"<lazy module {self._name!r} ({state})>"


#: :mod:`scipy.spatial` (k-d trees).
spatial = LazyModule("scipy.spatial")
#: :mod:`scipy.sparse` (graph matrices).
sparse = LazyModule("scipy.sparse")
#: :mod:`scipy.sparse.csgraph` (Dijkstra, components, breadth-first order).
csgraph = LazyModule("scipy.sparse.csgraph")
#: :mod:`pyogrio` (reading source files and uploads, writing GeoPackage/KML).
pyogrio = LazyModule("pyogrio")
#: :mod:`tqdm.auto` (progress bars of ``python -m mineralmap data``; pulls in asyncio).
tqdm_auto = LazyModule("tqdm.auto")
#: :mod:`psycopg` (only with ``MINERALMAP_DATABASE_URL=postgresql://…``).
psycopg = LazyModule("psycopg")
#: :mod:`psycopg.sql` (composed identifiers).
psycopg_sql = LazyModule("psycopg.sql")
#: :mod:`psycopg.types.json` (``Jsonb``).
psycopg_json = LazyModule("psycopg.types.json")
#: :mod:`argon2` (password hashes; only signing in and ``hash-password`` need it).
argon2 = LazyModule("argon2")
#: :mod:`argon2.exceptions`.
argon2_exceptions = LazyModule("argon2.exceptions")
#: :mod:`defusedxml` (its exception base class).
defusedxml = LazyModule("defusedxml")
#: :mod:`defusedxml.ElementTree` (parsing uploaded KML safely).
defusedxml_etree = LazyModule("defusedxml.ElementTree")
#: :mod:`xml.etree.ElementTree` (its ``ParseError``).
xml_etree = LazyModule("xml.etree.ElementTree")
#: :mod:`matplotlib.figure` (the brief's map and chart; matplotlib costs ~0.3 s to import).
mpl_figure = LazyModule("matplotlib.figure")
#: :mod:`matplotlib.collections`.
mpl_collections = LazyModule("matplotlib.collections")
#: :mod:`matplotlib.lines`.
mpl_lines = LazyModule("matplotlib.lines")
#: :mod:`matplotlib.patches`.
mpl_patches = LazyModule("matplotlib.patches")
#: :mod:`matplotlib.path`.
mpl_path = LazyModule("matplotlib.path")
