"""``python -m mineralmap``: see :mod:`mineralmap.cli`."""

from __future__ import annotations

import sys

from mineralmap.cli import main

if __name__ == "__main__":
    sys.exit(main())
