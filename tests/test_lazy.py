"""mineralmap._lazy: heavy libraries are imported on first use, not with the package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mineralmap._lazy import LazyModule


def test_attribute_access_imports_the_module_once():
    lazy = LazyModule("json")
    assert "not imported yet" in repr(lazy)
    assert lazy.dumps([1]) == "[1]"
    assert "imported" in repr(lazy) and "not" not in repr(lazy)
    assert lazy.loads is __import__("json").loads


def test_dunder_probes_do_not_import():
    lazy = LazyModule("a_module_that_does_not_exist_anywhere")
    with pytest.raises(AttributeError):
        lazy.__wrapped__  # noqa: B018 (inspect/copy probe this)
    with pytest.raises(ModuleNotFoundError):
        lazy.anything  # noqa: B018


def test_importing_the_catalog_leaves_the_heavy_libraries_for_later():
    """... and changes no pandas option (the entry points do: config.configure_pandas)."""
    code = ("import sys, pandas; before = pandas.get_option('mode.string_storage'); "
            "import mineralmap.catalog, mineralmap.cli; "
            "print(sorted(m for m in ('scipy', 'psycopg', 'pyogrio', 'tqdm', 'matplotlib', 'argon2', "
            "'defusedxml') if m in sys.modules), "
            "pandas.get_option('mode.string_storage') == before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[] True"
