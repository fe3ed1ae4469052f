"""Play: training continuously at the chosen speed, with the window drawing as it goes.

Animated speeds run on a timer in the GUI thread (one layer, one step or a short burst of
steps per tick, each a studio command). "As fast as possible" runs ``Studio.run`` in a
``QThread``; the window then draws at display rate from the run's latest publication
(``Studio.take_progress``): ``frame(publication, heavy)`` is emitted by the display tick and
the window draws it. Drawing holds Python's lock, so every millisecond spent drawing is taken
from training: the display interval adapts so that drawing takes at most ``DISPLAY_SHARE``
of the time, between 33 ms (30 frames a second) and 250 ms; the heavy views (loss plot, data
view) redraw every ``HEAVY_EVERY``-th frame (measured in scripts/bench.py).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from bp_studio.engine import TrainingDiverged
from bp_studio.studio import Studio, StudioError
from bp_studio.studio.progress import Publication

SPEEDS = (
    ("Animated: one layer every 0.8 s", "layer", 800),
    ("Animated: one layer every 0.25 s", "layer", 250),
    ("One step every 0.1 s", "step", 100),
    ("Fast: many steps per frame", "burst", 16),
    ("As fast as possible", "thread", 33),
)
"""Play speeds: (description, what one tick does, tick interval in ms)."""
SPEED_LABELS = ("0.8 s / layer", "0.25 s / layer", "10 steps / s", "fast", "fastest")
"""The short names the toolbar shows beside the speed slider (one fixed width)."""
FASTEST = len(SPEEDS) - 1
DISPLAY_MS = 100
HEAVY_EVERY = 5
DISPLAY_SHARE = 0.06
BURST_SECONDS = 0.008


class _RunThread(QThread):
    """Runs ``studio.run(steps)`` off the GUI thread (``None``: until stopped)."""

    def __init__(self, studio: Studio, steps: int | None) -> None:
        super().__init__()
        self.studio = studio
        self.steps = steps

    def run(self) -> None:  # Qt's override name: runs in the worker thread
        try:
            self.studio.run(self.steps)
        except (TrainingDiverged, StudioError):
            pass  # the studio announced it (diverged / notice); the window says so
        except Exception as exc:  # a bug: say so instead of dying silently in the thread
            self.studio.events.notice.emit(
                f"Training stopped by an internal error ({type(exc).__name__}: {exc}); this is "
                "a bug in BP Studio, please report it"
            )


class Player(QObject):
    """Starts and stops play; ``frame(publication, heavy)`` while a run works in a thread;
    ``playing_changed(bool)`` when play starts or stops."""

    frame = Signal(object, bool)
    playing_changed = Signal(bool)

    def __init__(self, studio: Studio, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.speed = FASTEST
        self.playing = False
        self._thread: _RunThread | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self.display_timer = QTimer(self)
        self.display_timer.setInterval(DISPLAY_MS)
        self.display_timer.timeout.connect(self._on_display_tick)
        self._ticks = 0
        self._tick_cost = DISPLAY_MS * DISPLAY_SHARE / 1000
        self._burst = 1

    @property
    def threaded(self) -> bool:
        """Whether a run works in a thread now (the window must not step the studio)."""
        return self._thread is not None

    def set_speed(self, index: int) -> None:
        """Choose a speed (index into ``SPEEDS``); playing goes on at the new speed."""
        self.speed = max(0, min(int(index), FASTEST))
        if self.playing:
            self.stop()
            self.start()

    def toggle(self) -> None:
        if self.playing:
            self.stop()
        else:
            self.start()

    def start(self, steps: int | None = None) -> bool:
        """Play at the chosen speed (``steps``: run that many steps in the thread, then stop).
        ``False`` if there is nothing to train."""
        if self.playing or not self.studio.can_train:
            return False
        _, mode, interval = SPEEDS[self.speed]
        if mode == "thread" or steps is not None:
            self._start_thread(steps)
        else:
            self.playing = True
            self._burst = 1
            self._timer.start(interval)
        self.playing_changed.emit(True)
        return True

    def _start_thread(self, steps: int | None) -> None:
        self.playing = True
        thread = _RunThread(self.studio, steps)
        thread.finished.connect(lambda: self._on_thread_finished(thread))
        self._thread = thread
        self._ticks = 0
        self._tick_cost = DISPLAY_MS * DISPLAY_SHARE / 1000
        self.display_timer.setInterval(DISPLAY_MS)
        thread.start()
        self.display_timer.start()

    def stop(self) -> None:
        """Pause: stop the timer, or the run (it returns within one chunk, well under 100 ms)."""
        self._timer.stop()
        thread = self._thread
        if thread is not None:
            # A run that had not begun when asked clears the request as it begins: ask again
            # until the thread is done (each ask is seen within one chunk).
            self.studio.stop()
            while not thread.wait(20):
                self.studio.stop()
            self.display_timer.stop()
            self._thread = None
            thread.deleteLater()
        if self.playing:
            self.playing = False
            self.playing_changed.emit(False)

    def _on_thread_finished(self, thread: _RunThread) -> None:
        """A run ended by itself (its steps done, or diverged): pause. The signal of a thread
        that Pause already stopped may arrive after a new one started: ignore it."""
        if thread is self._thread and self.playing:
            self.stop()

    def _on_tick(self) -> None:
        """One tick of animated play, in the GUI thread."""
        _, mode, _ = SPEEDS[self.speed]
        try:
            if mode == "layer":
                self.studio.next_layer()
            elif mode == "step":
                self.studio.step()
            else:
                started = time.perf_counter()
                self.studio.run(self._burst)
                elapsed = time.perf_counter() - started
                if elapsed < BURST_SECONDS / 2:
                    self._burst = min(self._burst * 2, 100_000)
                elif elapsed > BURST_SECONDS * 2 and self._burst > 1:
                    self._burst //= 2
        except (TrainingDiverged, StudioError):
            self.stop()

    def _on_display_tick(self) -> None:
        """While a run works in the thread: draw its latest publication."""
        publication: Publication | None = self.studio.take_progress()
        if publication is None:
            return
        started = time.perf_counter()
        self._ticks += 1
        self.frame.emit(publication, self._ticks % HEAVY_EVERY == 0)
        cost = time.perf_counter() - started
        self._tick_cost = 0.8 * self._tick_cost + 0.2 * cost
        interval = round(1000 * self._tick_cost / DISPLAY_SHARE)
        self.display_timer.setInterval(min(max(interval, 33), 250))
