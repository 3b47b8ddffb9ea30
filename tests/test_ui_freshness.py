"""mineralmap/ui/freshness.py: the version poll reruns a page once when another process published,
announces the new version, and never loops — on both store backends (tests/backends.py).

The timer itself (``st.fragment(run_every=…)``) is driven by a browser, which AppTest has not:
tests/e2e/test_e2e_multiserver.py checks that an idle page on another server updates by itself.
Here the fragment's body runs as part of each script run, which is the same code.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mineralmap import auth, store
from mineralmap.ui import freshness


def _page() -> None:
    """A page that shows version ``page_version`` (as if its catalog had loaded that one)."""
    import streamlit as st

    from mineralmap.ui import cache, freshness

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    shown = cache.get_store().version(st.session_state.get("page_version", 1))
    freshness.watch(shown)
    st.write(f"showing v{shown.number}")


@pytest.fixture
def db(backend_env) -> store.Store:
    return store.open_store()


def _publish(db: store.Store) -> store.VersionInfo:
    rows = db.records().iloc[:-1]
    return db.publish(auth.cli_session("amina"), rows, note="elsewhere", source_name="f.csv",
                      source_sha256="0" * 64)


def test_in_sync_page_is_not_rerun(db):
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["runs"] == 1
    assert not at.toast


def test_a_publish_elsewhere_reruns_the_page_once_then_announces_it(db):
    at = AppTest.from_function(_page, default_timeout=60).run()
    v2 = _publish(db)  # e.g. on another app server
    runs = at.session_state["runs"]
    at.run()
    assert not at.exception
    # the poll saw v2 != v1 and reran the page once; the rerun polled again and did not loop
    assert at.session_state["runs"] == runs + 2
    # the page now loads the new version (its catalog is keyed by the version) and says so
    at.session_state["page_version"] = v2.number
    at.run()
    assert [t.value for t in at.toast] == [
        f"Dataset version {v2.label} was published; this page now shows it."]
    at.run()
    assert not at.toast  # announced once


def test_newer_version_rule():
    assert freshness.newer_version(1, 2, None)
    assert not freshness.newer_version(1, 2, 2)      # already reran for 2 (catalog stuck on 1)
    assert freshness.newer_version(2, 3, 2)          # the next publish is picked up again
    assert not freshness.newer_version(2, 2, None)
    assert not freshness.newer_version(None, 2, None)  # store unreadable when the page loaded
    assert not freshness.newer_version(1, None, None)  # store unreachable now
