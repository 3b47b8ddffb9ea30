"""AppTest of the stewardship page: sign-in gate, rate limit, upload -> report -> exclude ->
publish, restore, and no secret on the page — once per store backend (the embedded SQLite store
and PostgreSQL/PostGIS: ``backend_env`` of tests/backends.py)."""

from __future__ import annotations

import argon2
import pytest
from backends import fresh_database_url
from streamlit.testing.v1 import AppTest

from mineralmap import auth, pgstore, store
from mineralmap.config import reload_settings

PAGE = "../pages/stewardship.py"
PASSWORD = "a long steward password"
HEADER = "id,name,commodity,province,longitude,latitude,precision,precision_km,source,url"
CSV = "\n".join([
    HEADER,
    "P-1,Page site one,Sb,Balochistan,66.5,29.5,locality,2,Report,https://example.org/p1",
    "P-2,Page site two,REE,Balochistan,66.7,29.7,locality,2,Report,https://example.org/p2",
    "P-3,Page swapped,Sb,Balochistan,29.5,66.5,locality,2,Report,https://example.org/p3",
]) + "\n"


@pytest.fixture(scope="module")
def hashed() -> str:
    """The steward's argon2id hash, made with the lowest cost parameters: the page verifies it
    like any other (the parameters travel in the hash), in milliseconds instead of ~0.2 s per
    sign-in. auth.hash_password's own parameters are tested in tests/test_auth.py."""
    return argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


@pytest.fixture
def database_url(store_backend) -> str:
    """This module's tests start from the store as its first start leaves it (version 1 = the
    bundled table): on PostgreSQL a copy of a template holding it (tests/backends.py)."""
    return fresh_database_url(store_backend, version_1=True)


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path, monkeypatch, backend_env):
    monkeypatch.setenv("MINERALMAP_CACHE", str(tmp_path / "cache"))
    reload_settings()
    yield
    monkeypatch.undo()
    reload_settings()


def _app(hashed: str | None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    if hashed is not None:
        at.secrets["stewards"] = {"amina": hashed}
    return at


def _text(at: AppTest) -> str:
    parts = [str(e.value) for e in (*at.markdown, *at.caption, *at.error, *at.warning,
                                    *at.info, *at.success, *at.title)]
    return "\n".join(parts)


def _frame(at: AppTest, column: str):
    """The first dataframe on the page that has ``column``."""
    for d in at.dataframe:
        if column in d.value.columns:
            return d.value
    raise AssertionError(f"no table with column {column!r}")


def _sign_in(at: AppTest, pw: str = PASSWORD) -> AppTest:
    at.text_input(key="stw_user").input("amina")
    at.text_input(key="stw_password").input(pw)
    at.button[0].click()
    return at.run()


def test_nothing_without_a_session(hashed):
    at = _app(hashed)
    at.query_params["steward"] = "amina"
    at.query_params["session"] = "admin"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Steward sign-in"
    assert len(at.file_uploader) == 0
    assert not [b for b in at.button if "Publish" in str(b.label) or "Restore" in str(b.label)]
    assert hashed not in _text(at)


def test_no_accounts_configured():
    at = _app(None).run()
    assert not at.exception
    assert "No steward accounts" in _text(at)
    assert len(at.text_input) == 0


def test_wrong_password_is_rate_limited(hashed):
    at = _app(hashed).run()
    for _ in range(auth.Policy().max_failures):
        _sign_in(at, "not the password")
        assert "wrong user name or password" in _text(at)
    _sign_in(at, PASSWORD)
    assert "too many failed sign-ins" in _text(at)
    assert len(at.file_uploader) == 0
    assert hashed not in _text(at) and PASSWORD not in _text(at)


def test_upload_report_exclude_publish_restore(hashed, backend_env):
    at = _sign_in(_app(hashed).run())
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Data stewardship"
    at.file_uploader[0].set_value(("gsp.csv", CSV.encode(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    report = _frame(at, "check")
    swapped = report.loc[report["check"] == "lat/lon swapped"]
    assert swapped["row"].tolist() == [4]
    # the report follows the column mapping (it is kept in the session only for the same one)
    at.selectbox(key="stw_map_lon").set_value("latitude")
    at.selectbox(key="stw_map_lat").set_value("longitude")
    at.run()
    remapped = _frame(at, "check")
    assert remapped.loc[remapped["check"] == "lat/lon swapped", "row"].tolist() == [2, 3]
    at.selectbox(key="stw_map_lon").set_value("longitude")
    at.selectbox(key="stw_map_lat").set_value("latitude")
    at.run()
    assert _frame(at, "check").equals(report)
    assert "have errors" in _text(at)  # publishing blocked until row 4 is excluded
    at.multiselect(key="stw_exclude").set_value([4])
    at.run()
    diff = _frame(at, "changed_columns")
    assert sorted(diff["id"]) == ["P-1", "P-2"] and set(diff["change"]) == {"added"}
    publish = at.button(key="stw_publish")
    publish.click()
    at.run()
    assert "Write a note" in _text(at)
    at.text_area(key="stw_note").input("GSP batch 1 (row 4 swapped, excluded)")
    at.button(key="stw_publish").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    db = store.open_store()
    v = db.current_version()
    assert (v.number, v.added, v.actor, v.source_name) == (2, 2, "amina", "gsp.csv")
    assert {"P-1", "P-2"} <= set(db.occurrences()["id"]) and "P-3" not in set(db.occurrences()["id"])
    assert "Published version 2" in _text(at)

    # restore version 1 from the Versions section
    at.radio(key="stw_section").set_value("Versions")
    at.run()
    at.selectbox(key="stw_view").set_value(1)
    at.run()
    at.button(key="stw_restore").click()
    at.run()
    assert "Write a note" in _text(at)
    at.text_input(key="stw_restore_note").input("undo batch 1")
    at.button(key="stw_restore").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    db = store.open_store()
    assert isinstance(db, pgstore.PostgresStore) == bool(backend_env)  # the backend under test
    v3 = db.current_version()
    assert (v3.number, v3.restored_from, v3.removed) == (3, 1, 2)
    events = store.open_store().audit_log(auth.cli_session("t"))["event"].tolist()
    assert events[:3] == ["restore", "publish", "sign-in"]
    page_text = _text(at) + "".join(str(d.value.to_csv()) for d in at.dataframe)
    assert hashed not in page_text and PASSWORD not in page_text
