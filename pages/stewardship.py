"""Data stewardship: sign-in for BOI data stewards; import, validate, publish and restore
occurrence inventories (see mineralmap/ui/steward.py)."""

from __future__ import annotations

from mineralmap.ui import steward

steward.page()
