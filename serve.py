"""mineralmap's server entry point: ``streamlit run serve.py`` (what ``make run`` starts).

Streamlit finds the ``st.App`` below and serves ``app.py`` (navigation, pages, sidebar) with its
own Starlette server, plus the routes of :mod:`mineralmap.ui.asgi`: the static context layers
and the occurrence points as cached HTTP files (``/layers/…``), so they are not re-sent over the
websocket on every rerun (a distance limit is applied in the browser, see
:func:`mineralmap.ui.maps.occurrence_layers`).
``streamlit run app.py`` still works, but its maps then carry no layer files (see issue 16).
"""

import streamlit as st  # noqa: TID251 - the server entry point, like app.py

from mineralmap.ui import asgi

app = st.App("app.py", routes=asgi.routes())
