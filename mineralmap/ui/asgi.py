"""HTTP routes of the app's ASGI server (``st.App``): static context-layer files, downloads and
occurrence tiles.

``streamlit run serve.py`` (see ``serve.py`` at the top level) starts Streamlit's own Starlette
server for ``app.py`` with :func:`routes` added, so the layer files travel over plain HTTP, once,
instead of inside every websocket delta (issue 16). One process, one port, no CDN.

``GET /layers/<name>[-dark].<hash>.json`` (a context layer, or ``occurrences.<hash>.json``: the
shared occurrence points of :func:`mineralmap.layerfiles.write_occurrence_file`) answers with the
file from
:func:`mineralmap.layerfiles.layer_dir` and ``Cache-Control: public, max-age=31536000,
immutable`` plus an ``ETag`` (the content hash); ``If-None-Match`` gets a 304; a client that
accepts gzip gets the pre-compressed copy. Anything else under ``/layers/`` is a 404: only names
that :func:`mineralmap.layerfiles.resolve_layer_file` accepts are read, never a path outside
the folder.

``GET /download/<token>/<file name>`` answers with a prepared export or brief from
:func:`mineralmap.downloads.default_store` (issue 15 item 8): ``Content-Disposition:
attachment`` (RFC 6266 ``filename*``), the file's MIME type and ``Cache-Control: no-store``. An
unknown or expired token, or a file name that is not the token's, gets a 404 with a short text
that says to click the download again. The pages draw these links only when
:func:`route_mounted` says the route is served (``serve.py``); otherwise they keep
``st.download_button``.

``GET /tiles/occ/<key>/<z>/<x>/<y>.json`` answers with the GeoJSON features of one occurrence
tile (:func:`mineralmap.tiles.tile_json`) of a source the pages registered in
:func:`mineralmap.tiles.default_registry` (catalogs above
:data:`mineralmap.layers.AGGREGATE_THRESHOLD` mapped points); an unknown key or a tile outside
the grid gets a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from mineralmap import downloads, layerfiles, tiles
from mineralmap.errors import ValidationError

__all__ = ["download_endpoint", "download_route_mounted", "layer_endpoint",
           "layer_route_mounted", "route_mounted", "routes", "tile_endpoint",
           "tile_route_mounted"]

# Set by :func:`routes`, i.e. when this process serves the app through ``serve.py``. Without the
# routes (``streamlit run app.py``, AppTest) the pages keep sending the layers inline and use
# st.download_button.
_MOUNTED: dict[str, bool] = {"layers": False, "downloads": False, "tiles": False}


def route_mounted(name: str) -> bool:
    """True when this server answers the route ``name`` (``"layers"`` or ``"downloads"``)."""
    return _MOUNTED.get(name, False)


def layer_route_mounted() -> bool:
    """True when this server answers ``/layers/…`` (started with ``streamlit run serve.py``)."""
    return route_mounted("layers")


def download_route_mounted() -> bool:
    """True when this server answers ``/download/…`` (started with ``streamlit run serve.py``)."""
    return route_mounted("downloads")


def tile_route_mounted() -> bool:
    """True when this server answers ``/tiles/occ/…`` (started with ``streamlit run serve.py``)."""
    return route_mounted("tiles")


def _accepts_gzip(request: Request) -> bool:
    enc = request.headers.get("accept-encoding", "")
    return any(part.split(";")[0].strip().lower() == "gzip" for part in enc.split(","))


def layer_endpoint(folder: Callable[[], Path] = layerfiles.layer_dir
                   ) -> Callable[[Request], Response]:
    """The request handler of ``/layers/{file_name}``, reading from ``folder()``.

    Parameters
    ----------
    folder
        Returns the folder of the layer files (called per request, so a changed cache
        setting applies without a restart).
    """

    async def endpoint(request: Request) -> Response:
        path = layerfiles.resolve_layer_file(folder(), request.path_params.get("file_name", ""))
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        digest = path.name.rsplit(".", 2)[1]
        etag = f'"{digest}"'
        # Vary: the GZip middleware of Streamlit's server adds it to the uncompressed answer
        headers = {"Cache-Control": layerfiles.CACHE_CONTROL, "ETag": etag,
                   "X-Content-Type-Options": "nosniff"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        gz = path.with_name(path.name + ".gz")
        if _accepts_gzip(request) and gz.is_file():
            # already compressed: Streamlit's GZip middleware leaves a Content-Encoding alone
            return FileResponse(gz, media_type="application/json",
                                headers={**headers, "Content-Encoding": "gzip",
                                         "Vary": "Accept-Encoding"})
        return FileResponse(path, media_type="application/json", headers=headers)

    return endpoint


_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def download_endpoint(store: Callable[[], downloads.DownloadStore] = downloads.default_store
                      ) -> Callable[[Request], Response]:
    """The request handler of ``/download/{token}/{file_name}``, reading from ``store()``.

    Parameters
    ----------
    store
        Returns the store of prepared files (called per request).
    """

    async def endpoint(request: Request) -> Response:
        token = request.path_params.get("token", "")
        got = store().get(token) if downloads.valid_token(token) else None
        if got is None or request.path_params.get("file_name", "") != got.filename:
            return PlainTextResponse(downloads.EXPIRED_TEXT, status_code=404, headers=_NO_STORE)
        return Response(got.data, media_type=got.mime, headers={
            **_NO_STORE, "Content-Disposition": downloads.content_disposition(got.filename)})

    return endpoint


def tile_endpoint(registry: Callable[[], tiles.TileRegistry] = tiles.default_registry
                  ) -> Callable[[Request], Response]:
    """The request handler of ``/tiles/occ/{key}/{z}/{x}/{y}.json`` (occurrence tiles of a
    source the pages registered, see :mod:`mineralmap.tiles`).

    Parameters
    ----------
    registry
        Returns the registry of tile sources (called per request).
    """

    async def endpoint(request: Request) -> Response:
        p = request.path_params
        src = registry().get(str(p.get("key", "")))
        if src is None:
            return PlainTextResponse(tiles.EXPIRED_TEXT, status_code=404, headers=_NO_STORE)
        try:
            z, x, y = tiles.parse_tile(p.get("z", ""), p.get("x", ""), p.get("y", ""))
        except ValidationError as exc:
            return PlainTextResponse(str(exc), status_code=404, headers=_NO_STORE)
        # Streamlit's GZip middleware compresses the answer for clients that accept it
        return Response(tiles.tile_json(src, z, x, y), media_type="application/json",
                        headers={"Cache-Control": tiles.CACHE_CONTROL,
                                 "X-Content-Type-Options": "nosniff"})

    return endpoint


def routes(folder: Callable[[], Path] = layerfiles.layer_dir,
           store: Callable[[], downloads.DownloadStore] = downloads.default_store
           ) -> list[BaseRoute]:
    """Routes to pass to ``st.App(..., routes=...)``: ``GET /layers/{file_name}``,
    ``GET /download/{token}/{file_name}`` and ``GET /tiles/occ/{key}/{z}/{x}/{y}.json``.

    Calling it marks the routes as mounted in this process (:func:`route_mounted`).
    """
    _MOUNTED["layers"] = True
    _MOUNTED["downloads"] = True
    _MOUNTED["tiles"] = True
    return [Route(layerfiles.URL_PREFIX + "{file_name}", layer_endpoint(folder),
                  methods=["GET", "HEAD"]),
            Route(downloads.URL_PREFIX + "{token}/{file_name}", download_endpoint(store),
                  methods=["GET", "HEAD"]),
            Route(tiles.URL_PREFIX + "{key}/{z}/{x}/{y}.json", tile_endpoint(),
                  methods=["GET", "HEAD"])]
