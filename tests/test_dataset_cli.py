"""``dataset import/list/diff/restore`` and ``hash-password``: same report as the page, exit 2 on
errors. Runs the argparse functions of mineralmap.dataset_cli on a store in a temp cache, once per
backend (the embedded SQLite store and PostgreSQL/PostGIS: ``backend_env`` of tests/backends.py
sets ``MINERALMAP_DATABASE_URL`` to a fresh database, or unsets it)."""

from __future__ import annotations

import argparse
import io
import sys

import argon2
import pytest
from backends import fresh_database_url

from mineralmap import auth, dataset_cli, pgstore, store
from mineralmap.config import reload_settings
from mineralmap.errors import MineralmapError

HEADER = "id,name,commodity,province,longitude,latitude,precision,precision_km,source,url"
GOOD = "C-1,Cli site,Sb,Balochistan,66.5,29.5,locality,2,Report,https://example.org/c1"
SWAPPED = "C-2,Cli swapped,Sb,Balochistan,29.5,66.5,locality,2,Report,https://example.org/c2"


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """Parse and run like ``python -m mineralmap`` (exit 2 for usage errors)."""
    parser = argparse.ArgumentParser(prog="mineralmap")
    dataset_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(stdin)
    try:
        args = parser.parse_args(argv)
        code = args.func(args)
    except MineralmapError as exc:
        print(f"mineralmap: error: {exc}", file=sys.stderr)
        code = 2 if getattr(exc, "usage", False) else 1
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def database_url(store_backend) -> str:
    """This module's tests start from the store as its first start leaves it (version 1 = the
    bundled table): on PostgreSQL a copy of a template holding it (tests/backends.py)."""
    return fresh_database_url(store_backend, version_1=True)


@pytest.fixture(autouse=True)
def _settings(tmp_path, monkeypatch, backend_env):
    monkeypatch.setenv("MINERALMAP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(dataset_cli, "SECRETS_FILE", tmp_path / "no-secrets.toml")
    reload_settings()
    yield
    monkeypatch.undo()
    reload_settings()


@pytest.fixture
def upload(tmp_path):
    p = tmp_path / "gsp.csv"
    p.write_text("\n".join([HEADER, GOOD, SWAPPED]) + "\n")
    return p


def test_import_with_errors_exits_2_with_the_report(upload):
    code, out, err = run(["dataset", "import", str(upload), "--note", "GSP", "--as", "amina"])
    assert code == 2
    assert "lat/lon swapped" in out and " 3 " in out
    assert "nothing was published" in err
    assert [v.number for v in store.open_store().versions()] == [1]


def test_import_excluding_the_bad_row_publishes(upload, tmp_path, backend_env):
    report = tmp_path / "report.csv"
    code, out, err = run(["dataset", "import", str(upload), "--note", "GSP batch 1", "--as",
                          "amina", "--exclude", "3", "--report-csv", str(report)])
    assert code == 0, err
    assert "published version 2" in out
    assert "lat/lon swapped" in report.read_text()
    db = store.open_store()
    assert isinstance(db, pgstore.PostgresStore) == bool(backend_env)  # the backend under test
    v = db.current_version()
    assert (v.actor, v.added, v.note, v.source_name) == ("amina", 1, "GSP batch 1", "gsp.csv")
    assert "C-1" in set(db.occurrences()["id"])

    code, out, _ = run(["dataset", "list"])
    assert code == 0 and "GSP batch 1" in out and out.count("\n") == 3

    code, out, _ = run(["dataset", "diff", "1", "2"])
    assert code == 0 and out.splitlines()[0].startswith("change,id,name")
    assert out.splitlines()[1].startswith("added,C-1,")

    code, out, _ = run(["dataset", "restore", "1", "--as", "amina"])
    assert code == 0 and "published version 3" in out
    assert "C-1" not in set(store.open_store().occurrences()["id"])


def test_dry_run_publishes_nothing(upload):
    code, out, _ = run(["dataset", "import", str(upload), "--note", "x", "--as", "amina",
                        "--exclude", "3", "--dry-run"])
    assert code == 0 and "dry run" in out
    assert store.open_store().current_version().number == 1


@pytest.mark.parametrize("argv", [
    ["dataset", "import", "f.csv", "--note", "x"],          # no --as
    ["dataset", "import", "f.csv", "--as", "amina"],        # no --note
    ["dataset", "restore", "1"],                             # no --as
    ["dataset", "import", "missing.csv", "--note", "x", "--as", "amina"],
    ["dataset", "import", "f.csv", "--note", "x", "--as", "bad name!"],
])
def test_writes_need_a_named_steward_and_good_arguments(argv):
    code, _, _ = run(argv)
    assert code == 2
    assert [v.number for v in store.open_store().versions()] == [1]


def test_as_must_be_a_listed_steward_when_secrets_exist(upload, tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    # a cheap argon2id hash (the parameters travel in the hash; hash-password's own parameters
    # are those of auth.hash_password, tested in test_hash_password and tests/test_auth.py)
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    secrets.write_text(f'[stewards]\namina = "{cheap.hash("a long password")}"\n')
    monkeypatch.setattr(dataset_cli, "SECRETS_FILE", secrets)
    code, _, err = run(["dataset", "import", str(upload), "--note", "x", "--as", "mallory",
                        "--exclude", "3"])
    assert code == 2 and "not a steward" in err
    code, _, _ = run(["dataset", "import", str(upload), "--note", "x", "--as", "amina",
                      "--exclude", "3"])
    assert code == 0


def test_unknown_version_exits_1():
    code, _, err = run(["dataset", "diff", "1", "9"])
    assert code == 1 and "no version 9" in err


@pytest.mark.parametrize("store_backend", ["sqlite"])  # hash-password does not use the store
def test_hash_password():
    code, out, err = run(["hash-password", "--stdin", "--user", "amina"],
                         stdin="a long enough password\n")
    assert code == 0, err
    line = out.splitlines()[-1]
    assert line.startswith('amina = "$argon2id$')
    assert "a long enough password" not in out
    h = line.split('"')[1]
    assert auth.accounts_from_secrets({"stewards": {"amina": h}}) == {"amina": h}
    code, _, err = run(["hash-password", "--stdin"], stdin="short\n")
    assert code == 2 and "at least" in err
