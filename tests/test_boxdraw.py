"""The "draw a box" component's Python side: what a drag's value does to the page's state (the
page test drives it through AppTest; AppTest cannot run the component's JavaScript), and that
the component loads nothing from the network."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as hs

from mineralmap import drawmap, regionform
from mineralmap.ui import boxdraw


def test_a_drawn_box_sets_the_four_widgets_and_the_box_mode():
    state: dict = {"rg_w": 66.0, "rg_bbox_on": False, "other": 1}
    box = boxdraw.apply_drawn_box({"west": 67.123, "south": 29.5, "east": 69.0, "north": 31.01},
                                  state)
    assert box == (67.12, 29.5, 69.0, 31.01)
    assert state == {"rg_w": 67.12, "rg_s": 29.5, "rg_e": 69.0, "rg_n": 31.01,
                     "rg_bbox_on": True, "other": 1}
    assert all(type(state[k]) is float for k in boxdraw.BOX_KEYS)


@given(hs.one_of(hs.none(), hs.text(max_size=5), hs.lists(hs.floats(), max_size=4),
                 hs.dictionaries(hs.sampled_from(["west", "south", "east", "north", "x"]),
                                 hs.one_of(hs.floats(), hs.integers(), hs.text(max_size=3),
                                           hs.none(), hs.booleans()))))
def test_any_value_leaves_the_state_alone_or_sets_a_valid_box(value):
    state: dict = {}
    box = boxdraw.apply_drawn_box(value, state)
    if box is None:
        assert state == {}
    else:
        assert regionform.check_mode("Bounding box", {"bbox": box})[1] is None
        assert tuple(state[k] for k in boxdraw.BOX_KEYS) == box and state["rg_bbox_on"] is True
        assert box == drawmap.box_from_value(value)


def test_the_component_is_offline_and_sends_only_a_box():
    code = boxdraw._HTML + boxdraw._CSS + boxdraw._JS + boxdraw._BOX_JS
    urls = set(re.findall(r"https?://[^\s'\"]+", code))
    assert urls <= {"http://www.w3.org/2000/svg"}  # a namespace name, never fetched
    assert "import " not in code and "fetch(" not in code and "XMLHttpRequest" not in code
    assert re.findall(r"setTriggerValue\('(\w+)'", code) == ["box"]
    assert "setStateValue" not in code
    # the map listens to the event the box element sends
    assert re.findall(r"CustomEvent\('([\w-]+)'", boxdraw._BOX_JS) == re.findall(
        r"addEventListener\('(mm-[\w-]+)'", boxdraw._JS) == ["mm-drawbox"]
    # the names the JavaScript reads from the frame are the ones Python sends
    for k in re.findall(r"\bf\.(\w+)", boxdraw._JS):
        assert k in drawmap.FRAME.as_dict(), k
