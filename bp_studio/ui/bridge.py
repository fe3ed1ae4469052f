"""Relay a studio's events into the window's thread.

``Studio`` emits its (psygnal) events in the thread that made the change: commands sent to a
running ``Studio.run`` are applied, and announced, in the run's thread. Qt widgets may only be
touched from the GUI thread, so the window never connects to ``studio.events`` directly: a
``StudioBridge`` (a QObject living in the GUI thread) re-emits each event as its Qt signal
``relayed(name, args)``. Qt delivers it at once when the event came from the GUI thread and
queues it to the GUI thread otherwise.
"""

from __future__ import annotations

from psygnal import EmissionInfo
from PySide6.QtCore import QObject, Signal

from bp_studio.studio import Studio


class StudioBridge(QObject):
    """``relayed(name, args)`` for every event of ``studio`` (in the GUI thread)."""

    relayed = Signal(str, tuple)

    def __init__(self, studio: Studio, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        studio.events.connect(self._relay)

    def _relay(self, info: EmissionInfo) -> None:
        self.relayed.emit(info.signal.name, tuple(info.args))

    def detach(self) -> None:
        """Stop relaying (the window closes)."""
        self.studio.events.disconnect(self._relay)
