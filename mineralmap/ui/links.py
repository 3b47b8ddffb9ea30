"""One download widget for every page: a link to the server's ``/download/`` route, or a button.

Streamlit's ``st.download_button`` keeps its bytes in the media-file manager, mapped to the
session's current script run; under concurrency the end of a run can drop a file before the
browser fetches it (issue 15 item 8). Behind ``serve.py`` every download in the app is therefore a
link to ``/download/<token>/<name>`` (:mod:`mineralmap.downloads`' bounded store, where no
session's run can delete a file); without the route (``streamlit run app.py``, AppTest) it stays a
download button with bytes (never ``data=callable``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

import streamlit as st

from mineralmap.ui import cache

__all__ = ["content_key", "download"]


def content_key(kind: str, data: bytes) -> tuple[str, str]:
    """A download-store key for bytes that have no better name: ``(kind, sha256 of data)``.

    Parameters
    ----------
    kind : str
        What the file is (e.g. ``"steward-report"``), so equal bytes of two kinds keep two names.
    data : bytes
        The file's content.

    Returns
    -------
    tuple of str
        The key; equal content gets the same key, hence the same link.
    """
    return (kind, hashlib.sha256(data).hexdigest())


def download(label: str, store_key: Hashable, data: bytes, file_name: str, mime: str, *,
             key: str, width: str = "content", help: str | None = None) -> None:
    """Draw a download of ``data``: a link to ``/download/`` when the server has it, else a button.

    Parameters
    ----------
    label : str
        Text of the link or button (Markdown; callers escape user text in it).
    store_key : Hashable
        Identifies the content (selection, format, day …): the same key keeps the same URL
        (:func:`mineralmap.ui.cache.download_url`).
    data : bytes
        The file.
    file_name, mime : str
        Name offered to the browser and MIME type.
    key : str
        Widget key.
    width : str, optional
        Widget width (``"content"`` or ``"stretch"``).
    help : str, optional
        Tooltip.
    """
    url = cache.download_url(store_key, data, file_name, mime)
    if url is not None:
        st.link_button(label, url, key=key, width=width, help=help, icon=":material/download:")
    else:
        st.download_button(label, data=data, file_name=file_name, mime=mime, on_click="ignore",
                           key=key, width=width, icon=":material/download:", help=help)
