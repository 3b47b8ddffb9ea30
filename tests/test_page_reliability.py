"""AppTest of issue 15's page items on the toy world: text a link or a user controls is shown as
literal text (no live link or image), picked rows are counted apart from the filter, and every
download is a link to the server's /download/ route when it is mounted (serve.py), else a
download button with bytes registered for the session (never a deferred callable)."""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from pathlib import Path

from _asgi import asgi_get
from starlette.routing import Route, Router
from streamlit.testing.v1 import AppTest
from toy_world import TOY_COAST_LAT, TOY_COAST_ROAD

from mineralmap import downloads, filters, inventory, regions, selection
from mineralmap.filters import FilterSpec
from mineralmap.regions import RegionSpec
from mineralmap.summary import ZWSP
from mineralmap.ui import asgi

APP = str(Path(__file__).resolve().parents[1] / "app.py")
INJECTION = "[sign in here](https://evil.example) ![t](https://evil.example/t.png)"
DOWNLOAD_KEYS = ("dl_geojson", "dl_csv", "dl_gpkg", "dl_kml")


def _run(page: str, query: dict[str, str] | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> list[str]:
    """Every Markdown string the page rendered (markdown, captions, alerts)."""
    out: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def _live_links(text: str) -> list[str]:
    """Link/image syntax or autolinks that Markdown would render live in ``text``."""
    unescaped = re.sub(r"\\.", "", text)  # drop every backslash escape
    return (re.findall(r"\[[^\]]*\]\([^)]*\)", unescaped)
            + re.findall(r"(?i)https?://\S+|www\.\S+", unescaped))


def _sentence(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))[5:]


def test_injection_link_renders_as_text_on_explore(use_toy_world):
    at = _run("pages/explore.py", {"q": INJECTION, "max_port_km": INJECTION,
                                   f"x{INJECTION}": "1", "view": INJECTION})
    texts = _texts(at)
    for t in texts:
        assert not _live_links(t), t
    # the filter sentence quotes the name filter, escaped; the notes quote the bad values
    sentence = _sentence(at)
    assert r"\[sign in here\](https:" + ZWSP + "//evil.example)" in sentence
    assert r"\!\[t\]" in sentence
    notes = " ".join(i.value for i in at.info)
    assert "Some link parameters were ignored" in notes and "max_port_km" in notes
    assert r"\[sign in here\]" in notes


def test_injection_in_the_candidate_terminal_name_is_escaped(use_toy_world):
    at = _run("pages/context.py")
    at.checkbox(key="ctx_cand_on").check().run()
    at.number_input(key="ctx_cand_lon").set_value(TOY_COAST_ROAD.coords[-1][0])
    at.number_input(key="ctx_cand_lat").set_value(TOY_COAST_LAT + 0.05)
    at.text_input(key="ctx_cand_name").set_value(INJECTION + " <img src=x onerror=alert(1)>")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for t in _texts(at):
        assert not _live_links(t), t
        assert not re.search(r"(?<!\\)<img", t), t  # escaped (\<img) or HTML-escaped
    legend = next(m.value for m in at.markdown if m.value.startswith("Routes to:"))
    assert "&lt;img src=x" in legend and r"\[sign in here\]" in legend


def test_picked_rows_are_counted_apart_from_the_filter(use_toy_world):
    cat = use_toy_world.catalog
    occ = cat.occurrences
    spec = FilterSpec(precisions=("surveyed",), provinces=("Balochistan",))
    matching = set(filters.apply(occ, spec)[0]["id"])
    added = sorted(set(occ["id"]) - matching)[:2]
    assert len(added) == 2
    region = RegionSpec(provinces=("Balochistan",), add_ids=tuple(added))
    at = _run("pages/region_export.py", {"precision": "surveyed", "province": "Balochistan"},
              {"_mm_region_picks": {"add": added, "remove": []},
               "rg_prov": ["Balochistan"]})
    sel = selection.select(occ, cat.layers, spec, region)
    n_match = len(sel.rows) - 2
    assert n_match == len(set(sel.rows["id"]) - set(added))
    expected = selection.selection_sentence(spec, n_match, 2, has_region=True)
    assert sel.filter_sentence == expected  # what the export metadata writes
    assert _sentence(at).startswith(expected + " — region: Balochistan"), _sentence(at)
    assert f"{n_match} surveyed" in _sentence(at) and "+ 2 added by hand" in _sentence(at)


def test_download_buttons_serve_bytes_registered_for_the_session(use_toy_world, monkeypatch):
    monkeypatch.setitem(asgi._MOUNTED, "downloads", False)  # streamlit run app.py, AppTest
    at = _run("pages/region_export.py", {"commodity": "Sb"})
    buttons = {b.key: b for b in at.get("download_button")}
    assert set(buttons) == set(DOWNLOAD_KEYS)
    for key, b in buttons.items():
        proto = b.proto
        # a deferred (callable) download would carry a placeholder id and no URL
        assert not proto.HasField("deferred_file_id"), key
        assert "/media/" in proto.url, (key, proto.url)
    assert len({b.proto.url for b in buttons.values()}) == 4


def test_downloads_are_links_to_the_route_when_it_is_mounted(use_toy_world, monkeypatch):
    """Behind serve.py (the route mounted in this process) the four downloads are links to
    /download/<token>/<name>, and the route serves each file from the process's store."""
    monkeypatch.setitem(asgi._MOUNTED, "downloads", True)  # what serve.py's asgi.routes() sets
    at = _run("pages/region_export.py", {"commodity": "Sb"})
    assert not at.get("download_button")
    links = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in at.get("link_button")}
    assert set(DOWNLOAD_KEYS) <= set(links)
    heads = {"dl_geojson": b"{", "dl_csv": b"", "dl_gpkg": b"SQLite format 3\x00",
             "dl_kml": b"<?xml"}
    mimes = {"dl_geojson": "application/geo+json", "dl_csv": "text/csv",
             "dl_gpkg": "application/geopackage+sqlite3"}
    app = Router(routes=[Route(downloads.URL_PREFIX + "{token}/{file_name}",
                               asgi.download_endpoint())])
    for key in DOWNLOAD_KEYS:
        url = links[key].url
        assert url.startswith("/download/"), url
        status, headers, body = _get(app, urllib.parse.unquote(url))
        assert status == 200 and len(body) > 0 and body.startswith(heads[key]), (key, body[:20])
        assert headers["content-disposition"].startswith("attachment; filename=")
        assert headers["cache-control"] == "no-store"
        if key in mimes:
            assert headers["content-type"].startswith(mimes[key])
    # the same selection keeps its links (the same token per selection and format)
    at.run()
    assert {b.proto.url for b in at.get("link_button")} >= {p.url for p in links.values()}


def _get(app, path: str) -> tuple[int, dict, bytes]:
    return asgi_get(app, path)


def test_server_upload_limit_is_set_and_bounded():
    """The server's own limit is set in the project's config (issue 15 item 3; Streamlit's
    default is 200 MB): above the library's 5 MB limits, so that a file between them reaches the
    app and gets its reason in the page (issue 14 item 9) instead of a browser-side refusal shown
    only on hover, and at most 50 MiB, so that no upload costs the server more than that."""
    conf = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    limit = conf["server"]["maxUploadSize"] * 1024 * 1024
    assert max(regions.MAX_UPLOAD_BYTES, inventory.MAX_UPLOAD_BYTES) < limit <= 50 * 1024 * 1024
