"""Where commands from other threads meet a run: at the step boundaries between its chunks.

``Studio.run`` trains in chunks of whole steps in the thread that called it. A command sent
from another thread meanwhile (a new learning rate, an edited weight, a snapshot for an
autosave) is queued with ``call`` and applied by the run between two chunks, under the
studio's lock; while nothing runs it is applied at once. ``pause`` stops a run from another
thread and waits until it has returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class BoundaryError(RuntimeError):
    """A command that cannot be given now (the message says why)."""


class StepBoundary:
    """The queue of commands for a run, its stop request, and its running flag."""

    def __init__(self, lock: threading.RLock, report: Callable[[str], None]) -> None:
        self.lock = lock
        """Held while the trainer is read or changed (the run's chunks hold it too)."""
        self.report = report
        """Says why a queued command was refused (it ran in the run's thread)."""
        self._pending_lock = threading.Lock()
        self._idle = threading.Condition(self._pending_lock)
        self._pending: list[Callable[[], object]] = []  # their results are dropped
        self._running = False
        self._run_thread: int | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def begin(self) -> None:
        """A run begins in this thread (``BoundaryError`` if one runs already)."""
        with self._pending_lock:
            if self._running:
                raise BoundaryError("training is already running")
            self._running = True
            self._run_thread = threading.get_ident()
            self._stop.clear()

    def end(self) -> None:
        """The run ends: what was queued meanwhile is applied now, in order, and a thread
        waiting in ``pause`` goes on."""
        with self.lock:
            with self._pending_lock:
                self._running = False
                self._run_thread = None
                todo, self._pending = self._pending, []
            for command in todo:
                self._apply(command)
        with self._pending_lock:
            self._idle.notify_all()

    def stop(self) -> None:
        """Ask the run to return at the end of its chunk (a run that begins later clears it)."""
        self._stop.set()

    def pause(self) -> None:
        """Stop a run in another thread and wait until it has returned."""
        with self._pending_lock:
            if not self._running:
                return
            if self._run_thread == threading.get_ident():
                raise BoundaryError("this command cannot be given while training runs")
            self._stop.set()
            while self._running:
                self._idle.wait()

    def call(self, command: Callable[[], T], wait: bool = False) -> T | None:
        """Run ``command`` now, or, while a run works in another thread, at its next step
        boundary (``wait``: block until then and return the result or raise its error)."""
        with self._pending_lock:
            queued = self._running and self._run_thread != threading.get_ident()
            if queued:
                if not wait:
                    self._pending.append(command)
                    return None
                done = threading.Event()
                box: list[tuple[bool, Any]] = []

                def boxed() -> None:
                    try:
                        box.append((True, command()))
                    except Exception as exc:  # handed to the waiting thread
                        box.append((False, exc))
                    finally:
                        done.set()

                self._pending.append(boxed)
        if not queued:
            with self.lock:
                return command()
        done.wait()
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def apply_pending(self) -> None:
        """In the run's thread, between two chunks: apply what was queued, in order."""
        with self._pending_lock:
            todo, self._pending = self._pending, []
        for command in todo:
            with self.lock:
                self._apply(command)

    def _apply(self, command: Callable[[], object]) -> None:
        try:
            command()
        except (ValueError, IndexError) as exc:
            self.report(f"Not changed: {exc}")
