"""URL query parameters of the app: validation of what a shared link asks for.

A link is user input: every parser here returns what can be used plus one human note per value
it ignored, and never raises. The pages show the notes (``st.info``) and go on.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.layers import BASEMAPS

#: Region & export page: admin units, box, radius and its centre, picks.
REGION_PARAMS: tuple[str, ...] = ("rprov", "rdist", "rteh", "rbox", "rradius", "rcentre",
                                  "radd", "rremove")
#: Market & logistics page: the candidate terminal (a minor-port site or lon,lat, and a name).
CANDIDATE_PARAMS: tuple[str, ...] = ("cand", "cand_site", "cand_name")
#: Query parameters owned by pages (not filters); anything else unknown is reported.
PAGE_PARAMS: frozenset[str] = frozenset({"sel", "layers", "basemap", "view", "region", "page",
                                         *REGION_PARAMS, *CANDIDATE_PARAMS})
#: Longest list item or text value a link may carry (longer values are ignored with a note).
MAX_VALUE_CHARS = 200
#: Most items of one list parameter (``rdist=a,b,…``).
MAX_LIST_ITEMS = 200
#: FilterSpec fields whose values must be one of the filter options offered by the sidebar.
CHOICE_FIELDS: tuple[str, ...] = ("provinces", "districts", "commodities", "statuses",
                                  "precisions")
DEFAULT_BASEMAP = "light"
#: Largest zoom a ``view`` parameter may ask for.
MAX_ZOOM = 20.0


def filter_from_params(params: Mapping[str, str | Sequence[str]],
                       options: Mapping[str, Sequence[str]],
                       ignore: Iterable[str] = PAGE_PARAMS) -> tuple[FilterSpec, list[str]]:
    """The sidebar filter a link asks for, restricted to the values the sidebar offers.

    Parameters
    ----------
    params
        Query parameters: key -> string or list of strings (``st.query_params``).
    options
        :func:`mineralmap.filters.filter_options` of the catalog (one list per choice field).
    ignore
        Keys owned by the pages (layer toggles, map view ...), skipped silently.

    Returns
    -------
    tuple[FilterSpec, list[str]]
        The spec (only offered values in its choice fields) and one note per ignored
        parameter or value.
    """
    clean = {str(k): [v] if isinstance(v, str) else [str(x) for x in v]
             for k, v in params.items()}
    clean = {k: v for k, v in clean.items() if v}  # a key without a value says nothing
    try:
        spec, notes = FilterSpec.from_params(clean, ignore=ignore)
    except MineralmapError as exc:  # the parser ignores bad values; keep the page alive anyway
        return FilterSpec(), [f"ignored the filter parameters ({exc})"]
    keep: dict[str, tuple[str, ...]] = {}
    for field in CHOICE_FIELDS:
        asked = getattr(spec, field)
        offered = set(options.get(field, ()))
        keep[field] = tuple(v for v in asked if v in offered)
        dropped = sorted(set(asked) - set(keep[field]))
        if dropped:
            notes.append(f"ignored unknown {field}: {', '.join(dropped)}")
    if keep["provinces"] and keep["districts"]:
        offered = set(district_choices(options, keep["provinces"]))
        outside = [d for d in keep["districts"] if d not in offered]
        if outside:
            notes.append(f"ignored districts not in {' or '.join(keep['provinces'])}: "
                         f"{', '.join(outside)}")
            keep["districts"] = tuple(d for d in keep["districts"] if d in offered)
    return dataclasses.replace(spec, **keep), notes


def district_choices(options: Mapping[str, Sequence[str]], provinces: Iterable[str]) -> list[str]:
    """Districts offered by the sidebar: those of the chosen provinces (all when none is chosen).

    Parameters
    ----------
    options
        :func:`mineralmap.filters.filter_options` (``districts`` and ``districts:<province>``).
    provinces
        Provinces chosen in the sidebar.
    """
    chosen = list(provinces)
    if not chosen:
        return list(options.get("districts", ()))
    return sorted({d for p in chosen for d in options.get(f"districts:{p}", ())})


def filter_param_updates(current: Mapping[str, Sequence[str]], spec: FilterSpec,
                         keep: Collection[str] = PAGE_PARAMS
                         ) -> tuple[list[str], dict[str, str]]:
    """What to change in the URL so that it states ``spec`` (and nothing else about filters).

    Parameters
    ----------
    current
        Query parameters now: key -> list of values.
    spec
        The filter chosen in the sidebar.
    keep
        Keys owned by the pages, never deleted.

    Returns
    -------
    tuple[list[str], dict[str, str]]
        Keys to delete and ``key -> value`` to set (only those that differ).
    """
    wanted = spec.to_params()
    delete = [k for k in current if k not in keep and k not in wanted]
    put = {k: v for k, v in wanted.items() if list(current.get(k, ())) != [v]}
    return delete, put


def parse_layers(raw: str | None, known: Collection[str], default: Sequence[str]
                 ) -> tuple[list[str], list[str]]:
    """The ``layers=a,b`` parameter: known layer ids in the order given (``default`` if absent).

    Returns
    -------
    tuple[list[str], list[str]]
        Layer ids and notes about unknown ones.
    """
    if raw is None:
        return list(default), []
    asked = [x for x in str(raw).split(",") if x]
    unknown = [x for x in asked if x not in known]
    notes = [f"ignored unknown layers: {', '.join(unknown)}"] if unknown else []
    return [x for x in asked if x in known], notes


def parse_basemap(raw: str | None, choices: Sequence[str] = BASEMAPS,
                  default: str = DEFAULT_BASEMAP) -> tuple[str, list[str]]:
    """The ``basemap`` parameter: one of ``choices`` (``default`` when absent or unknown)."""
    if raw is None:
        return default, []
    if raw in choices:
        return str(raw), []
    return default, [f"ignored unknown basemap {raw!r} (use {', '.join(choices[:-1])} or "
                     f"{choices[-1]})"]


def parse_view(raw: str | None) -> tuple[dict[str, float] | None, list[str]]:
    """The ``view=lat,lon,zoom`` parameter as a map view (None when absent or invalid).

    Returns
    -------
    tuple[dict[str, float] | None, list[str]]
        ``{"latitude", "longitude", "zoom"}`` or None, and a note when ``raw`` was invalid.
    """
    if not raw:
        return None, []
    note = [f"ignored invalid view {raw!r} (expected lat,lon,zoom)"]
    try:
        lat, lon, zoom = (float(x) for x in str(raw).split(","))
    except ValueError:
        return None, note
    if not all(math.isfinite(v) for v in (lat, lon, zoom)):
        return None, note
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= zoom <= MAX_ZOOM):
        return None, note
    return {"latitude": lat, "longitude": lon, "zoom": zoom}, []


def parse_selected(raw: str | None, known_ids: Collection[str]) -> tuple[str | None, list[str]]:
    """The ``sel`` parameter: an occurrence id of the catalog, else None with a note."""
    if raw is None:
        return None, []
    if raw in known_ids:
        return str(raw), []
    return None, [f"ignored unknown occurrence id {raw!r}"]


# ---------------------------------------------------------------------------- generic values


def first_value(params: Mapping[str, str | Sequence[str]], key: str) -> str | None:
    """The last value of ``key`` as text (None when absent or empty; a link may repeat a key)."""
    raw = params.get(key)
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw or None
    values = [str(v) for v in raw if str(v)]
    return values[-1] if values else None


def split_list(raw: str | None) -> list[str]:
    """``a,b,,c`` -> ``["a", "b", "c"]`` (stripped, empty items dropped, order kept, no
    duplicates)."""
    if not raw:
        return []
    out: list[str] = []
    for item in str(raw).split(","):
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


def parse_floats(raw: str | None, n: int) -> tuple[float, ...] | None:
    """``n`` finite numbers separated by commas, else None."""
    if raw is None:
        return None
    parts = str(raw).split(",")
    if len(parts) != n:
        return None
    try:
        values = tuple(float(x) for x in parts)
    except ValueError:
        return None
    return values if all(math.isfinite(v) for v in values) else None


def fmt_number(value: float) -> str:
    """A short decimal for a URL (``66.0`` -> ``66``, at most 6 decimals)."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def quote_value(raw: object, limit: int = 60) -> str:
    """``raw`` shortened for a note (a note quotes what a link said; the page escapes it)."""
    text = str(raw)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def param_updates(current: Mapping[str, Sequence[str]], owned: Iterable[str],
                  wanted: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """What to change in the URL so that the keys in ``owned`` state exactly ``wanted``.

    Returns
    -------
    tuple[list[str], dict[str, str]]
        Keys to delete (owned, present, not wanted) and ``key -> value`` to set (only those
        that differ).
    """
    delete = [k for k in owned if k in current and k not in wanted]
    put = {k: v for k, v in wanted.items() if list(current.get(k, ())) != [v]}
    return delete, put


# ---------------------------------------------------------------------------- page path


def page_path(url: str | None) -> str:
    """The page part of the app URL: ``http://host/context?x=1`` -> ``context`` (``""`` for
    the root or an unreadable URL)."""
    if not url:
        return ""
    try:
        path = urlsplit(str(url)).path
    except ValueError:
        return ""
    parts = [unquote(p) for p in path.split("/") if p]
    return parts[-1] if parts else ""


def unknown_page_note(url: str | None, known: Collection[str], base_path: str = "") -> str | None:
    """A note when the URL names a page the app does not have (None when it names a known page
    or none at all).

    Parameters
    ----------
    url
        The address in the browser (``st.context.url``).
    known
        URL paths of the app's pages (``st.Page.url_path``; ``""`` is the default page).
    base_path
        Path prefix the app is served under (``server.baseUrlPath``), never a page.
    """
    path = page_path(url)
    prefix = [p for p in base_path.split("/") if p]
    if not path or path in set(known) or (prefix and path == prefix[-1]):
        return None
    return (f"there is no page {quote_value(path)}; showing the Overview (pages: "
            f"{', '.join(k for k in known if k)})")
