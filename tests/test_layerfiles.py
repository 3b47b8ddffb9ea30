"""Static context layers as content-hashed files (mineralmap.layerfiles) and their HTTP route
(mineralmap.ui.asgi), on the toy world.

The route is driven as a real ASGI application (Starlette's router, called with ASGI messages),
the files are real files in a temporary folder.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from _asgi import asgi_get
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route, Router

from mineralmap import layerfiles
from mineralmap import layers as mlayers
from mineralmap.errors import ValidationError
from mineralmap.ui import asgi

SECRET = "top secret: must never be served"


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "secret.json").write_text(SECRET)  # beside the folder: must stay unreachable
    return tmp_path / "layers"


@pytest.fixture
def files(layers, folder) -> dict:
    return layerfiles.build_layer_files(layers, folder=folder)


def _layer_dict(lyr) -> dict:
    return json.loads(mlayers.MapDeck(layers=[lyr]).to_json())["layers"][0]


def test_every_context_layer_is_written_with_the_records_of_layers_py(layers, files, folder):
    present = [n for n in mlayers.CONTEXT_LAYER_IDS if n in layers]
    assert {n for n, _ in files} == set(present)
    for name in present:
        f = files[(name, False)]
        raw = f.path.read_bytes()
        assert json.loads(raw) == json.loads(json.dumps(
            mlayers.wire_records(name, mlayers.static_layer_payload(name, layers[name]))))
        assert f.digest == hashlib.sha256(raw).hexdigest()[:layerfiles.HASH_CHARS]
        assert f.file_name == f"{name}.{f.digest}.json" and f.path.parent == folder
        assert f.nbytes == len(raw)
        assert gzip.decompress(f.path.with_name(f.file_name + ".gz").read_bytes()) == raw


def test_dark_variant_swaps_the_line_colours_in_the_records(layers, files):
    light, dark = files[("roads", False)], files[("roads", True)]
    assert dark.dark and dark.file_name.startswith("roads-dark.") and dark.digest != light.digest
    dark_rows = json.loads(dark.path.read_bytes())
    light_rows = json.loads(light.path.read_bytes())
    assert len(dark_rows) == len(light_rows)
    for lr, dr in zip(light_rows, dark_rows, strict=True):
        assert dr["c"] == list(mlayers.DARK_PALETTE[tuple(lr["c"])])
        assert dr["path"] == lr["path"]
    # province colours are layer properties, not records: one file serves both basemaps
    assert files[("provinces", True)] is files[("provinces", False)]


def test_rebuilding_is_idempotent_and_a_change_gets_a_new_name(layers, files, folder):
    again = layerfiles.build_layer_files(layers, folder=folder)
    assert {k: f.path for k, f in again.items()} == {k: f.path for k, f in files.items()}
    towns = layers["towns"].iloc[:-1]
    light, _ = layerfiles.write_layer_file("towns", towns, folder)
    assert light.path != files[("towns", False)].path and light.path.is_file()
    assert files[("towns", False)].path.is_file()  # an open page may still ask for the old one


def test_old_files_are_pruned(layers, folder):
    towns = layers["towns"]
    for k in range(len(towns)):
        layerfiles.write_layer_file("towns", towns.iloc[k:], folder, keep=2)
    assert len(list(folder.glob("towns.*.json"))) == min(2, len(towns))
    assert len(list(folder.glob("towns.*.json.gz"))) == min(2, len(towns))


def test_url_layer_is_the_inline_layer_with_a_url(layers, files):
    for (name, dark), f in files.items():
        if dark:
            continue
        inline = _layer_dict(mlayers.context_layer(name, mlayers.static_layer_payload(name, layers[name])))
        by_url = _layer_dict(layerfiles.url_layer(f))
        assert by_url["data"] == f"/layers/{f.file_name}"
        assert {k: v for k, v in by_url.items() if k != "data"} == \
            {k: v for k, v in inline.items() if k != "data"}
    assert layerfiles.url_layer(files[("ports", False)], base="/mm/").data.startswith("/mm/layers/")


def test_url_layers_keep_the_drawing_order_and_reject_unknown_names(layers, files):
    visible = ["ports", "roads", "districts", "towns"]
    inline = [lyr.id for lyr in mlayers.context_layers(layers, visible)]
    assert [lyr.id for lyr in layerfiles.url_layers(files, visible)] == inline
    dark = layerfiles.url_layers(files, visible, dark=True)
    assert dark[[lyr.id for lyr in dark].index("roads")].data.startswith("/layers/roads-dark.")
    with pytest.raises(ValidationError, match="unknown map layer"):
        layerfiles.url_layers(files, ["roads", "../etc"])


def test_resolve_accepts_only_written_files(files, folder):
    for f in files.values():
        assert layerfiles.resolve_layer_file(folder, f.file_name) == f.path.resolve()
    for bad in ("secret.json", "../secret.json", "roads.json", f"nope.{'0' * 16}.json",
                "", "/etc/passwd", files[("roads", False)].file_name + ".gz"):
        assert layerfiles.resolve_layer_file(folder, bad) is None


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(
    st.text(max_size=60),
    st.builds(lambda a, b: a + b, st.sampled_from(["../", "..\\", "/", "%2e%2e/", "./", "layers/"]),
              st.sampled_from(["secret.json", "../secret.json", "layers/../secret.json"])),
))
def test_resolve_never_leaves_the_folder(files, folder, name):
    got = layerfiles.resolve_layer_file(folder, name)
    assert got is None or got in {f.path.resolve() for f in files.values()}


# ---- the HTTP route ---------------------------------------------------------------------------


def _get(app, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    return asgi_get(app, path, headers)


@pytest.fixture
def app(files, folder):
    # the endpoint of asgi.routes(), without marking the route as mounted in this process
    return Router(routes=[Route("/layers/{file_name}", asgi.layer_endpoint(lambda: folder))])


def test_route_serves_a_file_with_immutable_cache_headers(app, files):
    f = files[("roads", False)]
    status, headers, body = _get(app, f"/layers/{f.file_name}")
    assert status == 200 and body == f.path.read_bytes()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["etag"] == f'"{f.digest}"'
    assert headers["content-type"].startswith("application/json")


def test_route_sends_the_gzip_copy_and_answers_304(app, files):
    f = files[("districts", False)]
    status, headers, body = _get(app, f"/layers/{f.file_name}", {"Accept-Encoding": "br, gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == f.path.read_bytes()
    status, headers, body = _get(app, f"/layers/{f.file_name}", {"If-None-Match": f'"{f.digest}"'})
    assert status == 304 and body == b"" and headers["etag"] == f'"{f.digest}"'


def test_routes_mount_the_layer_path(monkeypatch):
    monkeypatch.setitem(asgi._MOUNTED, "layers", False)  # restored after the test
    monkeypatch.setitem(asgi._MOUNTED, "downloads", False)
    monkeypatch.setitem(asgi._MOUNTED, "tiles", False)
    assert not asgi.layer_route_mounted()
    route = asgi.routes()[0]
    assert route.path == "/layers/{file_name}" and "GET" in route.methods
    assert asgi.layer_route_mounted()


def test_route_404s_unknown_names(app):
    for path in ("/layers/roads.json", f"/layers/roads.{'0' * 16}.json", "/layers/secret.json"):
        assert _get(app, path)[0] == 404


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(["../", "..%2F", "%2e%2e/", "./", "//"]),
              st.sampled_from(["secret.json", "../secret.json", "layers/../secret.json"])),
))
def test_route_never_serves_anything_outside_the_folder(app, files, tail):
    status, _, body = _get(app, "/layers/" + tail)
    served = {f.path.read_bytes() for f in files.values()}
    assert SECRET.encode() not in body
    assert status in (200, 404) or 300 <= status < 400
    if status == 200:
        assert body in served


# ---- shared occurrence points -------------------------------------------------------------------


def test_occurrence_file_holds_the_shared_points_once(enriched, folder, files):
    ofile = layerfiles.write_occurrence_file(enriched, folder=folder)
    f = ofile.file
    raw = f.path.read_bytes()
    pts = mlayers.shared_points(enriched)
    assert json.loads(raw) == json.loads(json.dumps(pts.records))
    assert f.file_name == f"{layerfiles.OCCURRENCE_FILE}.{f.digest}.json"
    assert gzip.decompress(f.path.with_name(f.file_name + ".gz").read_bytes()) == raw
    assert ofile.points.ids == pts.ids and ofile.points.records == []  # the file holds them
    assert layerfiles.resolve_layer_file(folder, f.file_name) == f.path.resolve()
    # both layers name the one URL, with the limits as a deck.gl filter range
    unc, markers = layerfiles.occurrence_layers(ofile, [100.0, None, None], base="/app/")
    assert unc.data == markers.data == f"/app/layers/{f.file_name}"
    assert _layer_dict(markers)["filterRange"] == pts.filter_range([100.0, None, None])
    # rewriting the same points keeps the name; other rows get another one
    assert layerfiles.write_occurrence_file(enriched, folder=folder).file.path == f.path
    other = layerfiles.write_occurrence_file(enriched.iloc[:2], folder=folder)
    assert other.file.path != f.path and f.path.is_file()


def test_old_occurrence_files_are_pruned_and_context_files_kept(enriched, folder, files):
    names = [layerfiles.write_occurrence_file(enriched.iloc[:k], folder=folder, keep=2).file
             for k in (1, 2, 3)]
    assert not names[0].path.exists() and names[1].path.exists() and names[2].path.exists()
    assert all(f.path.is_file() for f in files.values())


def test_route_serves_an_occurrence_file(app, enriched, folder):
    f = layerfiles.write_occurrence_file(enriched, folder=folder).file
    status, headers, body = _get(app, f"/layers/{f.file_name}", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == f.path.read_bytes()
    assert headers["cache-control"] == layerfiles.CACHE_CONTROL
