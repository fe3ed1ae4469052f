"""The explanation panel shows explain()'s text and re-renders when the digits change."""

from __future__ import annotations

import numpy as np

from bp_studio.engine import Network, Trainer
from bp_studio.studio.moment import Selection, moment_from_trainer
from bp_studio.ui.explain_panel import ExplanationPanel


def mazur_trainer() -> Trainer:
    network = Network(
        [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        [[0.35, 0.35], [0.60, 0.60]],
        ["sigmoid", "sigmoid"],
        "mse",
    )
    return Trainer(network, np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]]), lr=0.5)


def test_panel_shows_the_numbers_and_follows_the_digits(qtbot, tmp_path):
    panel = ExplanationPanel()
    qtbot.addWidget(panel)
    trainer = mazur_trainer()
    trainer.next_layer()
    panel.show(moment_from_trainer(trainer), Selection("node", 1, 0))
    text = panel.browser.toPlainText()
    assert "0.3775" in text and "0.5933" in text
    assert panel.precision == 4

    trainer.step()
    panel.show(moment_from_trainer(trainer), Selection("edge", 1, 0, 0))
    assert "0.3589" in panel.browser.toPlainText()
    with qtbot.waitSignal(panel.precision_changed) as blocker:
        panel.digits.setValue(8)
    assert blocker.args == [8]
    assert "0.35891648" in panel.browser.toPlainText()

    panel.set_precision(20)  # clamped by the spin box
    assert panel.precision == 8

    panel.resize(480, 400)
    path = tmp_path / "panel.png"
    assert panel.grab().save(str(path)) and path.stat().st_size > 0


def test_panel_summary_clear_and_plain_show(qtbot):
    panel = ExplanationPanel(precision=5)
    qtbot.addWidget(panel)
    assert panel.precision == 5
    panel.show(moment_from_trainer(mazur_trainer()), None)
    assert "1 Forward" in panel.plain_text()
    panel.clear()
    assert panel.plain_text() == "" and panel.moment is None
    panel.show()  # without arguments: QWidget.show()
    assert panel.isVisible()
