"""Speed of the non-browser test run, before and after, in one sitting (issue 10).

Usage::

    .venv/bin/python benchmarks/bench_tests.py --base a6cfbc1 [--rounds 2] [--json FILE]

The older commit is extracted with ``git archive`` into a temporary directory; "head" is this
checkout as it is on disk. Each round runs the base suite, then the head suite, each as a fresh
``pytest`` process with this checkout's virtual environment, so that a busy neighbour on the
shared machine slows both sides alike. Both read the same source mirror. Each side has its own copy
of the layer cache (``MINERALMAP_CACHE``, default ``geodata/cache``), brought up to date by that
side's ``python -m mineralmap data`` before the first round (not timed): the tests build the real
cache when it is stale, and an older commit writes another ingest version, so a shared cache
would be rebuilt by each side in every round.

Each side runs its own non-browser command:

* base: ``pytest --ignore=tests/e2e`` (``--base-args``): before the browser tests all carried the
  ``e2e`` mark and before pytest-xdist, the non-browser run was every file outside ``tests/e2e``,
  one process;
* head: the README's command, ``pytest -m "not e2e" -n auto`` (``--head-args``).

Printed per round and side: wall seconds, CPU seconds (user + system of the pytest process and
its children, from ``resource.getrusage``), the counts pytest reports, and the load average.
Then the median wall and CPU of each side and the ratios head/base (< 1: head is faster).

``--same-tests``: both sides run only the tests that both collect under the same node id (the
base's tests that still exist by name; the later issues' tests are left out of the head run), so
that the two runs do the same list of tests. Each side's command collects first (not timed, with
``-n`` removed); a small plugin (:data:`_SELECT_PLUGIN`, written to the temporary folder and
loaded with ``-p``) writes the node ids, then keeps only the shared ones in the timed runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = REPO / ".venv" / "bin" / "python"
COUNTS = re.compile(r"(\d+) (passed|failed|skipped|errors?|deselected)")


def _extract(commit: str, dest: Path) -> Path:
    """``git archive`` of ``commit`` unpacked into ``dest``."""
    tar = dest / "base.tar"
    with open(tar, "wb") as f:
        subprocess.run(["git", "-C", str(REPO), "archive", commit], stdout=f, check=True)
    with tarfile.open(tar) as t:
        t.extractall(dest / "tree", filter="data")
    tar.unlink()
    return dest / "tree"


#: Plugin of ``--same-tests``: with BENCH_IDS_OUT it writes the node ids that are left after
#: every other plugin's selection (``-m``); with BENCH_IDS_IN it deselects every test not listed.
_SELECT_PLUGIN = '''
import json, os
import pytest

def _plain(item):
    # pytest-xdist's loadgroup appends "@<group>" to the node id of a grouped test
    nid, mark = item.nodeid, item.get_closest_marker("xdist_group")
    if mark is not None:
        name = mark.args[0] if mark.args else mark.kwargs.get("name", "")
        if nid.endswith("@" + str(name)):
            nid = nid[: -len(str(name)) - 1]
    return nid

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    out, keep = os.environ.get("BENCH_IDS_OUT"), os.environ.get("BENCH_IDS_IN")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump([_plain(i) for i in items], f)
    if keep:
        with open(keep, encoding="utf-8") as f:
            wanted = set(json.load(f))
        drop = [i for i in items if _plain(i) not in wanted]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = [i for i in items if _plain(i) in wanted]
'''


def _without_workers(args: list[str]) -> list[str]:
    """``args`` without ``-n N`` / ``-nN`` / ``--numprocesses N``: collection in one process."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-n", "--numprocesses"):
            skip = True
        elif not (a.startswith("-n") and a[2:].isdigit() or a.startswith("--numprocesses=")):
            out.append(a)
    return out


