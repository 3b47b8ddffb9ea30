"""Prepared download files kept on the server, served by a plain HTTP route (issue 15 item 8).

Streamlit's media file manager may delete a ``download_button`` file before the browser fetches
it (another session's end of run clears files it thinks unused: HTTP 404 under concurrency).
When the app runs behind ``serve.py`` (:mod:`mineralmap.ui.asgi` mounts ``/download/…``), a page
puts the bytes of a prepared file into :class:`DownloadStore` and draws a link to
``/download/<token>/<file name>``; the route answers from the store. No session's run can
remove an entry: only the store's own policy does.

Policy (what can make a link stop working)
------------------------------------------
* A token is unguessable (``secrets.token_urlsafe``, 192 bits). The same ``key`` (selection,
  format, day …) always gets the same token while the key is remembered (up to
  ``max_tokens`` keys, least recently used forgotten first), even after its bytes were evicted:
  a page that draws the link again puts the bytes back under the *same* URL, so an old link in
  an open tab works again after any rerun of a page showing that selection.
* Every :meth:`DownloadStore.put` (a page drew the link) and every successful
  :meth:`DownloadStore.get` (a fetch) refreshes the entry's *last use*.
* An entry is dropped ``ttl_s`` (default 1 h) after its last use.
* The bytes of all entries are bounded by ``max_bytes``. Over the bound, entries are evicted
  least recently used first, but entries used within the last ``protect_s`` (default 10 min) go
  only when evicting every older entry was not enough, i.e. a link drawn in the last
  ``protect_s`` breaks only when the memory bound itself is hit. The entry being put is never
  evicted by its own put; a single file larger than ``max_bytes`` is not stored at all
  (:meth:`DownloadStore.put` returns ``None`` and the page falls back to a download button).

All methods are thread-safe (one lock; Streamlit runs every session's script in its own thread
and the route on the event loop).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_PROTECT_S", "DEFAULT_TTL_S", "EXPIRED_TEXT",
           "URL_PREFIX", "Download", "DownloadStore", "content_disposition", "default_store",
           "download_url", "valid_token"]

#: Path prefix of the download route.
URL_PREFIX = "/download/"
#: Bytes kept at most over all entries (a few hundred selections of the curated table).
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: An entry is dropped this long after its last use (drawn or fetched).
DEFAULT_TTL_S = 3600.0
#: An entry used this recently is evicted only when the memory bound cannot be met otherwise.
DEFAULT_PROTECT_S = 600.0
#: Keys (and their tokens) remembered at most.
DEFAULT_MAX_TOKENS = 8192
#: What the route answers for an unknown or expired link.
EXPIRED_TEXT = ("This download link has expired or is unknown (files are kept for an hour after "
                "the page showed them). Go back to the app, rerun the page (press R or change "
                "any setting) and click the download again.\n")

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Download:
    """One stored file.

    Attributes
    ----------
    token : str
        The unguessable part of the URL.
    filename : str
        The file name the browser saves it under.
    mime : str
        Its MIME type.
    data : bytes
        The file.
    """

    token: str
    filename: str
    mime: str
    data: bytes


@dataclass
class _Entry:
    download: Download
    last_used: float


def valid_token(token: str) -> bool:
    """True when ``token`` has the shape of a token this module makes (nothing else is looked up)."""
    return isinstance(token, str) and _TOKEN_RE.fullmatch(token) is not None


def _clean_name(filename: str) -> str:
    """``filename`` with unprintable characters (controls, surrogates, unassigned) and path
    separators as spaces, without surrounding dots/spaces."""
    name = "".join(c if c.isprintable() and c not in "/\\" else " " for c in filename)
    name = name.strip(" .")
    return name or "download"


def content_disposition(filename: str) -> str:
    """``Content-Disposition: attachment`` value for ``filename`` (RFC 6266 with RFC 5987).

    An ASCII fallback ``filename="…"`` (anything but letters, digits, ``._-`` and space becomes
    ``_``) and the exact name as ``filename*=UTF-8''…`` (percent-encoded), so neither a quote,
    a CR/LF nor a non-ASCII character can end or split the header.
    """
    name = _clean_name(filename)
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name)
    quoted = urllib.parse.quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def download_url(download: Download, base: str = "") -> str:
    """URL path of ``download`` (``base`` is the server's base URL path, e.g. ``""``)."""
    b = base.strip("/")
    return ((f"/{b}" if b else "") + URL_PREFIX + download.token + "/"
            + urllib.parse.quote(download.filename, safe=""))


class DownloadStore:
    """Prepared files by unguessable token, bounded by bytes and time (see the module's policy).

    Parameters
    ----------
    max_bytes
        Bound of the stored bytes.
    ttl_s
        Seconds after its last use an entry is dropped.
    protect_s
        Entries used this recently go only when the byte bound cannot be met otherwise.
    max_tokens
        Keys whose token is remembered.
    clock
        Monotonic seconds (injectable for tests).
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, ttl_s: float = DEFAULT_TTL_S,
                 protect_s: float = DEFAULT_PROTECT_S, max_tokens: int = DEFAULT_MAX_TOKENS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_bytes <= 0 or ttl_s <= 0 or protect_s < 0 or max_tokens <= 0:
            raise ValueError("max_bytes, ttl_s and max_tokens must be positive, protect_s >= 0")
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.protect_s = min(protect_s, ttl_s)
        self.max_tokens = max_tokens
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: OrderedDict[Hashable, str] = OrderedDict()  # key -> token (LRU order)
        self._keys: dict[str, Hashable] = {}  # token -> key
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # token -> entry (LRU order)
        self._bytes = 0

    # ---- queries

    @property
    def total_bytes(self) -> int:
        """Bytes stored now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, token: object) -> bool:
        with self._lock:
            return isinstance(token, str) and token in self._entries

    # ---- changes

    def put(self, key: Hashable, data: bytes, filename: str, mime: str) -> Download | None:
        """Store ``data`` under ``key`` (or refresh it) and return it with its token.

        Parameters
        ----------
        key
            What the file is of (e.g. catalog key, selection fingerprint, format, day): the same
            key gets the same token.
        data, filename, mime
            The file, its name (unprintable characters and path separators become spaces) and
            MIME type.

        Returns
        -------
        Download or None
            ``None`` when ``data`` alone is larger than the byte bound (not stored).
        """
        data = bytes(data)
        filename = _clean_name(filename)  # one URL path segment, one header line
        if len(data) > self.max_bytes:
            return None
        full_key = (key, filename, mime)
        with self._lock:
            now = self._clock()
            token = self._tokens.get(full_key)
            if token is None:
                token = secrets.token_urlsafe(24)
                self._tokens[full_key] = token
                self._keys[token] = full_key
                while len(self._tokens) > self.max_tokens:
                    old_key, old_token = self._tokens.popitem(last=False)
                    self._keys.pop(old_token, None)
                    self._drop(old_token)
            else:
                self._tokens.move_to_end(full_key)
            old = self._entries.get(token)
            if old is not None and old.download.data == data:
                old.last_used = now
                self._entries.move_to_end(token)
                download = old.download
            else:
                self._drop(token)
                download = Download(token, filename, mime, data)
                self._entries[token] = _Entry(download, now)
                self._bytes += len(data)
            self._evict(now, keep=token)
            return download

    def get(self, token: str) -> Download | None:
        """The file of ``token`` (refreshing its last use), or ``None`` if unknown or expired."""
        if not valid_token(token):
            return None
        with self._lock:
            now = self._clock()
            entry = self._entries.get(token)
            if entry is None:
                return None
            if now - entry.last_used > self.ttl_s:
                self._drop(token)
                return None
            entry.last_used = now
            self._entries.move_to_end(token)
            return entry.download

    def clear(self) -> None:
        """Forget every entry and token."""
        with self._lock:
            self._tokens.clear()
            self._keys.clear()
            self._entries.clear()
            self._bytes = 0

    # ---- internals (called with the lock held)

    def _drop(self, token: str) -> None:
        entry = self._entries.pop(token, None)
        if entry is not None:
            self._bytes -= len(entry.download.data)

    def _evict(self, now: float, keep: str) -> None:
        for token in [t for t, e in self._entries.items() if now - e.last_used > self.ttl_s]:
            self._drop(token)
        if self._bytes <= self.max_bytes:
            return
        # least recently used first (the OrderedDict's order): unprotected, then protected
        for protected in (False, True):
            for token in list(self._entries):
                if self._bytes <= self.max_bytes:
                    return
                if token == keep:
                    continue
                recent = now - self._entries[token].last_used <= self.protect_s
                if recent == protected:
                    self._drop(token)


_DEFAULT: dict[str, DownloadStore] = {}
_DEFAULT_LOCK = threading.Lock()


def default_store() -> DownloadStore:
    """The process's store (shared by every session and the route)."""
    with _DEFAULT_LOCK:
        if "store" not in _DEFAULT:
            _DEFAULT["store"] = DownloadStore()
        return _DEFAULT["store"]
