"""Checking a drawn figure for text a reader cannot read: labels, titles, tick labels, legend entries and
annotations that overlap one another.

Matplotlib measures every text's extent once the figure is drawn (``Text.get_window_extent``); two texts
whose boxes share more than a sliver of area overlap on the page. Figures are saved with
``bbox_inches="tight"``, which widens the saved area to every text, so overlap, not clipping at the edge,
is what goes wrong.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> _ = ax.text(0.5, 0.5, "first label"); _ = ax.text(0.5, 0.5, "second label")
>>> overlapping_text(fig)
["'first label' overlaps 'second label'"]
>>> plt.close(fig)
"""

from __future__ import annotations

import itertools

from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["overlapping_text", "TOLERANCE_PX"]

#: Overlaps smaller than this many pixels in either direction are not counted (anti-aliased edges of
#: neighbouring glyph boxes touch without hiding anything).
TOLERANCE_PX = 1.0


def _undrawn_tick_labels(fig: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: those of ticks outside their axis's view limits."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            scale = axis.get_transform()
            lo, hi = sorted(float(v) for v in scale.transform(axis.get_view_interval()))
            slack = 1e-9 * max(hi - lo, 1.0)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                at = float(scale.transform([tick.get_loc()])[0]) if tick.get_loc() is not None else float("nan")
                if not lo - slack <= at <= hi + slack:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def _texts(fig: Figure) -> list[Text]:
    """The texts of ``fig`` a reader sees: visible, not empty, and drawn."""
    hidden = _undrawn_tick_labels(fig)
    found = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or text.get_alpha() == 0 or id(text) in hidden:
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        found.append(text)
    return found


def overlapping_text(fig: Figure) -> list[str]:
    """Each pair of visible texts in ``fig`` whose boxes overlap, as ``'a' overlaps 'b'`` (empty: none)."""
    fig.canvas.draw()  # places every text and sets the ticks
    renderer = fig.canvas.get_renderer()
    boxes = [(t, t.get_window_extent(renderer)) for t in _texts(fig)]
    problems = []
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > TOLERANCE_PX and height > TOLERANCE_PX:
            problems.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    return problems
