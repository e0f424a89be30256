"""Every figure the notebooks draw can be read: no text overlaps another (labels, titles, tick labels,
legend entries, annotations), in English and in Chinese. Each notebook runs in this process
(:func:`notebook_cells.run_notebook`) and each figure is checked as it is saved."""

from __future__ import annotations

import warnings

import pytest
from notebook_cells import run_notebook

from evalkit.plots.layout import overlapping_text
from evalkit.report.outputs import NotebookOutputs
from evalkit.runner import discover

pytestmark = pytest.mark.slow

FAST = {"02_microcredit": {"reps": 19}, "03_training_outcomes": {"reps": 19}}  # figures do not depend on reps


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_overlaps_in_any_figure(lang, tmp_path, monkeypatch) -> None:
    checked: dict[str, list[str]] = {}
    save = NotebookOutputs.figure

    def checking(self, fig, name, **options):
        checked[f"{self.out_dir.name}/{name}"] = overlapping_text(fig)
        return save(self, fig, name, **options)

    monkeypatch.setattr(NotebookOutputs, "figure", checking)
    with warnings.catch_warnings(record=True) as caught:  # a glyph missing from every font is drawn as a box
        warnings.simplefilter("always")
        for source in discover():
            run_notebook(source.stem, tmp_path / source.stem, lang=lang, **FAST.get(source.stem, {}))
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert len(checked) >= 19  # every notebook's figures were drawn and checked (19 today)
    assert {name: found for name, found in checked.items() if found} == {}


def test_the_check_finds_a_label_running_into_a_neighbours_title() -> None:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(4, 2))
    right.set_title("A title placed far to the left", loc="left", x=-0.9)
    left.set_title("Left")
    try:
        assert "'Left' overlaps 'A title placed far to the left'" in overlapping_text(fig)
    finally:
        plt.close(fig)
