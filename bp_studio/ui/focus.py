"""Keyboard focus goes back to the network after a number is typed; the wheel scrolls.

The stepping keys (N, L, S, B, E, Space) act on the window, but a number box keeps the focus
after it was edited, so Space would type into it. ``ReturnFocus`` watches the number boxes:
Enter (the value is taken) or Escape (the edit is left as it was) hands the focus back to
the canvas, and the keys step again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)

KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)


class ReturnFocus(QObject):
    """After Enter or Escape in a number box below ``root``, focus ``target``."""

    def __init__(
        self, root: QWidget, target: QWidget, on_escape: Callable[[], object] | None = None
    ) -> None:
        super().__init__(root)
        self.target = target
        self.on_escape = on_escape
        """Called after Escape (the window shows the settings as they are again)."""
        self.watch(root)

    def watch(self, root: QWidget) -> None:
        """Watch every number box below ``root`` (again after rows were rebuilt); a value
        counts once Enter is pressed or the focus leaves, not at every key typed."""
        for box in root.findChildren(QAbstractSpinBox):
            box.setKeyboardTracking(False)
            box.removeEventFilter(self)
            box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's override name
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)  # PySide6 hands the event over as its subclass
            and event.key() in KEYS
        ):
            escape = event.key() == Qt.Key.Key_Escape
            if escape and self.on_escape is not None:
                self.on_escape()  # the unfinished edit is dropped
            elif isinstance(watched, QAbstractSpinBox):
                watched.interpretText()
            self.target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return escape
        return False


class WheelGuard(QObject):
    """The mouse wheel over a settings column scrolls it: a choice box or number box below
    ``root`` takes the wheel only once it has the focus (clicked or tabbed into). Without
    this, scrolling down the column turned every box passing under the pointer (an
    activation became softplus, and the network was rebuilt)."""

    def __init__(self, root: QWidget) -> None:
        super().__init__(root)
        self.watch(root)

    def watch(self, root: QWidget) -> None:
        """Guard every choice and number box below ``root`` (again after rows were rebuilt)."""
        for box in root.findChildren(QWidget):
            if isinstance(box, (QComboBox, QAbstractSpinBox)):
                box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel gives no focus
                box.removeEventFilter(self)
                box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's override name
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if watched.hasFocus():
            return False  # the box was chosen: the wheel turns it
        parent = watched.parentWidget()
        while parent is not None and not isinstance(parent, QAbstractScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            QApplication.sendEvent(parent.verticalScrollBar(), event)
        return True
