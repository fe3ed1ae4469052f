"""The explanation panel: the equations of the selected node, edge or bias, with the numbers.

The text comes from ``bp_studio.studio.explain.explain``; the panel shows it in a read-only
``QTextBrowser`` (selectable, so numbers can be copied) under a "Digits" spin box that sets
the number of significant digits (4 to 8).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bp_studio.studio.explain import explain
from bp_studio.studio.moment import Moment, Selection

MIN_DIGITS, MAX_DIGITS, DEFAULT_DIGITS = 4, 8, 4


class ExplanationPanel(QWidget):
    """Shows ``explain(moment, selection, precision)``; ``precision_changed(int)`` on edits."""

    precision_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, precision: int = DEFAULT_DIGITS) -> None:
        super().__init__(parent)
        self._moment: Moment | None = None
        self._selection: Selection | None = None
        self._page: str | None = None

        self.digits = QSpinBox()
        self.digits.setRange(MIN_DIGITS, MAX_DIGITS)
        self.digits.setValue(min(max(int(precision), MIN_DIGITS), MAX_DIGITS))
        self.digits.setToolTip("Significant digits of the numbers in the explanation")
        self.digits.setAccessibleName("Digits")
        digits_label = QLabel("&Digits")
        digits_label.setBuddy(self.digits)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addStretch(1)
        header.addWidget(digits_label)
        header.addWidget(self.digits)

        self.browser = QTextBrowser()
        self.browser.setReadOnly(True)
        self.browser.setOpenLinks(False)
        self.browser.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        font = QFont(self.browser.font())
        font.setPointSizeF(max(font.pointSizeF(), 10.5))
        self.browser.setFont(font)
        self.browser.document().setDocumentMargin(10)
        self.browser.setPlaceholderText("Start a training step to see its equations here.")
        self.browser.setMinimumWidth(280)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.browser, 1)

        self.digits.valueChanged.connect(self._digits_changed)

    # -- public ---------------------------------------------------------------------------

    @property
    def precision(self) -> int:
        """Significant digits of the numbers shown (4 to 8)."""
        return self.digits.value()

    def set_precision(self, digits: int) -> None:
        """Change the digits (clamped to 4..8); emits ``precision_changed`` if it changed."""
        self.digits.setValue(int(digits))

    def show(self, moment: Moment | None = None, selection: Selection | None = None) -> None:
        """Explain ``selection`` (``None``: the phase overview) at ``moment``.

        Called without arguments it is ``QWidget.show()``.
        """
        if moment is None:
            if selection is None:
                super().show()
            return
        self._moment = moment
        self._selection = selection
        self._page = None
        self.refresh()

    def show_page(self, rich_text: str, moment: Moment | None = None) -> None:
        """Show ``rich_text`` instead of an explanation (a quiz question, an example's first
        page); ``moment`` is kept as the moment shown."""
        self._page = rich_text
        self._moment = moment
        self._selection = None
        self.browser.setHtml(rich_text)

    def refresh(self) -> None:
        """Render the last moment and selection again (e.g. after the network was edited)."""
        if self._page is not None and self._selection is None:
            self.browser.setHtml(self._page)
            return
        if self._moment is None:
            self.browser.clear()
            return
        try:
            text = explain(self._moment, self._selection, self.precision)
        except Exception as error:  # the panel must keep working: say what failed
            text = (
                "<p><b>This selection cannot be explained.</b></p>"
                f"<p>{html.escape(type(error).__name__)}: {html.escape(str(error))}</p>"
            )
        self.browser.setHtml(text)

    def clear(self) -> None:
        """Forget the moment; the panel shows its placeholder text."""
        self._moment = None
        self._selection = None
        self.browser.clear()

    @property
    def moment(self) -> Moment | None:
        return self._moment

    @property
    def selection(self) -> Selection | None:
        return self._selection

    def plain_text(self) -> str:
        """The explanation as plain text (what a copy of all of it gives)."""
        return self.browser.toPlainText()

    # -- internals ------------------------------------------------------------------------

    def _digits_changed(self, value: int) -> None:
        self.refresh()
        self.precision_changed.emit(value)
