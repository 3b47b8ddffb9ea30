"""Occurrences picked on a map: clicked ids from a pydeck selection event, the add/remove pick
lists of the region page, the candidates that can be picked, and the map key that ties a click
to the markers it was made on.

UI-free: a selection event is any object shaped like Streamlit's ``st.pydeck_chart`` event
(``event.selection.objects`` and ``event.selection.indices``: layer id -> list).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

import pandas as pd
from shapely.geometry.base import BaseGeometry

from mineralmap import filters, layers
from mineralmap.filters import FilterSpec

PICK_MODES: tuple[str, ...] = ("add", "remove")
#: Layer id of the occurrence markers (see :func:`mineralmap.layers.occurrence_layers`).
OCCURRENCE_LAYER = "occurrences"
#: Layer id of the filtered occurrences outside the selection (pickable, to add them).
CANDIDATE_LAYER = "candidates"


def empty_picks() -> dict[str, list[str]]:
    """A fresh pick state: nothing added, nothing removed."""
    return {"add": [], "remove": []}


def apply_picks(state: MutableMapping[str, list[str]], ids: Iterable[str], mode: str) -> bool:
    """Put picked ids on the ``add`` or ``remove`` list of ``state`` (and off the other one).

    Parameters
    ----------
    state
        ``{"add": [...], "remove": [...]}``, changed in place.
    ids
        Occurrence ids picked on the map.
    mode
        ``"add"`` or ``"remove"``.

    Returns
    -------
    bool
        True when a list changed.

    Raises
    ------
    ValueError
        ``mode`` is not one of :data:`PICK_MODES`.
    """
    if mode not in PICK_MODES:
        raise ValueError(f"pick mode must be 'add' or 'remove', got {mode!r}")
    other = "remove" if mode == "add" else "add"
    state.setdefault("add", [])
    state.setdefault("remove", [])
    changed = False
    for i in dict.fromkeys(str(x) for x in ids):
        if i in state[other]:
            state[other].remove(i)
            changed = True
        if i not in state[mode]:
            state[mode].append(i)
            changed = True
    return changed


def _object_id(obj: Any) -> Any:
    """The id of a picked object: a record's ``id``, or a GeoJSON feature's (tiles)."""
    if not isinstance(obj, Mapping):
        return None
    props = obj.get("properties")
    return obj.get("id") or (props.get("id") if isinstance(props, Mapping) else None)


def clicked_ids(event: Any, occ: pd.DataFrame, layer_id: str = OCCURRENCE_LAYER) -> list[str]:
    """Occurrence ids picked in a map selection event.

    Small layers carry the id in each object (a tile's GeoJSON feature: in its
    ``properties``); compact layers (thousands of points) do not, so their picked indices are
    mapped back through :func:`mineralmap.layers.occurrence_view`.

    Parameters
    ----------
    event
        The selection event (None, or anything without a selection, gives no ids).
    occ
        The occurrences the layer was built from (used for compact layers only).
    layer_id
        The layer whose picks are wanted.
    """
    if event is None:
        return []
    try:
        objs = event.selection.objects.get(layer_id, [])
        idx = event.selection.indices.get(layer_id, [])
    except AttributeError:
        return []
    ids = [str(i) for i in map(_object_id, objs) if i]
    if ids or not idx:
        return ids
    view_ids = layers.occurrence_view(occ).ids
    return [str(view_ids[i]) for i in idx
            if isinstance(i, int) and 0 <= i < len(view_ids)]


def picked_ids(event: Any, rows: pd.DataFrame) -> list[str]:
    """Ids picked on the region preview map: selected occurrences and candidate dots, once each."""
    ids = clicked_ids(event, rows, layer_id=OCCURRENCE_LAYER)
    ids += clicked_ids(event, rows.iloc[0:0], layer_id=CANDIDATE_LAYER)
    return list(dict.fromkeys(ids))


def is_new_click(picked: Sequence[str], last: Sequence[str] | None, selected: str | None) -> bool:
    """True when a map click should change the selection.

    A chart keeps reporting its last pick on later reruns, which must not undo "Clear
    selection": a pick equal to the previous one, or to the current selection, is not new.
    """
    return bool(picked) and list(picked) != list(last or []) and picked[0] != selected


def candidates(occurrences: pd.DataFrame, spec: FilterSpec, selected_ids: Iterable[str]
               ) -> pd.DataFrame:
    """Mapped occurrences that pass the filter but are not selected (they can be picked to add).

    Parameters
    ----------
    occurrences
        All occurrences of the catalog.
    spec
        The sidebar filter.
    selected_ids
        Ids of the current selection.
    """
    filtered, _ = filters.apply(occurrences, spec)
    out = filtered.loc[~filters.ids_in(filtered["id"], selected_ids)]
    lon = pd.to_numeric(out["lon"], errors="coerce")
    lat = pd.to_numeric(out["lat"], errors="coerce")
    return out.loc[lon.notna() & lat.notna()]


def id_names(occ: pd.DataFrame) -> dict[str, str]:
    """Occurrence id -> name."""
    return dict(zip(occ["id"].astype(str), occ["name"].astype(str), strict=True))


def names_text(ids: Sequence[str], names: Mapping[str, str]) -> str:
    """``"Name (ID), Name (ID)"`` for picked ids (``?`` for an id that is not in ``names``)."""
    return ", ".join(f"{names.get(i, '?')} ({i})" for i in ids)


def map_key(selected_ids: Iterable[str], candidate_ids: Iterable[str],
            region: BaseGeometry | None, prefix: str = "region_map_") -> str:
    """A widget key that changes with the markers shown, so a click can never refer to a marker
    of an older map."""
    h = hashlib.sha1(usedforsecurity=False)
    for part in (sorted(map(str, selected_ids)), sorted(map(str, candidate_ids))):
        h.update("\x1f".join(part).encode())
        h.update(b"\x1e")
    h.update(region.wkb if region is not None else b"")
    return f"{prefix}{h.hexdigest()[:12]}"


def stack_members(occ: pd.DataFrame, occ_id: str | None) -> list[str]:
    """Ids of the rows drawn at the same point as ``occ_id`` (itself included, frame order).

    Several rows can share one coordinate (district centroids); only the top marker of such a
    stack can be clicked, so the page lists the others (see
    :func:`mineralmap.layers.stacked_points`). One id (or none, when ``occ_id`` is not a mapped
    row of ``occ``) means there is no stack.
    """
    if occ_id is None or occ.empty:
        return []
    for ids in layers.stacked_points(occ)["ids"]:
        if str(occ_id) in ids:
            return list(ids)
    ids = occ["id"].astype(str)
    return [str(occ_id)] if (ids == str(occ_id)).any() else []
