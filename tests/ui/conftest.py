"""Shared fixtures of the window tests: no test reads or writes the user's settings or
autosave, and no modal question blocks the run."""

import pytest
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QMessageBox

from bp_studio.ui import file_actions
from bp_studio.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _isolated_window_state(tmp_path, monkeypatch):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    QStandardPaths.setTestModeEnabled(True)
    monkeypatch.setattr(file_actions, "autosave_path", lambda: tmp_path / "autosave.bpsession")
    # A modal question would block the run: answer "Discard" unless a test says otherwise.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)


@pytest.fixture
def window(qtbot):
    """The main window as it opens, shown; left without unsaved changes afterwards."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.player.stop()
