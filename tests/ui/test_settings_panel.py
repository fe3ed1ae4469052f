"""The settings panel: the early-stopping patience."""

from dataclasses import replace

from bp_studio.studio.settings import MAX_PATIENCE, Settings
from bp_studio.ui.settings_panel import SettingsPanel


def test_patience_round_trips_with_off_for_zero(qtbot):
    panel = SettingsPanel(Settings())
    qtbot.addWidget(panel)
    assert panel.patience.value() == 0 and panel.patience.text() == "off"
    assert "validation share" in panel.patience.toolTip()
    with qtbot.waitSignal(panel.settings_changed) as sent:
        panel.patience.setValue(12)
    assert sent.args[0] == replace(Settings(), patience=12)
    assert panel.patience.text() == "12 epochs"
    with qtbot.waitSignal(panel.settings_changed) as sent:
        panel.patience.setValue(0)
    assert sent.args[0].patience == 0 and panel.patience.text() == "off"


def test_a_shown_patience_is_not_sent_back(qtbot):
    panel = SettingsPanel(Settings())
    qtbot.addWidget(panel)
    with qtbot.assertNotEmitted(panel.settings_changed):
        panel.set_settings(Settings(patience=5))
    assert panel.patience.value() == 5 and panel.settings().patience == 5
    assert panel.patience.maximum() == MAX_PATIENCE


def test_the_panel_fits_a_laptop_settings_column(qtbot):
    panel = SettingsPanel(Settings(patience=10))
    qtbot.addWidget(panel)
    panel.show()
    assert panel.minimumSizeHint().width() <= 260
