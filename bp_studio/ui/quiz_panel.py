"""The quiz panel: choose what is asked, answer, get a hint, reveal; the score per kind."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio.studio import Studio, StudioError
from bp_studio.studio.explain import format_number
from bp_studio.studio.quiz import KIND_TITLES, KINDS, describe_score


class QuizPanel(QWidget):
    """Quiz mode of ``studio``: the window calls ``refresh`` when ``quiz_changed`` fires."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.enabled = QCheckBox("Quiz me while I step")
        self.enabled.setToolTip(
            "Each Next layer, Next phase or Step hides one quantity it computed and asks for it"
        )
        self.enabled.toggled.connect(self._on_enabled)
        self.kinds: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for index, kind in enumerate(KINDS):
            box = QCheckBox(KIND_TITLES[kind])
            box.setChecked(True)
            box.toggled.connect(self._on_kinds)
            self.kinds[kind] = box
            grid.addWidget(box, index // 2, index % 2)
        self.prompt = QLabel()
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.RichText)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("your answer, e.g. 0.5933")
        self.entry.returnPressed.connect(self.check)
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Check the answer (Enter)")
        self.check_button.clicked.connect(self.check)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setToolTip("Show the value (counts as asked, not right)")
        self.reveal_button.clicked.connect(self.reveal)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setTextFormat(Qt.TextFormat.RichText)
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.score = QLabel()
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.entry, 1)
        answer_row.addWidget(self.check_button)
        answer_row.addWidget(self.reveal_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.enabled)
        layout.addLayout(grid)
        layout.addWidget(self.prompt)
        layout.addLayout(answer_row)
        layout.addWidget(self.feedback)
        layout.addWidget(self.score)
        layout.addStretch(1)
        self.refresh()

    def chosen_kinds(self) -> list[str]:
        return [kind for kind, box in self.kinds.items() if box.isChecked()]

    def refresh(self) -> None:
        quiz = self.studio.quiz
        for widget, value in ((self.enabled, quiz.enabled),):
            widget.blockSignals(True)
            widget.setChecked(value)
            widget.blockSignals(False)
        for kind, box in self.kinds.items():
            box.blockSignals(True)
            box.setChecked(kind in quiz.kinds)
            box.blockSignals(False)
        question = quiz.question
        open_question = question is not None
        self.entry.setEnabled(open_question)
        self.check_button.setEnabled(open_question)
        self.reveal_button.setEnabled(open_question)
        if question is not None:
            self.prompt.setText(f"<b>{html.escape(question.prompt)}</b>")
        elif quiz.enabled:
            self.prompt.setText("Step on (Next layer, Next phase, Step): a question follows.")
        else:
            self.prompt.setText("")
        self.score.setText(f"Score: {describe_score(quiz)}")

    def check(self) -> None:
        text = self.entry.text().strip().replace("\u2212", "-").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            self.feedback.setText(f"“{html.escape(text)}” is not a number.")
            return
        digits = self.studio.precision
        try:
            verdict = self.studio.answer(value)
        except StudioError as exc:
            self.feedback.setText(html.escape(str(exc)))
            return
        if verdict.correct:
            assert verdict.value is not None, "a right answer carries its value"
            self.feedback.setText(
                f"<span style='color:#0b6e4f'><b>Right:</b> "
                f"{format_number(verdict.value, digits)}</span>"
            )
            self.entry.clear()
        else:
            label = "Hint: the equation" if verdict.hint_level == 1 else "The numbers plugged in"
            hint = "<br>".join(html.escape(line) for line in verdict.hint.splitlines())
            self.feedback.setText(f"<b>Not quite.</b> {label}:<br><code>{hint}</code>")

    def reveal(self) -> None:
        try:
            value = self.studio.reveal()
        except StudioError as exc:
            self.feedback.setText(html.escape(str(exc)))
            return
        self.feedback.setText(f"It was <b>{format_number(value, self.studio.precision)}</b>.")
        self.entry.clear()

    def _on_enabled(self, on: bool) -> None:
        if on:
            self.studio.start_quiz(self.chosen_kinds() or list(KINDS))
        else:
            self.studio.stop_quiz()

    def _on_kinds(self) -> None:
        kinds = self.chosen_kinds()
        if self.studio.quiz.enabled and kinds:
            self.studio.start_quiz(kinds)
