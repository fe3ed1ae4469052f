"""Work that may take a while, off the GUI thread: the window stays live while it runs.

``Job(function)`` runs ``function()`` in a thread of its own when started; ``done(result)``
or ``failed(message)`` then arrive in the GUI thread (Qt queues a signal emitted in another
thread to the receiver's thread). One job of a kind at a time: the window keeps the job and
refuses a second while ``running``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class Job(QObject):
    """``function()`` in a background thread; ``done(result)`` / ``failed(message)`` after."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, function: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._function = function
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="bp-studio-job", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work is done (tests, closing the window); ``False`` on timeout."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _work(self) -> None:
        try:
            result = self._function()
        except Exception as exc:  # said in the window, never lost in the thread
            self.failed.emit(f"{exc}" if str(exc) else type(exc).__name__)
            return
        self.done.emit(result)
