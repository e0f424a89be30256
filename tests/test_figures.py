"""Every figure the notebooks draw can be read: no text overlaps another (labels, titles, tick labels,
legend entries, annotations) and no character is drawn as a box.

Each figure a notebook saves (:meth:`evalkit.report.NotebookOutputs.figure`) is checked as it is saved; the
runner copies what was found into its manifest. The shared annual run (English, tests/test_annual_run.py)
and the Chinese run (tests/test_chinese_edition.py) assert that every figure of all eight notebooks was
checked and nothing was found. This module tests the check itself.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit.report import FIGURE_CHECKS_FILE, NotebookOutputs, read_figure_checks  # noqa: E402
from evalkit.report.layout import overlapping_text  # noqa: E402


def test_the_check_finds_a_label_running_into_a_neighbours_title() -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(4, 2))
    right.set_title("A title placed far to the left", loc="left", x=-0.9)
    left.set_title("Left")
    try:
        assert "'Left' overlaps 'A title placed far to the left'" in overlapping_text(fig)
    finally:
        plt.close(fig)


def test_tick_labels_outside_the_view_are_not_counted() -> None:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([0, 0.5, 1, 5], ["zero", "half", "one", "far away, not drawn"])
    ax.set_xlim(0, 1)
    try:
        assert overlapping_text(fig) == []
    finally:
        plt.close(fig)


def test_each_saved_figure_is_checked_and_what_is_found_recorded(tmp_path) -> None:
    """A clean figure is recorded with no problem; one whose texts overlap and one with a character no font
    has are recorded with what a reader would see; other warnings are shown as they were."""
    out = NotebookOutputs(tmp_path)
    clean, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("Incidence")
    crowded, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "first label")
    ax.text(0.5, 0.5, "second label")
    boxed, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("贫困发生率", fontfamily="DejaVu Sans")  # a font without Chinese draws boxes
    try:
        out.figure(clean, "clean")
        out.figure(crowded, "crowded")
        out.figure(boxed, "boxed")
        with pytest.warns(UserWarning, match="not about glyphs"):
            ax.figure.canvas.draw = _warning_draw(ax.figure.canvas.draw)
            out.figure(boxed, "boxed_again")
    finally:
        plt.close("all")
    found = read_figure_checks(tmp_path)
    assert json.loads((tmp_path / "figures" / FIGURE_CHECKS_FILE).read_text(encoding="utf-8")) == found
    assert found["clean"] == [] and found["crowded"] == ["'first label' overlaps 'second label'"]
    assert len(found["boxed"]) == 5 and all("missing from font(s) DejaVu Sans" in f for f in found["boxed"])
    assert sorted(found) == ["boxed", "boxed_again", "clean", "crowded"]
    assert read_figure_checks(tmp_path / "elsewhere") == {}


def _warning_draw(draw):
    """``draw`` that also warns about something else than a missing glyph."""
    import warnings

    def drawing(*args, **kwargs):
        warnings.warn("a warning not about glyphs", UserWarning, stacklevel=2)
        return draw(*args, **kwargs)

    return drawing