def shared_ids(trees: dict[str, Path], sides: dict[str, list[str]], envs: dict[str, dict],
               tmp: Path) -> tuple[Path, dict[str, int]]:
    """Node ids both sides collect; written to ``tmp/shared_ids.json``. Also the count per side."""
    got, counts = {}, {}
    for side, tree in trees.items():
        out = tmp / f"ids_{side}.json"
        subprocess.run([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                        "bench_select", "--collect-only", *_without_workers(sides[side])],
                       cwd=tree, env={**envs[side], "BENCH_IDS_OUT": str(out)},
                       capture_output=True, check=False)
        got[side] = json.loads(out.read_text(encoding="utf-8"))
        counts[side] = len(got[side])
    both = sorted(set(got["base"]) & set(got["head"]))
    path = tmp / "shared_ids.json"
    path.write_text(json.dumps(both), encoding="utf-8")
    counts["shared"] = len(both)
    return path, counts


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_suite(tree: Path, args: list[str], env: dict[str, str]) -> dict:
    """One pytest run in ``tree``: wall and CPU seconds, pytest's counts, the load average."""
    load = os.getloadavg()[0]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=tree, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
    counts = {k.rstrip("s") if k.startswith("error") else k: int(n)
              for n, k in COUNTS.findall(tail)}
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "counts": counts,
            "exit": proc.returncode, "load_before": round(load, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="older commit (e.g. a6cfbc1)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--base-args", default="--ignore=tests/e2e")
    ap.add_argument("--head-args", default='-m "not e2e" -n auto')
    ap.add_argument("--same-tests", action="store_true",
                    help="both sides run only the node ids that both collect")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    a = ap.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("MINERALMAP_SOURCES", str((REPO.parent / "shared" / "sources").resolve()))
    env.setdefault("MINERALMAP_CACHE", str(REPO / "geodata" / "cache"))
    env.pop("CI", None)  # a missing optional tool skips on both sides alike
    sides = {"base": shlex.split(a.base_args), "head": shlex.split(a.head_args)}
    runs: dict[str, list[dict]] = {"base": [], "head": []}
    with tempfile.TemporaryDirectory(prefix="bench_tests_") as tmp:
        trees = {"base": _extract(a.base, Path(tmp)), "head": REPO}
        envs = {}
        for side in ("base", "head"):
            cache = Path(tmp) / f"cache_{side}"
            shutil.copytree(env["MINERALMAP_CACHE"], cache,
                            ignore=shutil.ignore_patterns("occurrences_extra_*"))
            envs[side] = {**env, "MINERALMAP_CACHE": str(cache)}
            subprocess.run([str(PY), "-m", "mineralmap", "data"], cwd=trees[side],
                           env=envs[side], capture_output=True, check=False)
        counts = None
        if a.same_tests:
            (Path(tmp) / "bench_select.py").write_text(_SELECT_PLUGIN, encoding="utf-8")
            for side in envs:
                pp = envs[side].get("PYTHONPATH")
                envs[side]["PYTHONPATH"] = tmp + (os.pathsep + pp if pp else "")
            ids, counts = shared_ids(trees, sides, envs, Path(tmp))
            print(f"same tests: base collects {counts['base']}, head {counts['head']}, "
                  f"both {counts['shared']}", flush=True)
            for side in envs:
                envs[side]["BENCH_IDS_IN"] = str(ids)
                sides[side] = ["-p", "bench_select", *sides[side]]
        for r in range(1, a.rounds + 1):
            for side in ("base", "head"):
                got = run_suite(trees[side], sides[side], envs[side])
                runs[side].append(got)
                print(f"round {r} {side:4s} wall {got['wall_s']:6.1f} s  cpu {got['cpu_s']:6.1f} s"
                      f"  load {got['load_before']:4.2f}  exit {got['exit']}  {got['counts']}",
                      flush=True)
    med = {s: {k: statistics.median(x[k] for x in runs[s]) for k in ("wall_s", "cpu_s")}
           for s in runs}
    ratio = {k: round(med["head"][k] / med["base"][k], 3) for k in ("wall_s", "cpu_s")}
    print(f"median wall: base {med['base']['wall_s']:.1f} s, head {med['head']['wall_s']:.1f} s"
          f" -> head/base {ratio['wall_s']:.3f} (wall time {(ratio['wall_s'] - 1) * 100:+.0f} %)")
    print(f"median cpu:  base {med['base']['cpu_s']:.1f} s, head {med['head']['cpu_s']:.1f} s"
          f" -> head/base {ratio['cpu_s']:.3f}")
    if a.json:
        a.json.write_text(json.dumps({"base": a.base, "base_args": a.base_args,
                                      "head_args": a.head_args, "runs": runs, "median": med,
                                      "same_tests": counts,
                                      "head_over_base": ratio, "cores": os.cpu_count(),
                                      "python": sys.version.split()[0]},
                                     indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
