"""Show code: the NumPy code of this training beside the network, the current phase lit.

The code is ``bp_studio.io.codegen.training_script`` for the studio's network and training
settings: the seed's four steps done right, as commented blocks, for any depth. While the
user steps, the block of the phase being computed is highlighted. For the glossary network a
second tab shows the seed's own snippet with its two mistakes pointed out.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from bp_studio.engine import Phase
from bp_studio.io.codegen import TrainingOptions, step_lines, training_script
from bp_studio.studio import Studio
from bp_studio.studio.glossary import snippet_page

HIGHLIGHT = "#fff2b3"


class CodeView(QWidget):
    """The training script of ``studio`` and, for the glossary network, the seed's snippet."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self._key: tuple | None = None
        self._lines: dict[int, tuple[int, int]] = {}
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.refresh_button = QPushButton("Take the weights now")
        self.refresh_button.setToolTip("Write the script again with the network's current weights")
        self.refresh_button.clicked.connect(lambda: self.refresh(force=True))
        self.code = QPlainTextEdit()
        self.code.setReadOnly(True)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.snippet = QTextBrowser()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.code, "Training script")
        self.tabs.addTab(self.snippet, "The seed's snippet")
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    @property
    def text(self) -> str:
        return self.code.toPlainText()

    def refresh(self, force: bool = False) -> None:
        """Write the script again when the network's architecture or the training settings
        changed (or ``force``), then light the phase being stepped."""
        studio = self.studio
        network, settings = studio.network, studio.settings
        key = (network.describe(), settings, studio.data_spec)
        if force or key != self._key:
            self._key = key
            options = TrainingOptions(
                lr=settings.lr,
                batch_size=settings.batch_size,
                optimizer=settings.optimizer,
                shuffle=settings.shuffle,
                seed=settings.seed,
                regularization=settings.regularization,
                regularization_rate=settings.regularization_rate
                if settings.regularization != "none"
                else 0.0,
            )
            script = training_script(network, options, source="the network in BP Studio")
            self._lines = step_lines(script)
            self.code.setPlainText(script)
            self.note.setText(
                f"python train.py DATA.csv OUT.json trains this {network.describe()} network "
                f"as BP Studio does, from its weights at step {studio.step_count:,}: the "
                "four steps are the commented blocks."
            )
        glossary = studio.data_spec.kind == "example" and studio.data_spec.name == "glossary"
        self.tabs.setTabVisible(1, glossary)
        if glossary and not self.snippet.toPlainText():
            self.snippet.setHtml(snippet_page())
        self.highlight(studio.moment().phase if studio.moment().update is None else Phase.UPDATE)

    def highlight(self, phase: Phase | None) -> tuple[int, int] | None:
        """Light the lines of ``phase``'s step (``None``: nothing); returns them (from 1)."""
        lines = self._lines.get(int(phase)) if phase is not None else None
        if lines is None:
            self.code.setExtraSelections([])
            return None
        first, last = lines
        document = self.code.document()
        cursor = QTextCursor(document.findBlockByNumber(first - 1))
        cursor.movePosition(
            QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor, last - first
        )
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format.setBackground(QColor(HIGHLIGHT))
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        self.code.setExtraSelections([selection])
        scroll = QTextCursor(document.findBlockByNumber(max(0, last - 1)))
        self.code.setTextCursor(scroll)
        self.code.setTextCursor(QTextCursor(document.findBlockByNumber(first - 1)))
        self.code.centerCursor()
        return lines
