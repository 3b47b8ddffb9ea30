"""mineralmap: Pakistan's critical-mineral occurrences joined to infrastructure (UI-free library)."""

from __future__ import annotations

__version__ = "0.1.0"
