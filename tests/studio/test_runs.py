"""Kept runs keep their colour: deleting one does not repaint the others, and a session
file holds the colours (a file from before gets the colours of the list's places)."""

import numpy as np
import pytest

from bp_studio.studio.runs import MAX_RUNS, RUN_COLOR_COUNT, RunArchive, RunCurve


def curve(label: str) -> RunCurve:
    return RunCurve(label, np.array([0.5, 0.4]), np.array([2]), np.array([0.45]))


def test_a_kept_run_keeps_its_colour_when_another_is_deleted():
    archive = RunArchive()
    for label in "abc":
        archive.keep(curve(label))
    assert [run.color for run in archive.runs] == [0, 1, 2]
    archive.delete(0)
    assert [(run.label, run.color) for run in archive.runs] == [("b", 1), ("c", 2)]
    archive.keep(curve("d"))  # the next free colour after the newest run's: not a's at once
    assert [run.color for run in archive.runs] == [1, 2, 3]


def test_kept_runs_never_share_a_colour():
    archive = RunArchive()
    for index in range(3 * MAX_RUNS):
        archive.keep(curve(str(index)))
        if index % 3 == 0:
            archive.delete(0)
        colors = [run.color for run in archive.runs]
        assert len(set(colors)) == len(colors) and all(0 <= c < RUN_COLOR_COUNT for c in colors)
    assert len(archive.runs) <= MAX_RUNS


def test_colours_are_saved_and_an_older_file_gets_the_list_places():
    archive = RunArchive()
    for label in "abc":
        archive.keep(curve(label))
    archive.delete(1)
    again = RunArchive.from_list(archive.to_list())
    assert [(run.label, run.color) for run in again.runs] == [("a", 0), ("c", 2)]
    old = archive.to_list()
    for item in old:
        del item["color"]
    assert [run.color for run in RunArchive.from_list(old).runs] == [0, 1]


@pytest.mark.parametrize("color", [-1, 1.5, "red", True])
def test_a_bad_colour_names_the_run(color):
    saved = curve("a").to_dict() | {"color": color}
    with pytest.raises(ValueError, match=r"runs\[1\]\.color: expected a whole number"):
        RunArchive.from_list([curve("b").to_dict(), saved])
