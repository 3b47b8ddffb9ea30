"""Command-line interface: ``python -m mineralmap {data,enrich,export,brief,dataset,hash-password}``.

Every command turns a :class:`~mineralmap.errors.MineralmapError` into a one-line message on
stderr and exit code 2 (bad arguments) or 1 (a data problem); never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mineralmap import brief_cli, catalog, dataset_cli, enrich, export_cli
from mineralmap.config import configure_pandas
from mineralmap.errors import MineralmapError


def _cmd_data(args: argparse.Namespace) -> int:
    report = catalog.prepare_data(force=args.force, progress=not args.quiet)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_enrich(args: argparse.Namespace) -> int:
    cat = catalog.load_catalog()
    table = enrich.summary_table(cat.occurrences)
    print(table.to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``mineralmap`` command."""
    parser = argparse.ArgumentParser(
        prog="python -m mineralmap",
        description="mineralmap: Pakistan's critical-mineral occurrences joined to infrastructure.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="obtain, validate, clip and cache every source layer, then "
                       "the enriched occurrences")
    p.add_argument("--force", action="store_true", help="rebuild even when inputs are unchanged")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("enrich", help="print nearest port and road haul per occurrence")
    p.set_defaults(func=_cmd_enrich)

    export_cli.add_parser(sub)
    brief_cli.add_parser(sub)
    dataset_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    configure_pandas()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error already printed by argparse (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args))
    except MineralmapError as exc:
        print(f"mineralmap: error: {exc}", file=sys.stderr)
        return 2 if getattr(exc, "usage", False) else 1


if __name__ == "__main__":
    sys.exit(main())
