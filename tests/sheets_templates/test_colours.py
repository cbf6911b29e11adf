"""The row colours stay apart for colour-blind readers (simulated: tests/colour_vision.py), and How to use
explains each of them beside a cell painted with it."""

from __future__ import annotations

from itertools import combinations

import pytest

from sheets_templates import LEGEND_FILLS, build_spec
from sync.backends.port import FormattingSpec
from tests.colour_vision import MATRICES, difference, hex_rgb, simulate

FILLS = {"overdue": FormattingSpec.OVERDUE, "due_soon": FormattingSpec.DUE_SOON, "paused": FormattingSpec.PAUSED,
         "closed": FormattingSpec.CLOSED, "check": FormattingSpec.CHECK, "no colour": "FFFFFF"}
VISIONS = [None, *MATRICES]


def seen(colour: str, vision: str | None) -> tuple[int, int, int]:
    rgb = hex_rgb(colour)
    return rgb if vision is None else simulate(rgb, vision)


@pytest.mark.parametrize("vision", VISIONS)
def test_due_soon_and_a_check_problem_look_clearly_different(vision):
    assert difference(seen(FILLS["due_soon"], vision), seen(FILLS["check"], vision)) > 20


@pytest.mark.parametrize("vision", VISIONS)
def test_a_check_problem_stands_apart_from_every_other_row_colour(vision):
    others = [name for name in FILLS if name != "check"]
    assert min(difference(seen(FILLS["check"], vision), seen(FILLS[name], vision)) for name in others) > 15


@pytest.mark.parametrize("vision", VISIONS)
def test_no_two_row_colours_look_alike(vision):
    assert min(difference(seen(first, vision), seen(second, vision))
               for first, second in combinations(FILLS.values(), 2)) > 7


def test_the_simulation_merges_what_red_green_blind_people_cannot_tell_apart():
    """The check can fail: pure red and a matching olive green nearly merge for deuteranopia."""
    assert difference((200, 0, 0), (116, 110, 0)) > 40
    assert difference(simulate((200, 0, 0), "deuteranopia"), simulate((116, 110, 0), "deuteranopia")) < 12


@pytest.mark.parametrize("language", ["en", "zh"])
def test_how_to_use_paints_and_names_every_colour(language):
    how_to = build_spec(language).tab("how_to")
    painted = {colour: how_to.rows[row][0] for (row, _), colour in how_to.fills.items()}
    assert set(painted) == set(LEGEND_FILLS.values())
    words = {"en": ["red", "yellow", "blue", "grey", "purple"], "zh": ["红", "黄", "蓝", "灰", "紫"]}[language]
    labels = " ".join(painted.values())
    assert all(word in labels for word in words)
