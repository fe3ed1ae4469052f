"""The data settings: the split into training, validation and test shares."""

from bp_studio.data.source import DataSpec
from bp_studio.ui.data_settings import DataSettings


def settings(qtbot, spec: DataSpec) -> DataSettings:
    widget = DataSettings(spec)
    qtbot.addWidget(widget)
    widget.options.set_expanded(True)
    widget.show()
    return widget


def test_the_validation_share_is_sent_in_the_spec(qtbot):
    spec = DataSpec(kind="generator", name="moons", test_ratio=0.2)
    widget = settings(qtbot, spec)
    assert widget.validation_percent.value() == 0
    with qtbot.waitSignal(widget.spec_changed) as sent:
        widget.validation_percent.setValue(25)
    assert sent.args[0].validation_ratio == 0.25 and sent.args[0].test_ratio == 0.2
    assert widget.spec() == sent.args[0]
    assert widget.split_summary.text() == "leaves 55 % to train on"
    assert not widget.split_problem.isVisible()


def test_a_saved_validation_share_is_shown(qtbot):
    widget = settings(qtbot, DataSpec())
    widget.set_spec(DataSpec(kind="generator", name="moons", test_ratio=0.1, validation_ratio=0.3))
    assert widget.validation_percent.value() == 30 and widget.test_percent.value() == 10


def test_shares_that_leave_no_training_rows_are_refused_with_a_message(qtbot):
    spec = DataSpec(kind="generator", name="moons", test_ratio=0.2, validation_ratio=0.2)
    widget = settings(qtbot, spec)
    with qtbot.assertNotEmitted(widget.spec_changed):
        widget.validation_percent.setValue(80)
    assert widget.split_problem.isVisible()
    assert "at most 90%, got 20% + 80%" in widget.split_problem.text()
    assert widget.spec() == spec  # the previous spec stays
    with qtbot.waitSignal(widget.spec_changed) as sent:
        widget.validation_percent.setValue(30)  # fixed: the message goes
    assert sent.args[0].validation_ratio == 0.3
    assert not widget.split_problem.isVisible()
