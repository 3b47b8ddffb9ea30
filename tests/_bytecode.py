"""Loaded first (``-p tests._bytecode`` in pyproject's addopts), before pytest imports its plugins.

Lets Python and pytest write bytecode caches (git-ignored ``__pycache__``) even when the
environment sets PYTHONDONTWRITEBYTECODE: without them every process of a run (the controller and
each xdist worker) compiles the package again and re-applies pytest's assertion rewriting to the
plugins' packages (hypothesis, anyio, xdist: ~140 modules) from source, about a second of CPU per
process. tests/conftest.py comes too late for the plugins.
"""

import sys

sys.dont_write_bytecode = False
