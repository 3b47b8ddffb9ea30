"""Server-side paging and column choice of large tables (pure: no Streamlit).

A browser table only ever receives one page of rows and the columns the user asked to see; the
full frame stays on the server (and goes into a download as it is).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

#: Rows sent to the browser per table page.
PAGE_SIZE = 500
#: Largest page size a caller may ask for (a page of 100,000 rows is what paging avoids).
MAX_PAGE_SIZE = 5_000


@dataclass(frozen=True)
class Page:
    """One page of a table: rows ``start`` (inclusive) to ``stop`` (exclusive) of ``total``.

    ``number`` counts from 1 and lies in ``1..pages``; an empty table has one empty page.
    """

    number: int
    pages: int
    start: int
    stop: int
    total: int

    @property
    def rows(self) -> int:
        """Rows on this page."""
        return self.stop - self.start

    def caption(self) -> str:
        """``"Rows 501–1,000 of 100,000 (page 2 of 200)"``, or ``"No rows"``."""
        if self.total == 0:
            return "No rows"
        return (f"Rows {self.start + 1:,}–{self.stop:,} of {self.total:,} "
                f"(page {self.number:,} of {self.pages:,})")


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """Number of pages for ``total`` rows (at least 1).

    Raises
    ------
    ValueError
        ``page_size`` is not a positive integer or ``total`` is negative.
    """
    size = _check_size(page_size)
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    return max(1, math.ceil(total / size))


def page_bounds(total: int, number: object, page_size: int = PAGE_SIZE) -> Page:
    """The page ``number`` (1-based) of a table of ``total`` rows, clamped to ``1..pages``.

    ``number`` may be anything a widget or a URL hands over (None, a float, text): what is not a
    whole number is read as page 1, and a number past the end as the last page.
    """
    pages = page_count(total, page_size)
    size = _check_size(page_size)
    try:
        n = int(float(number))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        n = 1
    n = min(max(n, 1), pages)
    start = min((n - 1) * size, total)
    return Page(number=n, pages=pages, start=start, stop=min(start + size, total), total=total)


def page_rows(frame: pd.DataFrame, page: Page) -> pd.DataFrame:
    """The rows of ``frame`` on ``page`` (positional)."""
    return frame.iloc[page.start:page.stop]


def shown_columns(available: Iterable[str], wanted: Sequence[str] | None,
                  default: Sequence[str]) -> list[str]:
    """Columns to send: ``wanted`` (or ``default`` when None/empty), in that order, kept only
    when ``available``; never empty while a column is available (falls back to ``default``,
    then to the first available column)."""
    have = list(dict.fromkeys(str(c) for c in available))
    have_set = set(have)
    for choice in (wanted or (), default):
        cols = [c for c in dict.fromkeys(choice) if c in have_set]
        if cols:
            return cols
    return have[:1]


def rows_fingerprint(frame: pd.DataFrame, column: str = "id") -> str:
    """A short fingerprint of which rows (by ``column``, else the index) are in ``frame``, in order:
    a prepared download is reused only for the same rows."""
    keys = frame[column] if column in frame.columns else frame.index.to_series()
    hashes = pd.util.hash_pandas_object(keys.astype(str), index=False).to_numpy()
    return f"{len(frame)}:{hashlib.blake2b(hashes.tobytes(), digest_size=8).hexdigest()}"


def _check_size(page_size: int) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
    return min(page_size, MAX_PAGE_SIZE)


def frame_csv(frame: pd.DataFrame) -> bytes:
    """Every row and column of ``frame`` as UTF-8 CSV (a ``geometry`` column is left out: it is
    what the GeoJSON/GeoPackage exports are for)."""
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
