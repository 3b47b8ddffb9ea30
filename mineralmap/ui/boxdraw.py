""""Draw a box" on a map of Pakistan: an inline ``st.components.v2`` component (HTML, CSS and
JavaScript in this file: no build step, no extra package, no CDN) showing the SVG of
:mod:`mineralmap.drawmap`. Dragging on it (mouse, pen or touch: pointer events) draws a
rectangle; on release the component sends its corners in degrees, and the Region page's
bounding-box widgets take them (:func:`apply_drawn_box`, run as the component's callback, before
the page's widgets exist).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

import streamlit as st

from mineralmap import drawmap
from mineralmap.catalog import Catalog
from mineralmap.ui import cache

#: Widget keys of the bounding box (west, south, east, north) and its on/off checkbox.
BOX_KEYS: tuple[str, str, str, str] = ("rg_w", "rg_s", "rg_e", "rg_n")
BOX_ON_KEY = "rg_bbox_on"
#: Key of the component.
DRAW_KEY = "rg_draw"

_HTML = """<div class="mm-draw">
<div class="mm-svg"></div>
<div class="mm-readout"><span class="mm-msg" aria-live="polite"></span><span class="mm-pos"></span></div>
</div>"""

_CSS = """
.mm-draw { font-family: var(--st-font, sans-serif); color: var(--st-text-color, #31333f); }
.mm-svg { width: 100%; max-width: 560px; border: 1px solid
  var(--st-border-color, rgba(49, 51, 63, 0.2)); border-radius: 0.5rem; overflow: hidden;
  background: var(--st-secondary-background-color, #f0f2f6); }
.mm-svg svg { display: block; width: 100%; height: auto; cursor: crosshair;
  touch-action: none; user-select: none; -webkit-user-select: none; }
.mm-svg path, .mm-svg rect { vector-effect: non-scaling-stroke; }
.mm-grat path { fill: none; stroke: currentColor; stroke-opacity: 0.12; stroke-width: 1; }
.mm-grat text { fill: currentColor; fill-opacity: 0.6; font-size: calc(10px * var(--u, 1.8)); }
.mm-prov path { fill: var(--st-background-color, #fff); stroke: currentColor;
  stroke-opacity: 0.75; stroke-width: 1.4; stroke-linejoin: round; fill-rule: evenodd; }
.mm-dist path { fill: none; stroke: currentColor; stroke-opacity: 0.25; stroke-width: 0.6;
  stroke-linejoin: round; }
.mm-dist path:hover { stroke-opacity: 0.8; stroke-width: 1.4; }
.mm-pts path { fill: none; stroke-width: 5; stroke-linecap: round; }
.mm-labels text { fill: currentColor; fill-opacity: 0.75; font-size: calc(11px * var(--u, 1.8));
  font-weight: 600; text-anchor: middle; pointer-events: none; paint-order: stroke;
  stroke: var(--st-background-color, #fff); stroke-width: calc(2.5px * var(--u, 1.8));
  stroke-opacity: 0.85; }
.mm-box { fill: var(--st-primary-color, #ff4b4b); fill-opacity: 0.12;
  stroke: var(--st-primary-color, #ff4b4b); stroke-width: 2; pointer-events: none; }
.mm-box.mm-drag { stroke-dasharray: 6 4; }
.mm-readout { max-width: 560px; margin-top: 0.25rem; font-size: 0.875rem; opacity: 0.8;
  min-height: 1.3em; display: flex; justify-content: space-between; gap: 0.5rem; }
.mm-pos { white-space: nowrap; font-variant-numeric: tabular-nums; }
"""

_JS = """
const NS = 'http://www.w3.org/2000/svg';
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector('.mm-draw');
  if (!root || !data || !data.svg) return;
  const holder = root.querySelector('.mm-svg');
  const readout = root.querySelector('.mm-msg');
  const pos = root.querySelector('.mm-pos');
  if (holder.dataset.version !== data.version) {
    holder.innerHTML = data.svg;  // built and escaped server-side (mineralmap.drawmap)
    holder.dataset.version = data.version;
  }
  const svg = holder.querySelector('svg');
  const f = data.frame;
  // the box to show comes from the small "box" element (see _BOX_JS): changing it does not
  // re-send this element (Streamlit sends an unchanged element of 10 KB or more as a reference)
  let current = Array.isArray(window.__mmDrawBox) ? window.__mmDrawBox : null;
  const dec = data.decimals;
  let rect = svg.querySelector('rect.mm-box');
  if (!rect) {
    rect = document.createElementNS(NS, 'rect');
    rect.setAttribute('class', 'mm-box');
    svg.appendChild(rect);
  }
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const lon = (x) => f.west + x / f.kx;
  const lat = (y) => f.north - y / f.ky;
  const fmt = (v) => String(Number(v.toFixed(dec)));
  const text = (b) => `${fmt(b.west)}–${fmt(b.east)} °E, ${fmt(b.south)}–${fmt(b.north)} °N`;
  const toSvg = (ev) => {
    const m = svg.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    return { x: clamp(p.x, 0, f.width), y: clamp(p.y, 0, f.height) };
  };
  const place = (x0, y0, x1, y1) => {
    rect.setAttribute('x', Math.min(x0, x1)); rect.setAttribute('y', Math.min(y0, y1));
    rect.setAttribute('width', Math.abs(x1 - x0)); rect.setAttribute('height', Math.abs(y1 - y0));
    rect.style.display = '';
  };
  const showBox = (b) => {
    rect.classList.remove('mm-drag');
    if (!b) { rect.style.display = 'none'; return; }
    place((b[0] - f.west) * f.kx, (f.north - b[3]) * f.ky,
          (b[2] - f.west) * f.kx, (f.north - b[1]) * f.ky);
  };
  const idle = () => {
    showBox(current);
    readout.textContent = current
      ? `Box: ${text({ west: current[0], south: current[1], east: current[2], north: current[3] })}. Drag again to replace it.`
      : 'Drag on the map to draw a box.';
  };
  const boxOf = (a, b) => ({ west: lon(Math.min(a.x, b.x)), east: lon(Math.max(a.x, b.x)),
                             south: lat(Math.max(a.y, b.y)), north: lat(Math.min(a.y, b.y)) });
  let start = null;
  let startPx = null;
  const down = (ev) => {
    if (ev.button !== 0 && ev.pointerType === 'mouse') return;
    const p = toSvg(ev);
    if (!p) return;
    start = p; startPx = [ev.clientX, ev.clientY];
    try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic pointer */ }
    rect.classList.add('mm-drag');
    place(p.x, p.y, p.x, p.y);
    ev.preventDefault();
  };
  const move = (ev) => {
    const p = toSvg(ev);
    if (!p) return;
    pos.textContent = `${fmt(lon(p.x))} °E ${fmt(lat(p.y))} °N`;
    if (!start) return;
    place(start.x, start.y, p.x, p.y);
    readout.textContent = text(boxOf(start, p));
    ev.preventDefault();
  };
  const up = (ev) => {
    if (!start) return;
    const p = toSvg(ev);
    const a = start;
    start = null;
    if (!p || Math.abs(ev.clientX - startPx[0]) < 5 || Math.abs(ev.clientY - startPx[1]) < 5) {
      idle();
      readout.textContent = 'Drag (press, move, release) to draw a box; a click alone does nothing.';
      return;
    }
    rect.classList.remove('mm-drag');
    const b = boxOf(a, p);
    readout.textContent = `Box: ${text(b)}. Applying…`;
    setTriggerValue('box', b);
  };
  const cancel = () => { start = null; idle(); };
  const leave = () => { pos.textContent = ''; };
  const onBox = (ev) => { current = Array.isArray(ev.detail) ? ev.detail : null; if (!start) idle(); };
  window.addEventListener('mm-drawbox', onBox);
  // text sizes in screen pixels whatever the map's width (the SVG scales with its viewBox)
  const fit = () => {
    const w = svg.getBoundingClientRect().width;
    if (w > 0) svg.style.setProperty('--u', String(f.width / w));
  };
  const ro = new ResizeObserver(fit);
  ro.observe(svg);
  fit();
  svg.addEventListener('pointerleave', leave);
  svg.addEventListener('pointerdown', down);
  svg.addEventListener('pointermove', move);
  svg.addEventListener('pointerup', up);
  svg.addEventListener('pointercancel', cancel);
  idle();
  root.dataset.ready = '1';
  return () => {
    svg.removeEventListener('pointerdown', down);
    svg.removeEventListener('pointermove', move);
    svg.removeEventListener('pointerup', up);
    svg.removeEventListener('pointercancel', cancel);
    svg.removeEventListener('pointerleave', leave);
    window.removeEventListener('mm-drawbox', onBox);
    ro.disconnect();
  };
}
"""

#: The box the map shows, as a separate tiny element: it changes with the widgets, the map
#: element (the SVG) does not.
_BOX_JS = """
export default function (component) {
  const data = component.data || {};
  const box = Array.isArray(data.box) ? data.box : null;
  window.__mmDrawBox = box;
  window.dispatchEvent(new CustomEvent('mm-drawbox', { detail: box }));
}
"""

_COMPONENT = st.components.v2.component("mineralmap_boxdraw", html=_HTML, css=_CSS, js=_JS)
_BOX = st.components.v2.component("mineralmap_boxdraw_box", js=_BOX_JS)


def apply_drawn_box(value: object, state: MutableMapping) -> tuple[float, float, float, float] | None:
    """Put a box drawn in the browser into the bounding-box widgets' state and switch the box
    mode on; return the box, or None (state untouched) when ``value`` is not a usable box.

    Parameters
    ----------
    value
        The component's ``box`` trigger value (``{"west", "south", "east", "north"}``); it comes
        from the browser, so anything is possible: :func:`mineralmap.drawmap.box_from_value`
        validates it.
    state
        ``st.session_state`` (or any mapping, in tests).
    """
    box = drawmap.box_from_value(value)
    if box is None:
        return None
    for k, v in zip(BOX_KEYS, box, strict=True):
        state[k] = float(v)
    state[BOX_ON_KEY] = True
    return box


def _on_box() -> None:
    got = st.session_state.get(DRAW_KEY)
    apply_drawn_box(got.get("box") if hasattr(got, "get") else None, st.session_state)


def box_drawer(cat: Catalog, shown: Sequence[float] | None) -> None:
    """Mount the drawing map, showing the box ``shown`` (the widgets' box when the box mode is on
    and the box is valid, else None); a drawn box reaches the widgets through
    :func:`apply_drawn_box`.

    Two elements: the map (its SVG, cached per catalog; unchanged from run to run, so Streamlit
    sends it once and then as a reference) and a tiny one carrying the box to show, which the
    map's script hears about through a window event.
    """
    _COMPONENT(key=DRAW_KEY, data=cache.draw_map_payload(cat.key), on_box_change=_on_box, height="content")
    _BOX(key=f"{DRAW_KEY}_box", data={"box": list(shown) if shown else None}, height=0)
