"""The detail panel of one occurrence as text: its attributes, how sure its location is, and
its sources as links (titles and URLs are stored as ``" | "``-separated lists in two cells).

Every value that comes from the data is escaped for Markdown with :func:`md_escape` (defined in
:mod:`mineralmap.summary`, re-exported here; Streamlit renders Markdown, including ``$...$`` as
LaTeX and bare URLs as links), and only ``http(s)`` URLs become links.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from mineralmap import summary
from mineralmap.summary import md_escape

__all__ = ["SourceLink", "TITLE_SEPARATOR", "header_caption", "md_escape", "member_labels",
           "occurrence_details", "placement_markdown", "precision_text", "safe_url", "source_lines",
           "source_links", "split_titles"]

#: Separator of several titles in a ``source_title`` cell.
TITLE_SEPARATOR = " | "
_URL_UNSAFE = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\n": "", "\r": ""}


def safe_url(url: str) -> str | None:
    """An ``http(s)`` URL made safe inside a Markdown link target, else None."""
    url = url.strip()
    if not re.match(r"https?://", url, flags=re.IGNORECASE):
        return None
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def split_titles(value: object) -> list[str]:
    """Split a ``source_title`` cell into titles (empty for a missing cell)."""
    if not isinstance(value, str) or not value.strip():
        return []
    return [t.strip() for t in value.split(TITLE_SEPARATOR) if t.strip()]


@dataclass(frozen=True)
class SourceLink:
    """One source of an occurrence: a title with its URL, a title alone, or a URL alone."""

    title: str | None
    url: str | None

    def markdown(self) -> str:
        """A Markdown list item: ``- [title](url)``, ``- title`` or ``- <url>``."""
        url = safe_url(self.url) if self.url else None
        if self.title is None:
            return f"- <{url}>" if url else ""
        title = md_escape(self.title)
        return f"- [{title}]({url})" if url else f"- {title}"


def source_links(titles: object, urls: object) -> list[SourceLink]:
    """Pair the titles of a ``source_title`` cell with the URLs of a ``source_url`` cell.

    The n-th title gets the n-th URL; titles without a URL stay plain, URLs without a title
    are listed on their own.
    """
    t = split_titles(titles)
    u = summary.source_urls(urls)
    out = [SourceLink(title, u[i] if i < len(u) else None) for i, title in enumerate(t)]
    out += [SourceLink(None, url) for url in u[len(t):]]
    return out


def source_lines(d: dict[str, object]) -> list[str]:
    """Markdown list items of the sources of one occurrence (see :func:`occurrence_details`)."""
    links = source_links(d.get("source_title"), d.get("source_url"))
    return [line for line in (s.markdown() for s in links) if line]


def occurrence_details(occ: pd.DataFrame, occ_id: str) -> dict[str, object] | None:
    """Every attribute of the occurrence ``occ_id`` (None when it is not in ``occ``)."""
    rows = occ.loc[occ["id"].astype(str) == str(occ_id)]
    if rows.empty:
        return None
    return summary.details(rows.iloc[0])


def precision_text(pm: object) -> str:
    """``"± 5 km"`` for a precision radius, ``"unknown"`` when there is none."""
    if isinstance(pm, int | float) and not isinstance(pm, bool) and math.isfinite(pm):
        return f"± {pm:.0f} km"
    return "unknown"


def header_caption(d: dict[str, object]) -> str:
    """``"ID · commodities · status"`` (escaped)."""
    return " · ".join(md_escape(d.get(k)) for k in ("id", "commodities", "status"))


def placement_markdown(d: dict[str, object]) -> str:
    """How precise the location is and how the curators placed the point (Markdown)."""
    note = summary.placement_note(d.get("geocode_note"))
    return (
        f"**Location precision:** {md_escape(d.get('precision'))} "
        f"({precision_text(d.get('precision_km'))}). Every distance below is uncertain by about "
        f"the same amount.\n\n**How the point was placed:** {md_escape(note) if note else '—'}"
    )


def member_labels(occ: pd.DataFrame, ids: list[str]) -> dict[str, str]:
    """``id -> "Name (ID) · commodity · precision"`` for the rows of a marker stack, escaped for
    Markdown (widget labels render Markdown)."""
    rows = occ.loc[occ["id"].astype(str).isin(ids)].drop_duplicates("id")
    out = {}
    for r in rows.to_dict("records"):
        parts = [f"{r.get('name', '')} ({r.get('id', '')})"]
        parts += [str(r[k]) for k in ("commodity", "precision")
                  if isinstance(r.get(k), str) and r[k]]
        out[str(r["id"])] = md_escape(" · ".join(parts))
    return {i: out.get(i, md_escape(i)) for i in ids}
