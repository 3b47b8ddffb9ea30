"""The download store (mineralmap.downloads) and its HTTP route (mineralmap.ui.asgi), issue 15
item 8: tokens, byte bound with LRU eviction and a protected window, TTL with an injected clock,
thread safety, and the route through a real ASGI app (RFC 6266 header, no-store, 404 text)."""

from __future__ import annotations

import re
import threading
import urllib.parse

import pytest
from _asgi import asgi_get
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route, Router

from mineralmap import downloads
from mineralmap.downloads import DownloadStore
from mineralmap.ui import asgi, links


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _store(clock: Clock, **kw) -> DownloadStore:
    return DownloadStore(clock=clock, **kw)


# ---- the store -------------------------------------------------------------------------------


def test_same_key_same_token_other_key_other_token(clock):
    s = _store(clock)
    a = s.put(("sel", "csv"), b"a,b\n", "x.csv", "text/csv")
    again = s.put(("sel", "csv"), b"a,b\n", "x.csv", "text/csv")
    other = s.put(("sel", "kml"), b"<?xml", "x.kml", "application/vnd.google-earth.kml+xml")
    assert a is not None and again is not None and other is not None
    assert a.token == again.token != other.token
    assert downloads.valid_token(a.token) and len(a.token) >= 32
    assert s.get(a.token).data == b"a,b\n" and s.get(other.token).filename == "x.kml"
    assert len(s) == 2 and s.total_bytes == len(b"a,b\n") + len(b"<?xml")


def test_new_bytes_under_a_key_keep_the_token_and_the_byte_count(clock):
    s = _store(clock)
    a = s.put("k", b"1" * 10, "f.pdf", "application/pdf")
    b = s.put("k", b"2" * 30, "f.pdf", "application/pdf")
    assert a.token == b.token and s.get(a.token).data == b"2" * 30 and s.total_bytes == 30


def test_unknown_and_malformed_tokens_get_nothing(clock):
    s = _store(clock)
    s.put("k", b"x", "f", "text/plain")
    for token in ("", "short", "a" * 200, "../../etc/passwd", "tok en" * 5, "A" * 32):
        assert s.get(token) is None


def test_lru_eviction_spares_recent_links_until_the_bound_is_hit(clock):
    s = _store(clock, max_bytes=100, ttl_s=3600, protect_s=600)
    old1 = s.put("old1", b"a" * 40, "1", "t/p")
    old2 = s.put("old2", b"b" * 40, "2", "t/p")
    clock.now += 700  # both older than the protected window
    assert s.get(old1.token) is not None  # a fetch refreshes old1: now recent
    recent = s.put("new", b"c" * 40, "3", "t/p")  # 120 > 100: the unprotected LRU goes
    assert old2.token not in s and old1.token in s and recent.token in s
    assert s.total_bytes == 80
    # everything is recent now: the bound itself forces the least recently used out
    big = s.put("big", b"d" * 60, "4", "t/p")
    assert s.total_bytes <= 100 and big.token in s
    assert old1.token not in s and recent.token in s  # 40 + 40 + 60 > 100: the LRU one goes
    assert s.total_bytes == 100


def test_the_entry_being_put_stays_and_a_file_over_the_bound_is_refused(clock):
    s = _store(clock, max_bytes=50)
    first = s.put("a", b"a" * 30, "a", "t/p")
    assert s.put("huge", b"h" * 51, "h", "t/p") is None and first.token in s
    only = s.put("b", b"b" * 50, "b", "t/p")
    assert only.token in s and first.token not in s and s.total_bytes == 50


def test_ttl_counts_from_the_last_use_with_an_injected_clock(clock):
    s = _store(clock, ttl_s=3600, protect_s=600)
    d = s.put("k", b"data", "f.csv", "text/csv")
    clock.now += 3000
    assert s.get(d.token) is not None  # used: another hour from now
    clock.now += 3500
    assert s.get(d.token) is not None
    clock.now += 3601
    assert s.get(d.token) is None and d.token not in s and s.total_bytes == 0
    # the page draws the link again: same key -> the same URL works again
    again = s.put("k", b"data", "f.csv", "text/csv")
    assert again.token == d.token and s.get(d.token).data == b"data"


def test_expired_entries_are_dropped_by_a_later_put(clock):
    s = _store(clock, ttl_s=60, protect_s=10)
    d = s.put("old", b"x" * 10, "o", "t/p")
    clock.now += 61
    s.put("new", b"y", "n", "t/p")
    assert d.token not in s and s.total_bytes == 1


