"""mineralmap.config: one Settings object, read from the environment; the README lists it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mineralmap import config, curated, market, scale, sources
from mineralmap._store import cache_dir
from mineralmap.config import GEODATA_DIR, SETTINGS, Settings, get_settings, reload_settings
from mineralmap.errors import SourceError, ValidationError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_generated_from_settings():
    text = README.read_text(encoding="utf-8")
    assert config.settings_table() in text
    for s in SETTINGS:
        assert f"| `{s.env}` |" in text, s.env


def test_every_setting_is_a_field_and_every_field_a_setting():
    fields = {f.name for f in dataclasses.fields(Settings)} - {"sources_dir_from_env"}
    assert {s.field for s in SETTINGS} == fields
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)
    assert all(s.env.startswith("MINERALMAP_") for s in SETTINGS)


def test_defaults_from_an_empty_environment():
    s = Settings.from_env({})
    assert s.cache_dir == GEODATA_DIR / "cache" and s.geodata_dir == GEODATA_DIR
    assert not s.offline and s.occurrences_file is None and s.demo_scale == ""
    assert not s.sources_dir_from_env and s.database_url == ""


def test_values_from_the_environment(tmp_path):
    s = Settings.from_env({"MINERALMAP_CACHE": f" {tmp_path} ", "MINERALMAP_OFFLINE": "1",
                           "MINERALMAP_GEODATA": str(tmp_path / "g"),
                           "MINERALMAP_SOURCES": str(tmp_path / "src"),
                           "MINERALMAP_OCCURRENCES": "~/inv.csv",
                           "MINERALMAP_DEMO_SCALE": " 100_000 "})
    assert s.cache_dir == tmp_path and s.geodata_dir == tmp_path / "g"
    assert s.sources_dir == tmp_path / "src" and s.sources_dir_from_env
    assert s.offline and s.occurrences_file == Path("~/inv.csv").expanduser()
    assert s.demo_scale == "100_000"
    assert s.with_(offline=False).offline is False and s.offline


@pytest.mark.parametrize(("raw", "flag"), [("", False), ("0", False), ("false", False),
                                           ("No", False), ("off", False), ("1", True),
                                           ("yes", True), ("TRUE", True)])
def test_offline_flag(raw, flag):
    assert Settings.from_env({"MINERALMAP_OFFLINE": raw}).offline is flag


@given(st.dictionaries(st.sampled_from([s.env for s in SETTINGS]),
                       st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                      blacklist_characters="\x00"),
                               max_size=40)))
def test_any_environment_gives_settings(env):
    s = Settings.from_env(env)  # never raises: validation happens where a value is used
    assert isinstance(s.cache_dir, Path) and isinstance(s.offline, bool)


@given(st.text(max_size=30))
def test_demo_scale_values_parse_or_fail_cleanly(raw):
    try:
        n = scale.parse_demo_scale(raw)
    except ValidationError as exc:
        assert "MINERALMAP_DEMO_SCALE" in str(exc)
    else:
        assert 0 <= n <= scale.MAX_DEMO_SCALE


def test_get_settings_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINERALMAP_CACHE", str(tmp_path / "a"))
    first = get_settings()
    assert first.cache_dir == tmp_path / "a" and get_settings() is first  # built once
    monkeypatch.setenv("MINERALMAP_CACHE", str(tmp_path / "b"))
    assert get_settings().cache_dir == tmp_path / "b" == cache_dir()
    assert reload_settings() == get_settings()


def test_modules_take_their_defaults_from_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MINERALMAP_GEODATA", str(tmp_path))
    monkeypatch.setenv("MINERALMAP_SOURCES", str(tmp_path))
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "12")
    assert curated.geodata_dir() == tmp_path
    assert market.market_facts_path() == tmp_path / market.MARKET_FACTS_FILE
    assert market.MARKET_FACTS_PATH == tmp_path / market.MARKET_FACTS_FILE
    assert sources.mirror_dir() == tmp_path
    assert scale.demo_scale_from_env() == 12
    with pytest.raises(SourceError, match="missing"):
        curated.load_ports()  # the toy folder has no ports.csv
    monkeypatch.setenv("MINERALMAP_SOURCES", str(tmp_path / "absent"))
    with pytest.raises(SourceError, match="not an existing directory"):
        sources.mirror_dir()


def test_entry_points_store_text_as_python_strings():
    """tests/toy_world.py calls config.configure_pandas() like app.py and the CLI do."""
    import pandas as pd

    assert pd.get_option("mode.string_storage") == config.PANDAS_STRING_STORAGE == "python"
    assert pd.Series(["a", None]).dtype == pd.StringDtype("python", na_value=float("nan"))
    with pd.option_context("mode.string_storage", "pyarrow"):
        config.configure_pandas()
        assert pd.get_option("mode.string_storage") == "python"

