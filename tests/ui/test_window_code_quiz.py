"""Show code, the worksheet export, the glossary's first page and quiz mode in the window."""

from __future__ import annotations

import html.parser

from bp_studio.engine import Phase


def test_show_code_lights_the_phase_being_stepped(window):
    window.show_code_action.trigger()
    assert window.code_dock.isVisible()
    view = window.code_view
    assert "# Step 1: " in view.text and "import numpy as np" in view.text
    window.next_phase()
    first, last = view._lines[int(Phase.FORWARD)]
    selections = window.code_view.code.extraSelections()
    assert len(selections) == 1
    lit = selections[0].cursor
    assert lit.document().findBlock(lit.selectionStart()).blockNumber() == first - 1
    assert lit.document().findBlock(lit.selectionEnd()).blockNumber() == last - 1
    window.next_phase()
    assert view.highlight(Phase.ERROR) == view._lines[2]


def test_the_glossary_network_shows_the_seed(window):
    window.use_example("glossary")
    assert window.studio.network.describe().startswith("2-3-1 (sigmoid, linear)")
    assert "The seed's four steps" in window.explanation.plain_text()
    window.show_code()
    assert window.code_view.tabs.isTabVisible(1)
    assert "em dash" in window.code_view.snippet.toPlainText()
    window.use_example("xor")
    window.show_code()
    assert not window.code_view.tabs.isTabVisible(1)


def test_export_the_current_step_as_a_worksheet(window, tmp_path):
    window.use_example("worked_example")
    window.next_phase()  # in the middle of step 1: the worksheet finishes it on a copy
    path = tmp_path / "step.html"
    assert window.files.export_worksheet(str(path), "html")
    text = path.read_text(encoding="utf-8")
    assert "0.3589" in text  # Mazur: w5 after the step, to 4 digits
    parser = html.parser.HTMLParser()
    parser.feed(text)
    assert window.studio.step_count == 0 and window.studio.phase == "forward"  # unmoved
    md = tmp_path / "step.md"
    assert window.files.export_worksheet(str(md), "md")
    assert md.read_text(encoding="utf-8").startswith("# One training step")


def test_export_python_script(window, tmp_path):
    path = tmp_path / "model.py"
    assert window.files.export_weights_to(str(path), "py")
    assert "def predict(X)" in path.read_text()


def test_quiz_hides_the_answer_until_answered(window):
    panel = window.quiz_panel
    window.use_example("worked_example")
    window.quiz_action.trigger()
    assert window.quiz_dock.isVisible()
    for kind, box in panel.kinds.items():
        box.setChecked(kind == "z")
    panel.enabled.setChecked(True)
    window.next_layer()
    question = window.studio.quiz.question
    assert question is not None and question.kind == "z"
    assert question.prompt in panel.prompt.text()
    explained = window.explanation.plain_text()
    assert f"{question.value:.4g}" not in explained and "Quiz" in explained
    assert not window.next_layer()  # stepping waits for the answer
    assert "answer the question first" in window.message_bar.label.text().lower()
    panel.entry.setText("0.1")
    panel.check_button.click()
    assert "Hint" in panel.feedback.text() and "z = " in panel.feedback.text()
    panel.entry.setText(f"{question.value:.4g}")
    panel.entry.returnPressed.emit()
    assert "Right" in panel.feedback.text()
    assert "z 1/1" in panel.score.text()
    assert window.next_layer()