def test_forgotten_keys_get_new_tokens(clock):
    s = _store(clock, max_tokens=2)
    a = s.put("a", b"1", "a", "t/p")
    s.put("b", b"2", "b", "t/p")
    s.put("c", b"3", "c", "t/p")  # "a" is the least recently used key: forgotten, bytes dropped
    assert a.token not in s and s.put("a", b"1", "a", "t/p").token != a.token


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        DownloadStore(max_bytes=0)
    with pytest.raises(ValueError):
        DownloadStore(ttl_s=0)


def test_threads_never_see_another_keys_bytes_and_the_bound_holds():
    s = DownloadStore(max_bytes=64 * 1024, protect_s=0)
    errors: list[str] = []

    def worker(n: int) -> None:
        for i in range(300):
            key = (n % 4, i % 25)
            data = f"{key}".encode() * (50 + (i % 25) * 10)
            d = s.put(key, data, f"{key[0]}_{key[1]}.txt", "text/plain")
            got = s.get(d.token)
            if got is not None and got.data != data:
                errors.append(f"{key}: other bytes")
            if s.total_bytes > s.max_bytes:
                errors.append("over the bound")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    with s._lock:  # the books balance
        assert s._bytes == sum(len(e.download.data) for e in s._entries.values())
        assert set(s._keys) == set(s._tokens.values()) and len(s._tokens) == 100


def test_default_store_is_one_per_process():
    assert downloads.default_store() is downloads.default_store()


# ---- the header ------------------------------------------------------------------------------


def _disposition_name(value: str) -> str:
    m = re.search(r"filename\*=UTF-8''([^;\s]*)$", value)
    assert m, value
    return urllib.parse.unquote(m.group(1))


@given(name=st.text(max_size=80))
def test_content_disposition_is_one_safe_ascii_header(name):
    value = downloads.content_disposition(name)
    assert value.isascii() and value.isprintable()  # no CR/LF, no control characters
    assert value.startswith("attachment; filename=\"")
    fallback = re.match(r'attachment; filename="([^"]*)"; filename\*=', value)
    assert fallback and re.fullmatch(r"[A-Za-z0-9._ -]+", fallback.group(1))
    exact = _disposition_name(value)
    assert exact and "/" not in exact and "\\" not in exact and "\r" not in exact
    assert "\n" not in exact and not exact.startswith(".")


def test_content_disposition_keeps_a_plain_and_a_unicode_name():
    assert downloads.content_disposition("a b.csv") == (
        "attachment; filename=\"a b.csv\"; filename*=UTF-8''a%20b.csv")
    assert _disposition_name(downloads.content_disposition("خیبر.kml")) == "خیبر.kml"


# ---- the route -------------------------------------------------------------------------------


def _get(app, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    return asgi_get(app, path, method=method)


@pytest.fixture
def store(clock) -> DownloadStore:
    return _store(clock, ttl_s=3600)


@pytest.fixture
def app(store):
    # the endpoint of asgi.routes(), on a store of the test, without marking the route mounted
    return Router(routes=[Route("/download/{token}/{file_name}",
                                asgi.download_endpoint(lambda: store))])


def _path(d: downloads.Download) -> str:
    return urllib.parse.unquote(downloads.download_url(d))


def test_route_serves_the_file_as_an_attachment(app, store):
    d = store.put(("sel", "gpkg"), b"SQLite format 3\x00rest", "Sb Balochistan 2026.gpkg",
                  "application/geopackage+sqlite3")
    url = downloads.download_url(d)
    assert url == f"/download/{d.token}/Sb%20Balochistan%202026.gpkg"
    assert downloads.download_url(d, base="/app/") == "/app" + url
    status, headers, body = _get(app, _path(d))
    assert status == 200 and body == d.data
    assert headers["content-type"] == "application/geopackage+sqlite3"
    assert headers["cache-control"] == "no-store"
    assert headers["content-disposition"] == (
        "attachment; filename=\"Sb Balochistan 2026.gpkg\"; "
        "filename*=UTF-8''Sb%20Balochistan%202026.gpkg")
    assert _get(app, _path(d))[2] == d.data  # fetched twice: still there


def test_route_404s_unknown_expired_and_misnamed_links(app, store, clock):
    d = store.put("k", b"x,y\n", "f.csv", "text/csv")
    other = "A" * len(d.token)
    for path in (f"/download/{other}/f.csv", f"/download/{d.token}/g.csv",
                 f"/download/{d.token}/F.csv", "/download/short/f.csv"):
        status, headers, body = _get(app, path)
        assert status == 404 and body == downloads.EXPIRED_TEXT.encode()
        assert headers["cache-control"] == "no-store"
    clock.now += 3601
    status, _, body = _get(app, _path(d))
    assert status == 404 and b"click the download again" in body


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.one_of(st.text(max_size=70), st.sampled_from(["..", "%2e%2e", "."])),
       name=st.one_of(st.text(max_size=40),
                      st.sampled_from(["../secret", "..%2Fsecret", "f.csv\r\nSet-Cookie: a=b",
                                       "f.csv%0d%0aX: y", "f.csv"])))
