"""Project error types: every message is one a user can act on."""

from __future__ import annotations


class MineralmapError(Exception):
    """Base class for errors that the UI and CLI show as a plain message (never a traceback)."""


class SourceError(MineralmapError):
    """A source file is missing, unreadable or fails validation."""


class ValidationError(MineralmapError):
    """A table or layer does not meet its contract (CRS, geometry, columns, ids)."""


class FilterError(MineralmapError):
    """A filter value is invalid (unknown province, negative distance, ...)."""


class RegionError(MineralmapError):
    """A region specification or uploaded region file cannot be used."""


class ExportError(MineralmapError):
    """An export cannot be written (empty selection not confirmed, unknown format, ...)."""
