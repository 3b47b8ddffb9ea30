"""Test helper: find Markdown syntax characters that :func:`mineralmap.summary.md_escape` should
have escaped (shared by the link-parameter tests)."""

from __future__ import annotations

MD_SPECIALS = frozenset("\\`*[]<>$~|#!{}")


def unescaped(text: str) -> list[str]:
    """Markdown specials in ``text`` not preceded by a backslash escape."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in MD_SPECIALS:
            out.append(text[i])
        i += 1
    return out