def test_route_never_serves_a_file_to_a_forged_path(app, store, token, name):
    d = store.put("k", b"SECRET", "f.csv", "text/csv")
    status, headers, body = _get(app, f"/download/{token}/{name}")
    # 3xx: Starlette's slash redirect for a path that ends in "/" (it serves nothing)
    assert status in (404, 405) or 300 <= status < 400 or (status == 200 and token == d.token)
    if status != 200:
        assert b"SECRET" not in body
    for value in headers.values():
        assert "\r" not in value and "\n" not in value


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=60))
def test_any_stored_name_round_trips_through_the_url_and_header(app, store, name):
    d = store.put(("k", name), b"DATA", name, "text/plain")
    assert "/" not in d.filename and d.filename.isprintable() and d.filename
    status, headers, body = _get(app, _path(d))
    assert status == 200 and body == b"DATA"
    value = headers["content-disposition"]
    assert "\r" not in value and "\n" not in value and value.isascii()


def test_routes_mount_every_path(monkeypatch):
    monkeypatch.setitem(asgi._MOUNTED, "layers", False)  # restored after the test
    monkeypatch.setitem(asgi._MOUNTED, "downloads", False)
    monkeypatch.setitem(asgi._MOUNTED, "tiles", False)
    assert not asgi.download_route_mounted() and not asgi.route_mounted("downloads")
    assert not asgi.tile_route_mounted()
    paths = {r.path: r for r in asgi.routes()}
    assert set(paths) == {"/layers/{file_name}", "/download/{token}/{file_name}",
                          "/tiles/occ/{key}/{z}/{x}/{y}.json"}
    assert "GET" in paths["/download/{token}/{file_name}"].methods
    assert asgi.download_route_mounted() and asgi.layer_route_mounted()
    assert asgi.tile_route_mounted()
    assert not asgi.route_mounted("nothing")


# ---- the one download widget of every page (mineralmap.ui.links) -------------------------------


def _links_script() -> None:
    from mineralmap.ui import links

    data = b"id,name\nSB-1,Krinj\n"
    links.download("Download the report (CSV)", links.content_key("report", data), data,
                   "report.csv", "text/csv", key="dl")


def test_content_key_names_the_bytes_and_their_kind():
    a = b"id\n1\n"
    assert links.content_key("report", a) == links.content_key("report", bytes(a))
    assert links.content_key("report", a) != links.content_key("diff", a)
    assert links.content_key("report", a) != links.content_key("report", a + b"2\n")


def test_a_download_is_a_link_to_the_route_when_it_is_mounted(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setitem(asgi._MOUNTED, "layers", False)  # restored after the test
    monkeypatch.setitem(asgi._MOUNTED, "downloads", False)
    monkeypatch.setitem(asgi._MOUNTED, "tiles", False)
    at = AppTest.from_function(_links_script).run()
    assert not at.exception
    assert len(at.get("download_button")) == 1 and len(at.get("link_button")) == 0

    router = Router(routes=asgi.routes())  # marks both routes mounted, as serve.py does
    at = AppTest.from_function(_links_script).run()
    assert not at.exception and len(at.get("download_button")) == 0
    (button,) = at.get("link_button")
    url = button.proto.url
    assert re.fullmatch(r"/download/[A-Za-z0-9_-]{32}/report\.csv", url), url
    status, headers, body = _get(router, url)
    assert status == 200 and body == b"id,name\nSB-1,Krinj\n"
    assert headers["content-disposition"].startswith('attachment; filename="report.csv"')
