"""The deep-link workaround (``mineralmap.ui.shell._ensure_entrypoint``) and the Streamlit
behaviour it relies on.

Streamlit runs a page file alone (no ``st.navigation``, no shared sidebar) on the first run of
a process when a ``pages/`` folder sits beside the entry script, until ``st.navigation`` has
been called once. There is no supported switch for it while the folder is named ``pages/``, so
the app switches the private ``PagesManager.uses_pages_directory`` off and reruns. These tests
fail loudly when a Streamlit upgrade changes any part of that: the attribute, the legacy rule,
or the effect of switching it off.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]

ENTRY = """
import streamlit as st

page = st.navigation([st.Page("pages/one.py", default=True), st.Page("pages/two.py")])
st.sidebar.write("entry ran")
page.run()
"""
PAGE = """
import streamlit as st
{guard}
st.write("page two ran")
"""
GUARD = "from mineralmap.ui.shell import _ensure_entrypoint\n_ensure_entrypoint()\n"


@pytest.fixture(autouse=True)
def _restore_flag():
    before = PagesManager.uses_pages_directory
    yield
    PagesManager.uses_pages_directory = before


def _mini_app(tmp_path: Path, guard: bool) -> Path:
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text(ENTRY)
    (tmp_path / "pages" / "one.py").write_text(PAGE.format(guard="").replace("two", "one"))
    (tmp_path / "pages" / "two.py").write_text(PAGE.format(guard=GUARD if guard else ""))
    return tmp_path / "app.py"


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [m.value for m in at.sidebar.markdown]


def test_streamlit_still_has_the_private_flag():
    assert hasattr(PagesManager, "uses_pages_directory"), (
        "Streamlit removed PagesManager.uses_pages_directory: check whether deep links into "
        "pages/ now run app.py, then delete _ensure_entrypoint in mineralmap/ui/shell.py")
    PagesManager.uses_pages_directory = None
    PagesManager(str(REPO / "app.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is True, (
        "Streamlit no longer sets the legacy pages flag from the pages/ folder")


def test_legacy_rule_still_runs_a_deep_linked_page_alone(tmp_path):
    """Without the workaround the first run executes the page file alone. When this fails,
    Streamlit has fixed the rule: the workaround can go."""
    at = AppTest.from_file(str(_mini_app(tmp_path, guard=False)))
    at.switch_page("pages/two.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    assert "page two ran" in texts
    assert "entry ran" not in texts, (
        "Streamlit now runs the entry script for a deep link into pages/: remove "
        "_ensure_entrypoint from mineralmap/ui/shell.py and this test")


def test_workaround_makes_the_deep_link_run_the_entry_script(tmp_path):
    at = AppTest.from_file(str(_mini_app(tmp_path, guard=True)))
    at.switch_page("pages/two.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    assert "entry ran" in texts and "page two ran" in texts
    assert PagesManager.uses_pages_directory is False


def test_deep_link_into_the_app_shows_the_shared_sidebar(use_real_cache):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.switch_page("pages/home.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [h.value for h in at.sidebar.header] == ["Filters"]
    assert at.multiselect(key="flt_provinces") is not None
    assert any(t.value.startswith("Pakistan's critical minerals") for t in at.title)


def test_component_scan_memo_gives_what_a_fresh_scan_gives():
    """tests/conftest.py scans the installed packages for Streamlit components once per process
    (instead of once per AppTest); the memo returns what a fresh scan returns, as a new list."""
    memo = manifest_scanner.scan_component_manifests
    assert getattr(memo, "memoized_for_tests", False), "conftest did not install the memo"
    fresh = memo.fresh()
    assert memo() == fresh and memo() is not memo()
