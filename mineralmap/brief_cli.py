"""``python -m mineralmap brief``: the region brief (PDF) of a selection made on the command line.

Takes exactly the filter and region options of ``python -m mineralmap export`` (registered by
:func:`mineralmap.export_cli.add_selection_arguments`, the selection built by
:func:`mineralmap.export_cli.selection_from_args`), so the brief describes the same rows as the
export and the Region & export page for the same choices.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mineralmap import __version__, export_cli
from mineralmap.brief import DEFAULT_TITLE, BriefError, brief_filename, build_brief, check_title

__all__ = ["add_parser", "run"]

EPILOG = """\
examples:
  python -m mineralmap brief --province "Khyber Pakhtunkhwa" --commodity REE -o kp_ree.pdf
  python -m mineralmap brief --near Gwadar --radius-km 300 --commodity Sb \\
      --title "Antimony within 300 km of Gwadar"

exit status:
  0  brief written ("wrote a brief of N occurrences to PATH")
  1  nothing selected, data not built, or the file cannot be written
  2  bad arguments (unknown province, invalid bbox, empty title, ...)
"""


def add_parser(subparsers: Any) -> None:
    """Register the ``brief`` subcommand on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "brief",
        help="write a printable A4 PDF brief of the selected occurrences (map, logistics, sources)",
        description="Select occurrences with the export command's filters and region modes and "
        "write a sourced A4 PDF brief: cover with counts, map, logistics table and haul chart, "
        "market context as reported, traceability indicator, sources and licences.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export_cli.add_selection_arguments(p)
    o = p.add_argument_group("brief")
    o.add_argument("--title", default=DEFAULT_TITLE, metavar="TEXT",
                   help=f"cover title (default: {DEFAULT_TITLE!r})")
    o.add_argument("-o", "--output", type=Path, metavar="PATH",
                   help="output file or directory (default: a descriptive name in the current "
                   "directory, e.g. mineralmap_khyber-pakhtunkhwa_ree_2026-11-22_brief.pdf)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``brief`` with parsed ``args``; return the exit code.

    Raises
    ------
    MineralmapError
        With ``usage=True`` for bad arguments (exit 2), otherwise a data/brief problem (exit 1).
    """
    try:
        title = check_title(args.title)
    except BriefError as exc:
        exc.usage = True  # type: ignore[attr-defined]  # cli.main -> exit code 2
        raise
    sel, cat, spec = export_cli.selection_from_args(args)
    data = build_brief(sel, cat.layers, cat.attributions, title=title,
                       dataset_version=cat.dataset_version.label if cat.dataset_version else None,
                       app_version=__version__, spec=spec)
    name = brief_filename(sel)
    out = export_cli.write_output(export_cli.output_path(args.output, name), data)
    print(f"wrote a brief of {len(sel.rows)} occurrences to {out}")
    print(sel.description)
    print(cat.dataset_label)
    return 0
