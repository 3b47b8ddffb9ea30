"""Benchmark of the region brief (issue 13): WeasyPrint (chosen) vs ReportLab, and 10,000 points.

Usage::

    .venv/bin/python benchmarks/bench_brief.py [--quick] [--json]

1. Real data, Khyber Pakhtunkhwa + REE (the README's example): time and size of
   :func:`mineralmap.brief.build_brief` (WeasyPrint: HTML/CSS template, map embedded as SVG, so
   vector in the PDF) against a ReportLab (platypus) brief of the same content built in the same
   process (same :func:`~mineralmap.brief.brief_content`, the map embedded as a 200 dpi PNG since
   ReportLab cannot place an SVG/PDF figure without extra packages). Best of the repeats.
2. Urdu text: a one-line PDF with the name "استک نالہ" from each engine: is a font with every
   glyph embedded, is the text shaped (joined letters, right to left)? WeasyPrint shapes with
   HarfBuzz (via Pango) and falls back per glyph through fontconfig; ReportLab shapes only when
   the optional ``uharfbuzz`` package is installed (reported).
3. N synthetic enriched occurrences (10,000; ``benchmarks/synthetic.py``): time, size and pages
   of the WeasyPrint brief; the logistics table lists the first 50 rows only.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from xml.sax.saxutils import escape  # noqa: E402

from pypdf import PdfReader  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from benchmarks import synthetic  # noqa: E402
from mineralmap import brief, selection  # noqa: E402
from mineralmap._brief_map import figure_bytes, haul_figure, map_figure  # noqa: E402
from mineralmap.catalog import load_catalog  # noqa: E402
from mineralmap.filters import FilterSpec  # noqa: E402
from mineralmap.regions import RegionSpec  # noqa: E402
from mineralmap.selection import Selection  # noqa: E402

URDU = "استک نالہ"
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _register_rl_fonts() -> str:
    """Register DejaVu Sans with ReportLab (Unicode TTF; the built-in Helvetica is Latin-1)."""
    name = "DejaVuSans"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(_FONT_DIRS[0] / "DejaVuSans.ttf")))
    return name


def reportlab_brief(sel: Selection, layers, attributions, spec) -> bytes:
    """The same content laid out with ReportLab platypus (map as a 200 dpi PNG)."""
    font = _register_rl_fonts()
    c = brief.brief_content(sel, attributions)
    body = ParagraphStyle("b", fontName=font, fontSize=8.5, leading=11)
    small = ParagraphStyle("s", parent=body, fontSize=7, leading=8.6)
    h1 = ParagraphStyle("h1", parent=body, fontSize=20, leading=24, spaceAfter=12)
    h2 = ParagraphStyle("h2", parent=body, fontSize=13, leading=16, spaceAfter=6)
    fig = map_figure(sel.rows, layers, brief.region_outline(sel, layers, spec),
                     [str(i + 1) for i in range(len(sel.rows))])
    png = figure_bytes(fig, "png", 200)
    chart = figure_bytes(haul_figure(c.haul_table), "png", 200) if len(c.haul_table) else None

    def table(rows: list[list[str]], widths=None) -> Table:
        data = [[Paragraph(escape(str(v)), small) for v in r] for r in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    w = A4[0] - 26 * mm
    story = [Paragraph(escape(c.title), h1), Paragraph(escape(c.description), body),
             Paragraph(escape(f"dataset version: {c.dataset_version}"), body),
             Paragraph(escape(f"date: {c.generated_utc}"), body),
             table([["commodity group", "occurrences"], *[[k, str(v)] for k, v in c.by_commodity]]),
             table([["precision class", "occurrences"], *[[k, str(v)] for k, v in c.by_precision]]),
             PageBreak(), Paragraph("Map", h2),
             Image(io.BytesIO(png), width=w, height=w * 222 / 182), PageBreak(),
             Paragraph("Logistics", h2),
             table([list(c.logistics.columns), *c.logistics.astype(str).values.tolist()])]
    if chart is not None:
        story.append(Image(io.BytesIO(chart), width=w, height=w * 50 / 182))
    story += [PageBreak(), Paragraph("Market context (as reported)", h2),
              table([["fact", "as reported", "as of", "attribution"],
                     *c.facts[["fact", "display", "as_of", "attribution"]].values.tolist()]),
              Paragraph(escape(brief.TRACE_CAVEAT), small), PageBreak(),
              Paragraph("Sources", h2),
              *[Paragraph(escape(f"{u} — cited by {', '.join(ids[:6])}"), small)
                for u, ids in c.sources],
              table([["layer", "licence", "attribution", "url"],
                     *[[a.get("layer", ""), a.get("licence", ""), a.get("attribution", ""),
                        a.get("url", "")] for a in c.attributions]])]

    def footer(canvas, doc) -> None:
        canvas.setFont(font, 7)
        canvas.drawString(13 * mm, 9 * mm, f"Generated {c.generated_utc} · page {doc.page}")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=13 * mm, rightMargin=13 * mm,
                      topMargin=14 * mm, bottomMargin=17 * mm).build(
        story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _fonts(pdf: bytes) -> list[str]:
    out = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            out.add(str(f.get_object().get("/BaseFont")).split("+")[-1])
    return sorted(out)


def _pdftotext(pdf: bytes) -> str:
    try:
        return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return ""


def urdu_check(out_dir: Path | None = None) -> dict[str, Any]:
    """One line of Urdu from each engine: fonts embedded, text extracted, shaping available."""
    import weasyprint

    wp = weasyprint.HTML(string=(
        "<html><body style='font-family: \"DejaVu Sans\", \"Noto Naskh Arabic\", sans-serif;"
        f"font-size: 28pt'><p>Astak — {URDU}</p></body></html>")).write_pdf()
    font = _register_rl_fonts()
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(
        [Paragraph(f"Astak — {URDU}", ParagraphStyle("u", fontName=font, fontSize=28,
                                                      leading=34))])
    rl = buf.getvalue()
    if out_dir is not None:
        (out_dir / "urdu_weasyprint.pdf").write_bytes(wp)
        (out_dir / "urdu_reportlab.pdf").write_bytes(rl)
    res = {}
    for name, pdf in (("weasyprint", wp), ("reportlab", rl)):
        text = _pdftotext(pdf)
        res[name] = {"fonts": _fonts(pdf), "text_roundtrip": URDU in text,
                     "bytes": len(pdf)}
    res["weasyprint"]["shaping"] = "HarfBuzz via Pango (always)"
    res["reportlab"]["shaping"] = ("uharfbuzz installed" if importlib.util.find_spec("uharfbuzz")
                                   else "none: uharfbuzz not installed (isolated letters, LTR)")
    return res


def run(quick: bool) -> dict[str, Any]:
    """Time both engines on the real KP+REE brief, check Urdu, time 10,000 synthetic points."""
    cat = load_catalog()
    spec = FilterSpec(provinces=("Khyber Pakhtunkhwa",), commodities=("REE",))
    sel = selection.select(cat.occurrences, cat.layers, spec, RegionSpec())
    rep = 1 if quick else 3
    t_wp, wp = _best(lambda: brief.build_brief(sel, cat.layers, cat.attributions, spec=spec), rep)
    t_rl, rl = _best(lambda: reportlab_brief(sel, cat.layers, cat.attributions, spec), rep)
    res: dict[str, Any] = {
        "kp_ree": {
            "rows": len(sel.rows),
            "weasyprint_s": round(t_wp, 2), "weasyprint_bytes": len(wp),
            "weasyprint_pages": len(PdfReader(io.BytesIO(wp)).pages),
            "reportlab_s": round(t_rl, 2), "reportlab_bytes": len(rl),
            "reportlab_pages": len(PdfReader(io.BytesIO(rl)).pages),
            "time_ratio_wp_over_rl": round(t_wp / t_rl, 2),
            "size_ratio_wp_over_rl": round(len(wp) / len(rl), 2),
            "map_embedding": {"weasyprint": "SVG -> PDF vector paths",
                              "reportlab": "PNG 200 dpi"},
        },
        "urdu": urdu_check(),
    }
    n = 10_000
    syn = synthetic.enriched(n)
    sel_n = Selection(rows=syn, region=None, filter_sentence=f"All {n:,} synthetic occurrences.",
                      region_description="")
    t_n, pdf_n = _best(lambda: brief.build_brief(sel_n, cat.layers, cat.attributions), 1)
    c_n = brief.brief_content(sel_n, cat.attributions)
    res["synthetic"] = {"n": n, "weasyprint_s": round(t_n, 2), "bytes": len(pdf_n),
                        "pages": len(PdfReader(io.BytesIO(pdf_n)).pages),
                        "listed": len(c_n.logistics), "not_listed": c_n.not_listed,
                        "ratio_vs_kp_ree": round(t_n / t_wp, 2)}
    return res


def _print(res: dict) -> None:
    k = res["kp_ree"]
    print(f"Region brief, real data Khyber Pakhtunkhwa + REE ({k['rows']} occurrences), best of repeats")
    print(f"{'engine':<12}{'seconds':>9}{'KB':>9}{'pages':>7}  map")
    print(f"{'WeasyPrint':<12}{k['weasyprint_s']:>9.2f}{k['weasyprint_bytes'] / 1e3:>9.0f}"
          f"{k['weasyprint_pages']:>7}  {k['map_embedding']['weasyprint']}")
    print(f"{'ReportLab':<12}{k['reportlab_s']:>9.2f}{k['reportlab_bytes'] / 1e3:>9.0f}"
          f"{k['reportlab_pages']:>7}  {k['map_embedding']['reportlab']}")
    print(f"ratios WeasyPrint/ReportLab: time {k['time_ratio_wp_over_rl']}x, "
          f"size {k['size_ratio_wp_over_rl']}x")
    for eng, u in res["urdu"].items():
        print(f"Urdu '{URDU}' with {eng}: fonts {', '.join(u['fonts'])}; text extracted intact: "
              f"{u['text_roundtrip']}; shaping: {u['shaping']}")
    s = res["synthetic"]
    print(f"{s['n']:,} synthetic points: {s['weasyprint_s']:.2f} s ({s['ratio_vs_kp_ree']}x the "
          f"KP brief), {s['bytes'] / 1e3:.0f} KB, {s['pages']} pages, table lists {s['listed']} "
          f"rows + '{s['not_listed']:,} more'")


if __name__ == "__main__":
    sys.exit(synthetic.cli(run, _print, None, description=__doc__.splitlines()[0],
                           quick_help="one repeat instead of three"))
