"""Streamlit glue of the data-stewardship workflow: sign-in, upload, mapping, report, preview,
publish, versions, restore, diff and audit log.

The page (``pages/stewardship.py``) calls :func:`page`. ``app.py`` registers it with
:func:`steward_pages`: the page is titled "Steward sign-in" for everyone until a steward signs in,
then "Data stewardship". Nothing that writes is reachable without a
:class:`~mineralmap.auth.StewardSession` in this browser session's state, and such a session is
only created by a successful sign-in (never from URL parameters or public widgets).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import pandas as pd
import pydeck as pdk
import streamlit as st

from mineralmap import auth, inventory
from mineralmap.config import get_settings
from mineralmap.details import md_escape
from mineralmap.errors import MineralmapError
from mineralmap.store import Store, StoreConflictError
from mineralmap.ui import links
from mineralmap.ui.cache import get_catalog, get_store

_SESSION = "_mm_steward_session"
_UPLOAD = "_mm_steward_upload"
_FLASH = "_mm_steward_flash"
_GEN = "_mm_steward_generation"
_MEMO = "_mm_steward_memo"
_T = TypeVar("_T")
_W = "stw_"  # widget key prefix
_PAGE = "pages/stewardship.py"

_COLOURS = {"added": [26, 152, 80, 220], "changed": [253, 174, 97, 230],
            "removed": [215, 48, 39, 220]}


# ------------------------------------------------------------------------------------------
# plumbing


def _secrets() -> Mapping[str, object]:
    try:
        return st.secrets.to_dict() if len(st.secrets) else {}
    except Exception:  # noqa: BLE001 - no secrets file is a normal, public deployment
        return {}


def current_session() -> auth.StewardSession | None:
    """The signed-in steward of this browser session, or ``None`` (expired sessions are
    dropped)."""
    s = st.session_state.get(_SESSION)
    if s is None:
        return None
    try:
        return auth.require_session(s)
    except auth.AuthError:
        st.session_state.pop(_SESSION, None)
        st.session_state[_FLASH] = "Your steward session has expired; sign in again."
        return None


def steward_pages() -> list[st.Page]:
    """Navigation entry for ``app.py``: the sign-in page for everyone, which becomes the
    stewardship page once a steward is signed in."""
    signed = current_session() is not None
    return [st.Page(_PAGE, title="Data stewardship" if signed else "Steward sign-in",
                    icon=":material/admin_panel_settings:" if signed else ":material/login:",
                    url_path="stewardship")]


# ------------------------------------------------------------------------------------------
# sign-in


def sign_in_form() -> None:
    """Password form (and provider button when ``st.login`` is configured)."""
    st.title("Steward sign-in")
    st.caption("Only data stewards of the Board of Investment sign in here; the public pages "
               "need no account.")
    if _FLASH in st.session_state:
        st.info(st.session_state.pop(_FLASH))
    secrets = _secrets()
    store = get_store()
    try:
        accounts = auth.accounts_from_secrets(secrets)
    except auth.AuthError as exc:
        st.error(md_escape(exc))
        accounts = {}
    if "auth" in secrets:
        _oidc(secrets, store)
    if not accounts:
        if "auth" not in secrets:
            st.warning("No steward accounts are configured on this server (see 'Maintaining the "
                       "data' in the README).")
        return
    authn = auth.Authenticator(accounts, store)
    with st.form(f"{_W}signin", clear_on_submit=True):
        user = st.text_input("User name", key=f"{_W}user")
        pw = st.text_input("Password", type="password", key=f"{_W}password")
        go = st.form_submit_button("Sign in", type="primary")
    if go:
        try:
            st.session_state[_SESSION] = authn.sign_in(user, pw)
        except auth.AuthError as exc:
            st.error(md_escape(exc))
            return
        st.rerun()


def _oidc(secrets: Mapping[str, object], store: Store) -> None:
    user = getattr(st, "user", None)
    if user is not None and getattr(user, "is_logged_in", False):
        try:
            st.session_state[_SESSION] = auth.oidc_session(
                str(user.get("email", "")), auth.oidc_emails(secrets), store)
        except auth.AuthError as exc:
            st.error(md_escape(exc))
            if st.button("Sign out of the provider", key=f"{_W}oidc_out"):
                st.logout()
            return
        st.rerun()
    if st.button("Sign in with your organisation account", key=f"{_W}oidc"):
        st.login()


# ------------------------------------------------------------------------------------------
# the page


def page() -> None:
    """The whole stewardship page: sign-in form, or the steward's workspace."""
    session = current_session()
    if session is None:
        sign_in_form()
        return
    store = get_store()
    current = store.current_version()
    st.title("Data stewardship")
    left, right = st.columns([4, 1])
    expires = datetime.fromtimestamp(session.expires_at, tz=UTC).strftime("%H:%M UTC")
    left.caption(f"Signed in as **{md_escape(session.username)}** (session ends {expires}). "
                 f"Current dataset: **version {current.number}**, {current.n_rows} rows, "
                 f"published {md_escape(current.created_at[:16].replace('T', ' '))} UTC by "
                 f"{md_escape(current.actor)}.")
    if right.button("Sign out", key=f"{_W}signout"):
        store.record_auth_event("sign-out", session.username)
        st.session_state.pop(_SESSION, None)
        st.session_state.pop(_UPLOAD, None)
        st.session_state.pop(_MEMO, None)
        st.rerun()
    if _FLASH in st.session_state:
        st.success(st.session_state.pop(_FLASH))
    section = st.radio("Section", ["Import", "Versions", "Audit log"], horizontal=True,
                       key=f"{_W}section", label_visibility="collapsed")
    if section == "Import":
        _import_tab(store, session)
    elif section == "Versions":
        _versions_tab(store, session)
    else:
        st.dataframe(store.audit_log(session), hide_index=True, width="stretch")


