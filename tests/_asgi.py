"""One HTTP request to an ASGI app, without a client library (httpx is not a dependency)."""

from __future__ import annotations

import asyncio


def asgi_get(app, path: str, headers: dict[str, str] | None = None,
             method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send ``method path`` to ``app`` (a Starlette router or app); (status, headers, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
             "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode("utf-8", "surrogatepass"),
             "root_path": "", "query_string": b"", "server": ("test", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    sent: list[dict] = []
    asked: list[bool] = []

    async def receive() -> dict:
        # the request once, then (a server would wait for it) the client going away
        if asked:
            return {"type": "http.disconnect"}
        asked.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode("latin-1"): v.decode("latin-1")
                             for k, v in start["headers"]}, body
