"""The breakpoints panel: add, refuse, enable and remove the conditions that pause a run."""

import pytest
from PySide6.QtCore import Qt

from bp_studio.studio.breakpoints import KINDS, Breakpoint
from bp_studio.ui.breakpoints_panel import BreakpointsPanel


@pytest.fixture
def panel(qtbot):
    widget = BreakpointsPanel()
    qtbot.addWidget(widget)
    widget.resize(240, 320)
    widget.show()
    return widget


def add(qtbot, panel: BreakpointsPanel, kind: str, text: str = "") -> None:
    panel.kind.setCurrentIndex(panel.kind.findData(kind))
    panel.value.setText(text)
    panel.add.click()


def texts(panel: BreakpointsPanel) -> list[str]:
    return [panel.list.item(i).text() for i in range(panel.list.count())]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("loss_below", "0.01", Breakpoint("loss_below", 0.01)),
        ("epoch", "100", Breakpoint("epoch", 100.0)),
        ("grad_norm_above", "10", Breakpoint("grad_norm_above", 10.0)),
        ("unit_dead", "", Breakpoint("unit_dead")),
        ("accuracy_reaches", "95", Breakpoint("accuracy_reaches", 0.95)),
    ],
)
def test_each_kind_is_added_with_its_value(qtbot, panel, kind, text, expected):
    with qtbot.waitSignal(panel.breakpoints_changed) as sent:
        add(qtbot, panel, kind, text)
    assert sent.args[0] == (expected,) and panel.breakpoints() == (expected,)
    assert texts(panel) == [expected.describe()]
    assert panel.list.item(0).checkState() == Qt.CheckState.Checked
    assert not panel.problem.isVisible()


def test_the_value_field_fits_the_kind(panel):
    assert set(panel.kind.itemData(i) for i in range(panel.kind.count())) == set(KINDS)
    panel.kind.setCurrentIndex(panel.kind.findData("unit_dead"))
    assert not panel.value.isVisible()
    panel.kind.setCurrentIndex(panel.kind.findData("accuracy_reaches"))
    assert panel.value.isVisible() and panel.unit.isVisible() and panel.unit.text() == "%"
    panel.kind.setCurrentIndex(panel.kind.findData("epoch"))
    assert panel.value.isVisible() and not panel.unit.isVisible()


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("loss_below", "text", "the value must be a number"),
        ("loss_below", "", "the value must be a number"),
        ("grad_norm_above", "nan", "the value must be a finite number"),
        ("epoch", "0", "a whole number of at least 1, got 0"),
        ("epoch", "2.5", "a whole number of at least 1, got 2.5"),
        ("accuracy_reaches", "150", "a percentage above 0 and at most 100, got 150 %"),
    ],
)
def test_a_bad_value_is_refused_in_place_and_nothing_is_added(qtbot, panel, kind, text, message):
    kept = (Breakpoint("loss_below", 0.1),)
    panel.set_breakpoints(kept)
    with qtbot.assertNotEmitted(panel.breakpoints_changed):
        add(qtbot, panel, kind, text)
    assert panel.problem.isVisible() and message in panel.problem.text()
    assert panel.breakpoints() == kept and texts(panel) == [kept[0].describe()]
    panel.value.setText("0.5")
    panel.value.textEdited.emit("0.5")  # typing again clears the message
    assert not panel.problem.isVisible()


def test_unticking_and_remove_send_the_new_tuple(qtbot, panel):
    points = (Breakpoint("loss_below", 0.01), Breakpoint("epoch", 5.0), Breakpoint("unit_dead"))
    with qtbot.assertNotEmitted(panel.breakpoints_changed):
        panel.set_breakpoints(points)
    with qtbot.waitSignal(panel.breakpoints_changed) as sent:
        panel.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert sent.args[0] == (points[0], Breakpoint("epoch", 5.0, False), points[2])
    panel.list.setCurrentRow(0)
    with qtbot.waitSignal(panel.breakpoints_changed) as sent:
        panel.remove.click()
    assert sent.args[0] == (Breakpoint("epoch", 5.0, False), points[2])
    assert texts(panel) == ["epoch reaches 5", "a unit turns dead"]
    assert panel.list.item(0).checkState() == Qt.CheckState.Unchecked


def test_no_breakpoints_says_so(panel):
    assert panel.empty.isVisible() and not panel.list.isVisible()
    assert not panel.remove.isVisible()


def test_the_panel_fits_a_laptop_side_column(panel):
    panel.set_breakpoints((Breakpoint("grad_norm_above", 10.0),))
    assert panel.minimumSizeHint().width() <= 260


def test_typing_after_a_refusal_moves_nothing(qtbot):
    panel = BreakpointsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.kind.setCurrentIndex(panel.kind.findData("epoch"))
    panel.value.setText("0")
    panel.add.click()
    qtbot.wait(10)
    assert panel.problem.isVisible()
    height, add_at = panel.sizeHint().height(), panel.add.pos()
    panel.value.textEdited.emit("5")  # the message goes, its room stays
    qtbot.wait(10)
    assert not panel.problem.isVisible()
    assert panel.sizeHint().height() == height and panel.add.pos() == add_at
