"""Pick up a publish made elsewhere (another app server, the CLI) without any user action.

Every rerun of a page already reads the current dataset version (the catalog is keyed by it), but
an idle browser session does not rerun. :func:`watch` adds a small fragment that runs every
:data:`POLL_SECONDS` seconds on its own (``st.fragment(run_every=…)``): it reads the newest
version number (:meth:`mineralmap.store.BaseStore.current_number`, one query on the
``(dataset, number)`` index) and, when it differs from the version the page shows, reruns the
whole page once, which loads the new catalog; the page then says "Dataset version vN was
published …" in a toast. The fragment draws nothing and never reruns twice for one version, so
an unreachable database or a catalog that cannot load the new version cannot make it loop.
"""

from __future__ import annotations

import streamlit as st

from mineralmap.errors import MineralmapError
from mineralmap.store import VersionInfo
from mineralmap.summary import md_escape
from mineralmap.ui.cache import get_store

#: Seconds between two polls of the current version number (per browser session).
POLL_SECONDS = 5.0

_PENDING = "_mm_fresh_pending"  # version number a poll reran the page for (not yet announced)
_RERUN_FOR = "_mm_fresh_rerun_for"  # last version number a poll reran the page for


def newer_version(shown: int | None, current: int | None, rerun_for: int | None) -> bool:
    """Whether a poll should rerun the page: the store's ``current`` version differs from the
    ``shown`` one and the page was not already rerun for it (both known).

    Examples
    --------
    >>> newer_version(1, 2, None), newer_version(1, 2, 2), newer_version(2, 2, None)
    (True, False, False)
    """
    return shown is not None and current is not None and current != shown \
        and current != rerun_for


@st.fragment(run_every=POLL_SECONDS)
def _poll(shown: int | None) -> None:
    """Compare the store's newest version number with ``shown``; rerun the app when it changed."""
    try:
        current = get_store().current_number()
    except MineralmapError:
        return  # unreachable: the page's banner says so; the next poll tries again
    if newer_version(shown, current, st.session_state.get(_RERUN_FOR)):
        st.session_state[_RERUN_FOR] = current
        st.session_state[_PENDING] = current
        st.rerun(scope="app")


def watch(version: VersionInfo | None) -> None:
    """Keep this page on the newest published dataset version (call once per page run).

    Parameters
    ----------
    version : VersionInfo or None
        The dataset version the page shows (``Catalog.dataset_version``); None when the store
        could not be read (then nothing is polled).
    """
    pending = st.session_state.get(_PENDING)
    if pending is not None and version is not None and version.number == pending:
        del st.session_state[_PENDING]
        st.toast(f"Dataset version {md_escape(version.label)} was published; this page now "
                 "shows it.", icon=":material/update:")
    _poll(version.number if version is not None else None)


__all__ = ["POLL_SECONDS", "newer_version", "watch"]
