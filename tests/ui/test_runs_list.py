"""The list of kept earlier runs: show, hide and delete them."""

import numpy as np
from PySide6.QtCore import Qt

from bp_studio.studio.runs import RunCurve
from bp_studio.ui.loss_plot import run_color
from bp_studio.ui.runs_list import EMPTY_TEXT, RunsList


def curve(label: str, visible: bool = True, color: int = 0) -> RunCurve:
    return RunCurve(label, np.array([0.5, 0.4]), np.array([2]), np.array([0.45]), visible, color)


RUNS = [curve("sgd η 0.5", color=3), curve("sgd η 0.05", False, 4), curve("relu", color=5)]


def swatch_color(widget: RunsList, row: int) -> str:
    return widget.list.item(row).icon().pixmap(14, 14).toImage().pixelColor(7, 7).name()


def runs_list(qtbot) -> RunsList:
    widget = RunsList()
    qtbot.addWidget(widget)
    widget.show()
    widget.set_runs(RUNS)
    return widget


def test_the_runs_are_listed_with_their_label_tick_and_colour(qtbot):
    widget = runs_list(qtbot)
    texts = [widget.list.item(i).text() for i in range(widget.list.count())]
    assert texts == ["sgd η 0.5", "sgd η 0.05", "relu"]
    assert widget.checked() == [True, False, True]
    assert [swatch_color(widget, row) for row in range(3)] == [run_color(c) for c in (3, 4, 5)]
    assert not widget.empty.isVisible() and widget.list.isVisible()


def test_no_runs_shows_what_the_list_is_for(qtbot):
    widget = RunsList()
    qtbot.addWidget(widget)
    widget.show()
    assert widget.empty.isVisible() and widget.empty.text() == EMPTY_TEXT
    assert "after Reset" in EMPTY_TEXT
    assert not widget.list.isVisible() and not widget.delete.isVisible()


def test_unticking_a_run_asks_to_hide_it(qtbot):
    widget = runs_list(qtbot)
    with qtbot.waitSignal(widget.visibility_changed) as sent:
        widget.list.item(2).setCheckState(Qt.CheckState.Unchecked)
    assert sent.args == [2, False]
    with qtbot.waitSignal(widget.visibility_changed) as sent:
        widget.list.item(1).setCheckState(Qt.CheckState.Checked)
    assert sent.args == [1, True]


def test_showing_runs_sends_nothing_back(qtbot):
    widget = runs_list(qtbot)
    with qtbot.assertNotEmitted(widget.visibility_changed):
        widget.set_runs([curve("a", visible=False), curve("b")])
    assert widget.checked() == [False, True]


def test_delete_button_and_key_ask_to_delete_the_selected_run(qtbot):
    widget = runs_list(qtbot)
    widget.list.setCurrentRow(1)
    with qtbot.waitSignal(widget.delete_requested) as sent:
        widget.delete.click()
    assert sent.args == [1]
    widget.list.setCurrentRow(2)
    with qtbot.waitSignal(widget.delete_requested) as sent:
        qtbot.keyClick(widget.list, Qt.Key.Key_Delete)
    assert sent.args == [2]
    widget.set_runs(RUNS[:2])  # the studio deleted the last: the selection stays in range
    assert widget.list.currentRow() == 1


def test_the_list_fits_a_laptop_side_column(qtbot):
    widget = runs_list(qtbot)
    assert widget.minimumSizeHint().width() <= 260


def test_a_run_keeps_its_swatch_when_another_is_deleted(qtbot):
    widget = runs_list(qtbot)
    widget.set_runs([RUNS[0], RUNS[2]])  # the studio deleted the middle one
    assert [swatch_color(widget, row) for row in range(2)] == [run_color(3), run_color(5)]
