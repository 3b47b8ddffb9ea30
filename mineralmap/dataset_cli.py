"""``python -m mineralmap dataset …`` and ``python -m mineralmap hash-password``.

The command line runs with the rights of whoever can run it on the server (they can also read and
write the database file); ``--as STEWARD`` names the acting steward for the version record and
the audit log. When the deployment's ``.streamlit/secrets.toml`` lists ``[stewards]``, the name
must be one of them.

Exit codes: 0 success; 2 bad arguments or an upload with errors (the validation report is
printed); 1 any other data problem.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import tomllib
from pathlib import Path
from typing import Any

from mineralmap import auth, inventory
from mineralmap.config import REPO_ROOT, get_settings
from mineralmap.errors import MineralmapError
from mineralmap.store import open_store

#: Secrets file of the Streamlit deployment (read for the steward list only).
SECRETS_FILE = REPO_ROOT / ".streamlit" / "secrets.toml"


def _usage(exc: MineralmapError) -> MineralmapError:
    exc.usage = True  # type: ignore[attr-defined]  # cli.main -> exit code 2
    return exc


def _accounts(path: Path | None = None) -> dict[str, str]:
    path = SECRETS_FILE if path is None else path
    if not path.is_file():
        return {}
    try:
        return auth.accounts_from_secrets(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MineralmapError(f"{path} cannot be read: {type(exc).__name__}") from exc


def _session(name: str) -> auth.StewardSession:
    try:
        return auth.cli_session(name, _accounts())
    except auth.AuthError as exc:
        raise _usage(exc) from None


def _rows(text: str) -> list[int]:
    out = []
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            if not (a.isdigit() and b.isdigit()) or int(b) < int(a) or int(b) - int(a) > 100_000:
                raise argparse.ArgumentTypeError(f"bad row range {part!r}")
            out.extend(range(int(a), int(b) + 1))
        elif part.isdigit():
            out.append(int(part))
        else:
            raise argparse.ArgumentTypeError(f"bad row number {part!r}")
    return out


def _mapping(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("use COLUMN=FILE_COLUMN, e.g. lon=Longitude")
    a, b = text.split("=", 1)
    return a.strip(), b.strip()


def _print_problems(report: inventory.Report, out: Any) -> None:
    p = report.problems
    if p.empty:
        return
    print(p.to_string(index=False, max_colwidth=120), file=out)


def cmd_import(args: argparse.Namespace) -> int:
    """``dataset import FILE --note … --as STEWARD``: validate, report, publish."""
    session = _session(args.as_steward)
    if not (args.note or "").strip():
        raise _usage(MineralmapError("--note is required: say what changed and why"))
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _usage(MineralmapError(f"cannot read {path}: {exc.strerror}")) from None
    settings = get_settings()
    store = open_store(settings)
    current = store.current_version()
    existing = store.records()
    try:
        upload = inventory.read_upload(data, path.name)
        mapping = inventory.auto_mapping(upload.columns)
        mapping.update(dict(args.map or []))
        report = inventory.validate(upload, mapping, existing,
                                    inventory.load_provinces(settings))
    except inventory.InventoryError as exc:
        raise _usage(exc) from None
    for note in report.notes:
        print(f"note: {note}")
    if args.report_csv:
        Path(args.report_csv).write_bytes(report.to_csv())
    excluded = set(args.exclude or [])
    _print_problems(report, sys.stdout)
    print(report.summary())
    blocking = [r for r in report.error_rows if r not in excluded]
    if blocking:
        print(f"mineralmap: error: row(s) {', '.join(map(str, blocking[:20]))} have errors: fix "
              "the file or exclude them with --exclude ROWS; nothing was published",
              file=sys.stderr)
        return 2
    same = dict.fromkeys(args.update or [], "update")
    try:
        plan = inventory.plan_publish(report, existing, exclude=excluded, same_site=same,
                                      mode="replace" if args.replace else "merge")
    except inventory.InventoryError as exc:
        raise _usage(exc) from None
    c = plan.counts()
    print(f"plan against version {current.number}: +{c['added']} added, ~{c['changed']} "
          f"changed, -{c['removed']} removed, {len(plan.excluded)} row(s) excluded")
    if args.dry_run:
        print("dry run: nothing published")
        return 0
    info = store.publish(session, plan.rows, note=args.note, source_name=plan.source_name,
                         source_sha256=plan.source_sha256, expected_parent=current.number)
    print(f"published version {info.number} ({info.n_rows} rows) by {info.actor}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """``dataset list``: every version, newest first."""
    store = open_store()
    print(f"{'ver':>4}  {'published (UTC)':<19}  {'by':<20} {'kind':<8} {'rows':>6} "
          f"{'+':>5} {'~':>5} {'-':>5}  source / note")
    for v in store.versions():
        print(f"{v.number:>4}  {v.created_at[:19].replace('T', ' '):<19}  {v.actor[:20]:<20} "
              f"{v.kind:<8} {v.n_rows:>6} {v.added:>5} {v.changed:>5} {v.removed:>5}  "
              f"{v.source_name[:40]} / {v.note[:60]}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """``dataset diff A B``: CSV of rows added, changed and removed from A to B."""
    store = open_store()
    data = inventory.csv_bytes(store.diff(args.a, args.b))
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """``dataset restore N --as STEWARD``: publish version N again as a new version."""
    session = _session(args.as_steward)
    store = open_store()
    current = store.current_version()
    note = (args.note or "").strip() or f"restore version {args.version}"
    info = store.restore(session, args.version, note=note, expected_parent=current.number)
    print(f"published version {info.number}: the rows of version {args.version} "
          f"(+{info.added} ~{info.changed} -{info.removed})")
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    """``hash-password``: read a password (twice, not echoed) and print its argon2 hash."""
    if args.stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
    else:
        pw = getpass.getpass("steward password: ")
        if getpass.getpass("again: ") != pw:
            raise _usage(auth.AuthError("the two passwords differ"))
    try:
        h = auth.hash_password(pw)
    except auth.AuthError as exc:
        raise _usage(exc) from None
    if args.user:
        if not auth.accounts_from_secrets({"stewards": {args.user: h}}):
            raise _usage(auth.AuthError("bad user name"))
        print("# add to .streamlit/secrets.toml under [stewards]")
        print(f'{args.user} = "{h}"')
    else:
        print(h)
    return 0


def add_parsers(subparsers: Any) -> None:
    """Register ``dataset`` (import, list, diff, restore) and ``hash-password``."""
    p = subparsers.add_parser("dataset", help="import, list, diff and restore dataset versions",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="dataset_command", required=True)

    q = sub.add_parser("import", help="validate an inventory file and publish it as a version")
    q.add_argument("file", help="CSV, XLSX, GeoJSON or GeoPackage (at most 5 MB)")
    q.add_argument("--note", required=True, help="what changed and why (required)")
    q.add_argument("--as", dest="as_steward", required=True, metavar="STEWARD",
                   help="acting steward's user name")
    q.add_argument("--exclude", type=_rows, metavar="ROWS",
                   help="file rows to leave out, e.g. 5,7-9")
    q.add_argument("--update", type=_rows, metavar="ROWS",
                   help="probable duplicates that update the existing site (default: keep both)")
    q.add_argument("--map", type=_mapping, action="append", metavar="COLUMN=FILE_COLUMN",
                   help="correct the automatic column mapping (repeatable)")
    q.add_argument("--replace", action="store_true",
                   help="the file is the complete table: rows not in it are removed")
    q.add_argument("--dry-run", action="store_true", help="validate and plan only")
    q.add_argument("--report-csv", metavar="PATH", help="also write the report as CSV")
    q.set_defaults(func=cmd_import)

    q = sub.add_parser("list", help="list versions, newest first")
    q.set_defaults(func=cmd_list)

    q = sub.add_parser("diff", help="CSV of the changes from version A to version B")
    q.add_argument("a", type=int)
    q.add_argument("b", type=int)
    q.add_argument("-o", "--output", metavar="PATH", help="write to a file instead of stdout")
    q.set_defaults(func=cmd_diff)

    q = sub.add_parser("restore", help="publish an earlier version again (a new version)")
    q.add_argument("version", type=int)
    q.add_argument("--as", dest="as_steward", required=True, metavar="STEWARD",
                   help="acting steward's user name")
    q.add_argument("--note", default="", help="why (default: 'restore version N')")
    q.set_defaults(func=cmd_restore)

    p = subparsers.add_parser("hash-password",
                              help="create an argon2 hash for a steward account in secrets")
    p.add_argument("--user", help="print a ready [stewards] line for this user name")
    p.add_argument("--stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_hash_password)


__all__ = ["SECRETS_FILE", "add_parsers", "cmd_diff", "cmd_hash_password", "cmd_import",
           "cmd_list", "cmd_restore"]
