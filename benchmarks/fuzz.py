"""``make fuzz``: >= 1,000 generated inputs per user-reachable parser/spec; prints the counts.

Runs the targets of ``tests/test_fuzz_parsers.py`` (same generators: structured GeoJSON, KML,
zipped shapefiles, inventories, query parameters, region specs, CLI argv, plus byte mutations)
with hypothesis at a larger budget and without stopping at the first failure. For every target
it prints: inputs run, valid results, project errors (``MineralmapError`` with a message), other
exceptions (must be 0; the first few are listed) and the slowest input in seconds (CPU time of
the process, so waiting on the shared machine does not count).

    .venv/bin/python benchmarks/fuzz.py [--n 1000] [--only NAME ...] [--seed 0]

Exit status 1 when any target had another exception.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pandas as pd
from hypothesis import HealthCheck, given, seed, settings
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import test_fuzz_parsers as fz  # noqa: E402
import toy_world  # noqa: E402 - the toy world of the tests
from toy_geodata import write_cache, write_geodata  # noqa: E402

from mineralmap import config  # noqa: E402
from mineralmap.schema import CRS, OCCURRENCE_COLUMNS  # noqa: E402


def _toy_world(folder: Path) -> None:
    """Write the toy world (tests/toy_world.py) and point the settings at it."""
    layers = {
        "provinces": toy_world.toy_provinces(), "districts": toy_world.toy_districts(),
        "tehsils": toy_world.toy_tehsils(), "countries": toy_world.toy_countries(),
        "ports": toy_world.toy_ports(), "roads": toy_world.toy_roads(),
        "railways": toy_world.toy_railways(), "rail_stations": toy_world.toy_rail_stations(),
        "border_crossings": toy_world.toy_border_crossings(), "towns": toy_world.toy_towns(),
        "airports": toy_world.toy_airports(), "dry_ports": toy_world.toy_dry_ports(),
        "power_plants": toy_world.toy_power_plants(),
    }
    df = pd.DataFrame(toy_world._occ_rows(), columns=list(OCCURRENCE_COLUMNS))
    geom = [Point(x, y) if pd.notna(x) else None for x, y in zip(df["lon"], df["lat"], strict=True)]
    occ = gpd.GeoDataFrame(df, geometry=geom, crs=CRS)
    os.environ["MINERALMAP_GEODATA"] = str(write_geodata(folder / "geo", layers, occ))
    os.environ["MINERALMAP_CACHE"] = str(write_cache(folder / "cache", layers))
    for var in ("MINERALMAP_OCCURRENCES", "MINERALMAP_DEMO_SCALE", "MINERALMAP_DATABASE_URL"):
        os.environ.pop(var, None)
    config.reload_settings()


def run_target(name: str, target: fz.Target, n: int, at_seed: int) -> dict:
    counts: Counter[str] = Counter()
    slowest = 0.0
    others: list[str] = []

    @seed(at_seed)
    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def prop(value):
        nonlocal slowest
        t0 = time.process_time()
        try:
            counts[fz.check(target, value)] += 1
        except Exception as exc:  # noqa: BLE001 - counted and listed, the run goes on
            counts["other"] += 1
            if len(others) < 5:
                tb = traceback.extract_tb(exc.__traceback__)[-1]
                others.append(f"{type(exc).__name__}: {str(exc)[:160]} at "
                              f"{Path(tb.filename).name}:{tb.lineno} for {str(value)[:160]!r}")
        slowest = max(slowest, time.process_time() - t0)

    prop()
    return {"target": name, "inputs": sum(counts.values()), "valid": counts["valid"],
            "project_errors": counts["project error"], "other_exceptions": counts["other"],
            "max_cpu_s": round(slowest, 3), "examples_of_other": others}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="cases per target (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None, help="target names (default: all)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # GDAL/shapely warnings about the hostile inputs

    with tempfile.TemporaryDirectory(prefix="mineralmap_fuzz_") as tmp:
        work = Path(tmp)
        _toy_world(work)
        cli_dir = work / "cli"
        cli_dir.mkdir()
        fz.prepare_cli_folder(cli_dir)
        targets = dict(fz.TARGETS)

        exit_codes: Counter[int] = Counter()

        def _cli(argv: list[str]) -> object:
            code = fz.run_cli(argv)
            exit_codes[code] += 1
            return code

        targets["cli.main"] = fz.Target(fz.cli_argvs(), _cli, 0)
        names = args.only or list(targets)
        old = Path.cwd()
        os.chdir(cli_dir)  # -o names land in the temporary folder
        rows = []
        try:
            for name in names:
                t0 = time.perf_counter()
                row = run_target(name, targets[name], args.n, args.seed)
                row["wall_s"] = round(time.perf_counter() - t0, 1)
                rows.append(row)
                print(f"{name:24s} inputs {row['inputs']:6d}  valid {row['valid']:6d}  "
                      f"project errors {row['project_errors']:6d}  other exceptions "
                      f"{row['other_exceptions']:3d}  max {row['max_cpu_s']:.3f} s/input  "
                      f"({row['wall_s']} s)", flush=True)
                if name == "cli.main":
                    row["exit_codes"] = dict(sorted(exit_codes.items()))
                    print(f"    exit codes: {row['exit_codes']}")
                for ex in row["examples_of_other"]:
                    print(f"    {ex}")
        finally:
            os.chdir(old)
    total_other = sum(r["other_exceptions"] for r in rows)
    print(f"total: {sum(r['inputs'] for r in rows)} inputs, {total_other} other exceptions "
          "(must be 0)")
    (ROOT / "benchmarks" / "fuzz_latest.json").write_text(json.dumps(rows, indent=2))
    return 1 if total_other else 0


if __name__ == "__main__":
    sys.exit(main())
