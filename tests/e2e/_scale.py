"""One app server with N synthetic demo points per test session, shared by the scale browser tests
(tests/e2e/test_e2e_scale.py, tests/e2e/test_e2e_pages_100k.py): started on first use, stopped at
the end of the session. The enrichment of the synthetic points is built once before the server
starts (its own cache file ``occurrences_extra_<hash>.parquet`` beside the layers; the curated
cache file is not touched) and its time is recorded."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mineralmap import catalog, config
from tests.e2e.conftest import ARTIFACTS, start_app

N = 100_000
_STASH = pytest.StashKey[str]()


def record(line: str) -> None:
    """Print a timing and append it to tests/e2e/artifacts/scale_timings.log (not asserted)."""
    print("\n" + line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "scale_timings.log").open("a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def scale_server(request: pytest.FixtureRequest, real_cache: Path) -> str:
    """Base URL of the session's app server with :data:`N` synthetic points (started once)."""
    config_ = request.config
    if _STASH in config_.stash:
        return config_.stash[_STASH]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINERALMAP_DEMO_SCALE", str(N))
        config.reload_settings()  # settings are read once: re-read them with the variable set
        t0 = time.perf_counter()
        cat = catalog.load_catalog(real_cache)
        record(f"[scale] catalog with {len(cat.occurrences):,} occurrences ready in "
               f"{time.perf_counter() - t0:.1f} s (enrichment of {N:,} synthetic points cached "
               "on first use)")
    config.reload_settings()
    assert cat.notices, "the synthetic points were not added"
    assert "enrichment" not in cat.missing, cat.missing
    proc, url, _log = start_app(real_cache, extra_env={"MINERALMAP_DEMO_SCALE": str(N)})
    config_.add_cleanup(lambda: _stop(proc))
    config_.stash[_STASH] = url
    return url
