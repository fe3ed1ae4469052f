"""Start the window: ``bp-studio`` with no arguments, or with a network file to open."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from bp_studio.ui.platform_check import startup_problem


def run(path: str | None = None, quit_after_ms: int | None = None) -> int:
    """Open the main window (with the network file ``path``) and run until it closes.

    ``quit_after_ms`` closes the window after that many milliseconds (used by smoke tests
    and the start-up benchmark).
    """
    app = QApplication.instance()
    if app is None:
        problem = startup_problem()
        if problem is not None:
            print(problem, file=sys.stderr)
            return 3
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication), "a window needs a QApplication"
    from bp_studio.ui.main_window import MainWindow

    app.setApplicationName("BP Studio")
    app.setWindowIcon(QIcon(str(Path(__file__).with_name("icons") / "bp_studio.svg")))
    app.setOrganizationName("BP Studio")
    window = MainWindow(path)
    window.show()
    if quit_after_ms is None:
        QTimer.singleShot(0, window.files.offer_recovery)  # after a crash: restore the autosave?
    if quit_after_ms is not None:  # a smoke run: nothing was changed, so nothing is asked
        QTimer.singleShot(quit_after_ms, window.close)
    return app.exec()
