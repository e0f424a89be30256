"""Incidence path, exits and villages built from the ledger, checked by hand."""

from __future__ import annotations

import pytest

from evalkit import published


def test_incidence_path_by_hand() -> None:
    path = published.incidence_path()
    assert path["year"].tolist() == [2014, 2015, 2016, 2017, 2018]
    persons = [8055, 8055 - 424, 8055 - 424 - 1204, 8055 - 424 - 1204 - 2398, 1259]
    assert path["poor_persons"].tolist() == persons
    assert path["poor_households"].tolist() == [3601, 3418, 2924, 1928, 637]
    assert path["incidence_pct"].tolist() == pytest.approx([p / 1300 for p in persons])
    assert path["source"].tolist() == ["published", "derived", "derived", "derived", "published"]
    assert path["incidence_published"].iloc[[0, -1]].tolist() == [6.2, 0.97]


def test_until_cuts_the_path() -> None:
    assert published.incidence_path(until=2016)["year"].max() == 2016
    assert published.exits_by_year(until=2016)["cumulative_persons"].tolist() == [424, 1628]


def test_villages_exited() -> None:
    villages = published.villages_exited_by_year()
    assert villages["villages"].tolist() == [0, 2, 8, 0]
    assert villages["cumulative_villages"].iloc[-1] == 10


def test_trend_metrics_2016() -> None:
    m = published.trend_metrics(published.load(), 2016, threshold_pct=2.0)
    assert m["remaining_persons"] == 6427
    assert m["remaining_households"] == 2924
    assert m["incidence_pct"] == pytest.approx(6427 / 1300, abs=1e-4)
    assert m["below_exit_threshold"] == 0
    assert "incidence_published_pct" not in m  # not published for 2016
    assert m["exits_persons"] == 1204


def test_trend_metrics_unknown_year() -> None:
    with pytest.raises(Exception, match="no published exits for 2013"):
        published.trend_metrics(published.load(), 2013, threshold_pct=2.0)
