"""pytest set-up of the whole suite: hypothesis profiles, the e2e / integration marks and the
xdist groups, one Streamlit component scan and one PostgreSQL cluster per run.

The fixtures (the toy world, the real cache, environment isolation) live in tests/toy_world.py, a
plugin this file registers in every process that runs tests (:func:`pytest_configure`). The
controller of a pytest-xdist run only hands out tests: it does not import it (geopandas, pandas,
the package: about 1 s before the workers could start).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from postgis_cluster import share_for_this_run

_PG_STOP = pytest.StashKey()

# Bytecode caches (git-ignored ``__pycache__``) are written even under PYTHONDONTWRITEBYTECODE:
# without them every xdist worker re-parses and re-rewrites (pytest's assertion rewriting) every
# test module and compiles the package from source, about 5 s of CPU per worker per run.
sys.dont_write_bytecode = False

# Hypothesis budgets. "ci" (the default here): a fixed seed and a modest number of examples per
# property, so that a run is reproducible and quick; "thorough" explores more and differently
# each run (`pytest --hypothesis-profile=thorough`). The large budgets live in `make fuzz`
# (benchmarks/fuzz.py). A test's own @settings(max_examples=...) is kept when it is lower.
hypothesis_settings.register_profile("ci", max_examples=30, derandomize=True, database=None,
                                     deadline=None, print_blob=True)
hypothesis_settings.register_profile("thorough", max_examples=300, deadline=None)
hypothesis_settings.load_profile("ci")


# ---- marks --------------------------------------------------------------------------------------

#: Test files that build the cache from the real source mirror.
INTEGRATION_FILES = ("test_integration_data.py", "test_integration_enrich.py")


#: xdist groups that run first (``--dist loadgroup`` hands out groups in collection order, see
#: ``--no-loadscope-reorder`` in pyproject.toml): the long ones, so that no worker is left with a
#: long group while the other has nothing to do at the end of the run.
FIRST_GROUPS = ("real_data", "integration_data", "integration_enrich", "brief")


def _group(item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):  # noqa: ARG001 - pytest hook signature
    """Mark browser tests ``e2e`` and mirror builds ``integration`` (a ``pytestmark`` in a
    conftest is not applied to the tests of its folder, so the marks are set here).

    Under xdist (``--dist loadgroup``) every test file is one group, run by one worker, so that a
    module's fixtures are built once per run instead of once on each worker; the AppTests on the
    real data are one group (``real_data``) across files: they share one real catalog and road
    network instead of switching worlds per file or building them per worker. The groups of
    :data:`FIRST_GROUPS` come first."""
    e2e_dir = Path(__file__).resolve().parent / "e2e"
    files: dict[str, tuple[bool, bool, str]] = {}  # per test file: e2e, integration, stem
    groups: dict[int, str] = {}
    for item in items:
        key = str(item.fspath)
        if key not in files:
            path = Path(key).resolve()
            files[key] = (e2e_dir in path.parents, path.name in INTEGRATION_FILES, path.stem)
        is_e2e, is_integration, stem = files[key]
        if is_e2e:
            item.add_marker(pytest.mark.e2e)
        if is_integration:
            item.add_marker(pytest.mark.integration)
        if "use_real_cache" in getattr(item, "fixturenames", ()):
            group = "real_data"
            item.add_marker(pytest.mark.xdist_group(group))
        else:
            group = _group(item)
            if group is None:
                group = stem
                item.add_marker(pytest.mark.xdist_group(group))
        groups[id(item)] = group
    rank = {g: i for i, g in enumerate(FIRST_GROUPS)}
    items.sort(key=lambda i: rank.get(groups[id(i)], len(rank)))  # stable: keeps the rest


# ---- Streamlit's component scan, once per test process -----------------------------------------
#
# Every new AppTest (its first run) scans the metadata of every installed distribution for
# Streamlit component manifests (streamlit.components.v2.manifest_scanner): about 0.2 s, and the
# suite creates ~80 AppTests per run. The installed packages do not change while the tests run,
# so the scan's result is computed once per process and handed to every later AppTest (same list;
# tests/test_ui_entrypoint.py checks that it equals a fresh scan). Installed when the test
# modules have been imported (they import streamlit.testing), so processes without AppTests never
# import streamlit for it.


def _memoize_component_scan() -> None:
    scanner = sys.modules.get("streamlit.components.v2.manifest_scanner")
    if scanner is None and "streamlit.testing.v1" in sys.modules:
        import streamlit.components.v2.manifest_scanner as scanner  # only AppTests need it
    fresh = getattr(scanner, "scan_component_manifests", None)
    if fresh is None or getattr(fresh, "memoized_for_tests", False):
        return
    memo: list = []

    def scan_once(max_workers: int | None = None) -> list:
        if not memo:
            memo.append(fresh(max_workers))
        return list(memo[0])

    scan_once.memoized_for_tests = True  # type: ignore[attr-defined]
    scan_once.fresh = fresh  # type: ignore[attr-defined]
    scanner.scan_component_manifests = scan_once


def pytest_collection_finish(session):  # noqa: ARG001 - pytest hook signature
    _memoize_component_scan()
    # The imported libraries and the collected tests live until the process ends: moved out of
    # the garbage collector's generations, so that its full collections during the tests do
    # not walk them again and again (they hold no cycles to free).
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)  # after pytest's own teardown has finalised the module's fixtures
def pytest_runtest_teardown(item, nextitem):
    """After the last test of a module: collect the garbage made since the last freeze and freeze
    what survives (session fixtures, caches, loaded catalogs). The collector's automatic
    full collections then walk only what the tests made since, not every object a worker has
    accumulated (they cost up to 0.1 s each, some twenty per worker and run)."""
    if nextitem is None or nextitem.module is not item.module:
        gc.collect()
        gc.freeze()


# ---- one PostgreSQL cluster per test run ------------------------------------------------------


def _runs_tests(config) -> bool:
    """False in the controller of a pytest-xdist run (its workers run the tests), else True."""
    if hasattr(config, "workerinput") or config.getoption("collectonly", False):
        return True
    return config.getoption("dist", "no") == "no" or not config.getoption("tx", None)


def pytest_configure(config):
    """Register the fixtures (tests/toy_world.py) where tests run. In the process that starts the
    run (not in an xdist worker): let all processes of the run share one throw-away PostgreSQL
    cluster (tests/postgis_cluster.py), started by the first test that needs it, instead of one
    per worker (initdb + start + template: ~4 s each)."""
    if _runs_tests(config):
        config.pluginmanager.import_plugin("toy_world")
    if not hasattr(config, "workerinput"):
        config.stash[_PG_STOP] = share_for_this_run()


def pytest_unconfigure(config):
    stop = config.stash.get(_PG_STOP, None)
    if stop is not None:
        stop()  # every worker has finished
