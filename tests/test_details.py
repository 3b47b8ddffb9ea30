"""Occurrence details: sources paired with their URLs, every data value escaped for Markdown."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as hs

from mineralmap import details
from mineralmap.details import SourceLink


def test_titles_pair_with_urls_in_order():
    links = details.source_links("USGS report | Press story | Third",
                                 "https://a.example/1 | https://b.example/2")
    assert links == [SourceLink("USGS report", "https://a.example/1"),
                     SourceLink("Press story", "https://b.example/2"),
                     SourceLink("Third", None)]
    assert [s.markdown() for s in links] == ["- [USGS report](https://a.example/1)",
                                             "- [Press story](https://b.example/2)",
                                             "- Third"]


def test_urls_without_titles_are_listed_alone():
    links = details.source_links("One", "https://a.example/1; https://b.example/2")
    assert links[1] == SourceLink(None, "https://b.example/2")
    assert links[1].markdown() == "- <https://b.example/2>"
    assert details.source_links(np.nan, None) == []
    assert details.source_links("  ", "") == []


def test_markdown_and_urls_are_escaped():
    line = SourceLink("A *bold* [x] $5", "https://a.example/x (1)").markdown()
    assert line == r"- [A \*bold\* \[x\] \$5](https://a.example/x%20%281%29)"
    assert SourceLink("T", "javascript:alert(1)").markdown() == "- T"
    assert SourceLink(None, "ftp://x").markdown() == ""
    assert details.md_escape("<b>_x_</b>") == r"\<b\>\_x\_\</b\>"
    assert details.md_escape("max_port_km __a__ a_ _a") == r"max_port_km \_\_a\_\_ a\_ \_a"


def test_occurrence_details_and_panel_text(enriched):
    d = details.occurrence_details(enriched, "Sb-001")
    assert d is not None and d["name"] == "Alpha antimony" and "geometry" not in d
    assert details.occurrence_details(enriched, "nope") is None
    assert details.header_caption(d) == "Sb-001 · Sb; Pb · occurrence"
    text = details.placement_markdown(d)
    assert "**Location precision:** surveyed (± 0 km)" in text  # 0.5 km, rounded
    assert "fixture point" in text
    assert details.source_lines(d) == ["- [Source of Alpha antimony](https://example.org/Sb-001)"]
    unmapped = details.occurrence_details(enriched, "Sb-004")
    assert "(unknown)" in details.placement_markdown(unmapped)
    assert details.precision_text(5.0) == "± 5 km"
    assert details.precision_text(None) == details.precision_text(True) == "unknown"


_SPECIAL = "\\`*_[]<>$~|#!{}"
_ZWSP = "\u200b"


@given(hs.text(max_size=40))
def test_escaped_text_has_no_live_markdown(text):
    out, plain, i = details.md_escape(text), [], 0
    assert not re.search(r"[\x00-\x1f\x7f\u2028\u2029]", out)  # never a new block
    while i < len(out):  # read it back: every special character comes after a backslash
        if out[i] == "\\":
            assert out[i + 1] in _SPECIAL
            plain.append(out[i + 1])
            i += 2
        else:
            # "_" between two letters/digits is inert (CommonMark: no intraword _ emphasis)
            intraword = (out[i] == "_" and 0 < i < len(out) - 1
                         and re.match(r"[^\W_]_[^\W_]", out[i - 1:i + 2]) is not None)
            assert out[i] not in _SPECIAL or intraword, (out, i)
            plain.append(out[i])
            i += 1
    # the text reads the same, bar line breaks (spaces) and the zero-width link breakers
    flat = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text)
    assert "".join(plain).replace(_ZWSP, "") == flat.replace(_ZWSP, "")
    # no GFM autolink survives: the renderer finds them after escapes are resolved
    shown = "".join(plain)
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", shown)


@given(hs.lists(hs.sampled_from(["[", "]", "(", ")", "!", "https://", "www.", "@", "evil.example",
                                 "a", " ", ":", "/", "\\", "<", ">", "|", "\n", "#", "$", "`"]),
                max_size=30).map("".join))
def test_link_and_image_syntax_never_survives(text):
    out = details.md_escape(text)
    shown = out.replace(_ZWSP, "")
    assert "](" not in out.replace("\\]", "")  # every ] that could close a link is escaped
    assert not re.search(r"(?<!\\)\[", out) and not re.search(r"(?i)https?://|www\.", out)
    assert "\n" not in shown


def test_injection_link_from_the_issue_is_inert():
    text = "[sign in here](https://evil) ![t](https://evil/t.png)"
    out = details.md_escape(text)
    assert out == ("\\[sign in here\\](https:\u200b//evil) \\!\\[t\\](https:\u200b//evil/t.png)")


@given(hs.text(max_size=60), hs.text(max_size=60))
def test_source_lines_never_fail_and_only_link_http(titles, urls):
    for s in details.source_links(titles, urls):
        md = s.markdown()
        for target in re.findall(r"\]\(([^)]*)\)", md):
            assert target.lower().startswith(("http://", "https://"))
            assert " " not in target


def test_member_labels_escaped_in_stack_order():
    occ = pd.DataFrame({"id": ["b", "a"], "name": ["B *bold*", "A [x](https://e.x)"],
                        "commodity": ["Sb", "REE"], "precision": ["district", "district"]})
    labels = details.member_labels(occ, ["a", "b", "gone"])
    assert list(labels) == ["a", "b", "gone"]
    assert labels["a"].startswith("A \\[x\\](https:") and "· REE · district" in labels["a"]
    assert "\\*bold\\*" in labels["b"] and labels["gone"] == "gone"
