"""Structure checks over the source of mineralmap/ (every file, ui/ included).

* No function-level import of the package's own modules: imports sit at module top, so the
  import graph (checked by ``lint-imports`` against the layers contract in ``pyproject.toml``) is
  the whole truth. A cycle is a design error to fix by moving the shared piece down.
* ``os.environ`` (or ``os.getenv``) is read in :mod:`mineralmap.config` only.
"""

from __future__ import annotations

import ast
import functools
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "mineralmap"
SOURCES = sorted(PACKAGE.rglob("*.py"))


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed source (each check reads every file: parse it once)."""
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _own(node: ast.Import | ast.ImportFrom) -> bool:
    """True when the import statement names mineralmap (absolute) or is relative."""
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "mineralmap"
    return any(a.name.split(".")[0] == "mineralmap" for a in node.names)


def _nested_own_imports(tree: ast.Module) -> list[int]:
    """Line numbers of own-package imports below module level (inside a def or class), and of
    ``importlib.import_module("mineralmap…")`` calls anywhere."""
    lines: list[int] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                         | ast.ClassDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom) and inner and _own(child):
                lines.append(child.lineno)
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "import_module" and child.args
                    and isinstance(child.args[0], ast.Constant)
                    and str(child.args[0].value).startswith("mineralmap")):
                lines.append(child.lineno)
            visit(child, inner)

    visit(tree, False)
    return lines


def _environ_reads(tree: ast.Module) -> list[int]:
    """Line numbers that touch ``os.environ`` / ``os.getenv`` / ``os.putenv`` (or import them)."""
    names = {"environ", "getenv", "putenv", "environb"}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in names for a in node.names):
            lines.append(node.lineno)
    return lines


def test_the_package_has_python_files():
    assert PACKAGE / "catalog.py" in SOURCES and PACKAGE / "ui" / "__init__.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_no_function_level_import_of_the_package(path):
    lines = _nested_own_imports(_tree(path))
    assert not lines, (f"{_rel(path)} imports mineralmap inside a function at line(s) {lines}: "
                       "import at module top; if that makes a cycle, move the shared piece "
                       "down into a leaf module")


@pytest.mark.parametrize("path", [p for p in SOURCES if p != PACKAGE / "config.py"], ids=_rel)
def test_environment_is_read_in_config_only(path):
    lines = _environ_reads(_tree(path))
    assert not lines, (f"{_rel(path)} reads the environment at line(s) {lines}: add a field to "
                       "mineralmap.config.Settings and use get_settings()")


def test_checks_catch_what_they_should():
    bad = ast.parse("import os\n"
                    "def f():\n    from mineralmap import catalog\n    return os.environ\n"
                    "class C:\n    def g(self):\n        from . import x\n"
                    "h = lambda: __import__('importlib').import_module('mineralmap.enrich')\n")
    assert _nested_own_imports(bad) == [3, 7, 8]
    assert _environ_reads(bad) == [4]
    good = ast.parse("from mineralmap import catalog\nimport numpy\n"
                     "def f():\n    import tqdm\n    return catalog\n")
    assert _nested_own_imports(good) == [] and _environ_reads(good) == []


def test_layers_contract_lists_every_module():
    """The import-linter contract covers every module of mineralmap/ (it is also exhaustive)."""
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in conf["contracts"] if c["type"] == "layers")
    assert layers["containers"] == ["mineralmap"] and layers.get("exhaustive") is True
    listed = {m.strip() for layer in layers["layers"] for m in layer.replace("|", ":").split(":")}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert modules <= listed, f"not in the layers contract: {sorted(modules - listed)}"