def _import_tab(store: Store, session: auth.StewardSession) -> None:
    st.markdown("Upload an inventory (CSV, Excel .xlsx, GeoJSON or GeoPackage, at most "
                f"{inventory.MAX_UPLOAD_BYTES // 1_000_000} MB). Nothing is saved until you "
                "publish.")
    gen = st.session_state.get(_GEN, 0)  # bumped after a publish: fresh uploader and widgets
    f = st.file_uploader("Inventory file", type=["csv", "xlsx", "geojson", "json", "gpkg"],
                         key=f"{_W}file_{gen}",
                         max_upload_size=inventory.MAX_UPLOAD_BYTES // 1_000_000)
    if f is None:
        st.session_state.pop(_UPLOAD, None)
        st.session_state.pop(_MEMO, None)
        return
    data = f.getvalue()
    cached = st.session_state.get(_UPLOAD)
    if cached is None or cached[0] != (f.name, len(data)) or cached[1].sha256 != _sha(data):
        try:
            upload = inventory.read_upload(data, f.name)
        except inventory.InventoryError as exc:
            st.error(md_escape(exc))
            return
        st.session_state[_UPLOAD] = ((f.name, len(data)), upload)
        for k in [k for k in st.session_state if str(k).startswith(f"{_W}map_")]:
            del st.session_state[k]
    upload = st.session_state[_UPLOAD][1]
    for note in upload.notes:
        st.caption(md_escape(note))

    st.subheader("1. Columns")
    mapping = _mapping_editor(upload)
    current = store.current_version()
    version_key = (repr(store), current.number, current.content_sha256)
    existing = _session_memo("existing", version_key, lambda: store.records(current.number))
    try:
        report = _session_memo(
            "report", (upload.sha256, upload.name, tuple(mapping.items()), version_key,
                       _provinces_stamp()),
            lambda: inventory.validate(upload, mapping, existing,
                                       inventory.load_provinces(get_settings())))
    except inventory.InventoryError as exc:
        st.error(md_escape(exc))
        return

    st.subheader("2. Validation report")
    c = report.counts()
    msg = (f"{len(report.rows)} rows read: {c['error']} error(s) in {len(report.error_rows)} "
           f"row(s), {c['warning']} warning(s), {c['info']} note(s).")
    (st.error if c["error"] else st.success)(msg)
    st.dataframe(report.problems, hide_index=True, width="stretch", key=f"{_W}report")
    report_csv = report.to_csv()
    links.download("Download the report (CSV)", links.content_key("steward-report", report_csv),
                   report_csv, f"report_{upload.name}.csv", "text/csv", key=f"{_W}report_csv")

    st.subheader("3. Decisions")
    all_rows = [int(r) for r in report.rows["row"]]
    exclude = st.multiselect("Exclude rows (file row numbers)", all_rows,
                             default=[], key=f"{_W}exclude",
                             help="Rows with errors must be fixed in the file or excluded here.")
    same_site: dict[int, str] = {}
    if len(report.duplicates):
        st.markdown("**Probable duplicates of existing rows**: same site?")
        for _, d in report.duplicates.drop_duplicates("row").iterrows():
            r = int(d["row"])
            same_site[r] = st.radio(
                f"Row {r} '{d['name']}' ≈ existing {d['existing_id']} '{d['existing_name']}' "
                f"({d['distance_km']:.1f} km)", inventory.SAME_SITE_CHOICES,
                horizontal=True, key=f"{_W}same_{r}")
    mode = st.radio("The file holds", ["merge", "replace"], horizontal=True, key=f"{_W}mode",
                    format_func=lambda m: {"merge": "new and updated rows (keep the others)",
                                           "replace": "the complete table (remove rows not in "
                                                      "the file)"}[m])
    try:
        plan = inventory.plan_publish(report, existing, exclude=exclude, same_site=same_site,
                                      mode=mode)
    except inventory.InventoryError as exc:
        st.warning(md_escape(exc))
        return

    st.subheader("4. Preview")
    counts = plan.counts()
    st.markdown(f"Against version {current.number}: **{counts['added']} added**, "
                f"**{counts['changed']} changed**, **{counts['removed']} removed**; "
                f"{len(plan.excluded)} row(s) excluded.")
    st.pydeck_chart(preview_deck(plan.diff), key=f"{_W}preview")
    st.dataframe(plan.diff, hide_index=True, width="stretch", key=f"{_W}plan_diff")

    st.subheader("5. Publish")
    note = st.text_area("Note (required): what changed and why", key=f"{_W}note", max_chars=2000)
    if st.button(f"Publish as version {current.number + 1}", type="primary",
                 key=f"{_W}publish", disabled=not any(counts.values())):
        if not note.strip():
            st.error("Write a note before publishing.")
            return
        _publish(store, session, plan, note, current.number)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _session_memo(name: str, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, kept in this browser session for the next reruns while ``key`` is the same
    (one entry per ``name``): every widget change reruns the page, and reading the current
    version and validating a large upload again each time took seconds. A version's rows never
    change, so keys name the version (store, number, content hash) and the upload (SHA-256)."""
    memo = st.session_state.setdefault(_MEMO, {})
    hit = memo.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = compute()
    memo[name] = (key, value)
    return value


def _provinces_stamp() -> tuple[object, ...]:
    """Identifies the province layer the validation checks against (path, size, mtime)."""
    path = get_settings().cache_dir / "provinces.parquet"
    try:
        stat = path.stat()
    except OSError:
        return (str(path),)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _publish(store: Store, session: auth.StewardSession, plan: inventory.Plan, note: str,
             parent: int) -> None:
    bar = st.progress(0.0, text="Publishing…")

    def progress(frac: float, text: str) -> None:
        bar.progress(min(1.0, 0.8 * frac), text=text)

    try:
        info = store.publish(session, plan.rows, note=note, source_name=plan.source_name,
                             source_sha256=plan.source_sha256, expected_parent=parent,
                             progress=progress)
    except StoreConflictError as exc:
        st.error(md_escape(exc))
        return
    except MineralmapError as exc:
        st.error(f"Nothing was published: {exc}")
        return
    bar.progress(0.85, text="Enriching the new rows (ports, roads, admin units)…")
    _refresh_catalog()
    bar.progress(1.0, text="Done")
    st.session_state.pop(_UPLOAD, None)
    st.session_state.pop(_MEMO, None)
    st.session_state[_FLASH] = (f"Published version {info.number}: +{info.added} added, "
                                f"~{info.changed} changed, -{info.removed} removed.")
    st.session_state[_GEN] = st.session_state.get(_GEN, 0) + 1
    for k in [k for k in st.session_state if str(k).startswith(_W) and k != f"{_W}section"]:
        del st.session_state[k]
    st.rerun()


def _refresh_catalog() -> None:
    """Load (and so enrich and cache) the catalog of the new version once, at publish."""
    try:
        get_catalog()
    except MineralmapError as exc:  # the version is saved; the map shows the error itself
        st.warning(f"The version is published but the map could not be refreshed: {exc}")


def preview_deck(diff: pd.DataFrame) -> pdk.Deck:
    """Map of a diff: added (green), changed (orange, old→new line), removed (red)."""
    layers: list[pdk.Layer] = []
    for change in ("removed", "changed", "added"):
        d = diff.loc[diff["change"] == change]
        use_old = change == "removed"
        xs = d["old_lon" if use_old else "new_lon"].astype(float)
        ys = d["old_lat" if use_old else "new_lat"].astype(float)
        ok = xs.notna() & ys.notna()
        pts = pd.DataFrame({"lon": xs[ok], "lat": ys[ok], "id": d.loc[ok, "id"].astype(str),
                            "name": d.loc[ok, "name"].astype(str), "change": change})
        if len(pts):
            layers.append(pdk.Layer("ScatterplotLayer", pts, id=f"stw-{change}",
                                    get_position=["lon", "lat"], get_radius=6000,
                                    radius_min_pixels=5, get_fill_color=_COLOURS[change],
                                    pickable=True))
        if change == "changed":
            ln = d.dropna(subset=["old_lon", "old_lat", "new_lon", "new_lat"])
            if len(ln):
                seg = pd.DataFrame({"src": ln[["old_lon", "old_lat"]].values.tolist(),
                                    "dst": ln[["new_lon", "new_lat"]].values.tolist()})
                layers.append(pdk.Layer("LineLayer", seg, id="stw-moves",
                                        get_source_position="src", get_target_position="dst",
                                        get_color=[80, 80, 80, 200], get_width=2))
    lons = pd.concat([diff["old_lon"], diff["new_lon"]]).dropna()
    lats = pd.concat([diff["old_lat"], diff["new_lat"]]).dropna()
    lon = float(lons.mean()) if len(lons) else 69.3
    lat = float(lats.mean()) if len(lats) else 30.0
    if not (math.isfinite(lon) and math.isfinite(lat)):
        lon, lat = 69.3, 30.0
    return pdk.Deck(layers=layers, map_provider=None, map_style=None,
                    initial_view_state=pdk.ViewState(longitude=lon, latitude=lat, zoom=4.5),
                    tooltip={"text": "{change}: {id} {name}"})


def _mapping_editor(upload: inventory.Upload) -> dict[str, str | None]:
    auto = inventory.auto_mapping(upload.columns)
    options = ["(none)", *upload.columns]
    out: dict[str, str | None] = {}
    with st.expander("Column mapping (detected automatically; correct it if needed)",
                     expanded=False):
        cols = st.columns(4)
        for k, target in enumerate(auto):
            default = auto[target]
            choice = cols[k % 4].selectbox(
                target, options, index=options.index(default) if default in options else 0,
                key=f"{_W}map_{target}")
            out[target] = None if choice == "(none)" else choice
    return out


def _versions_tab(store: Store, session: auth.StewardSession) -> None:
    versions = store.versions()
    table = pd.DataFrame([{"version": v.number, "published (UTC)": v.created_at[:19],
                           "by": v.actor, "kind": v.kind, "rows": v.n_rows, "added": v.added,
                           "changed": v.changed, "removed": v.removed, "source": v.source_name,
                           "sha256": v.source_sha256[:12], "note": v.note} for v in versions])
    st.dataframe(table, hide_index=True, width="stretch", key=f"{_W}versions")
    numbers = [v.number for v in versions]
    current = numbers[0]
    st.subheader("View or restore a version")
    pick = st.selectbox("Version", numbers, index=min(1, len(numbers) - 1), key=f"{_W}view")
    with st.expander(f"Rows of version {pick}"):
        st.dataframe(store.records(pick), hide_index=True, width="stretch")
    note = st.text_input("Why restore? (note, required)", key=f"{_W}restore_note")
    if st.button(f"Restore version {pick} as version {current + 1}", key=f"{_W}restore",
                 disabled=pick == current):
        if not note.strip():
            st.error("Write a note before restoring.")
        else:
            try:
                info = store.restore(session, pick, note=note, expected_parent=current)
            except MineralmapError as exc:
                st.error(md_escape(exc))
            else:
                _refresh_catalog()
                st.session_state[_FLASH] = (f"Version {info.number} restores version {pick}: "
                                            f"+{info.added} ~{info.changed} -{info.removed}.")
                st.session_state.pop(f"{_W}restore_note", None)
                st.rerun()
    st.subheader("Differences between two versions")
    a_col, b_col = st.columns(2)
    a = a_col.selectbox("From version", numbers, index=min(1, len(numbers) - 1), key=f"{_W}diff_a")
    b = b_col.selectbox("To version", numbers, index=0, key=f"{_W}diff_b")
    d = store.diff(a, b)
    st.caption(f"{len(d)} row(s) differ between version {a} and version {b}.")
    st.dataframe(d, hide_index=True, width="stretch", key=f"{_W}diff")
    diff_csv = inventory.csv_bytes(d)
    links.download("Download the diff (CSV)", links.content_key("steward-diff", diff_csv), diff_csv,
                   f"diff_v{a}_v{b}.csv", "text/csv", key=f"{_W}diff_csv")


__all__ = ["current_session", "get_store", "page", "preview_deck", "sign_in_form",
           "steward_pages"]
