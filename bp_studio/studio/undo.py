"""Undo and Redo for a studio: copies of the document before each command, in bounded memory.

Every undoable command (reset, an edit, a setting, new data, a new architecture) pushes a
``DocumentState`` of the document as it was; Undo restores it and keeps the document as it
is for Redo. Consecutive changes of the same setting at the same step (a slider being
dragged) share one entry. At most ``MAX_UNDO`` entries are kept, and at most ``UNDO_BYTES``
of memory beyond the live document (the weights, optimiser state and losses each entry
holds, and the rewind snapshots that only undo entries still hold: a reset keeps the whole
run it replaced); the oldest entries go first.
"""

from __future__ import annotations

from dataclasses import dataclass

from bp_studio.engine import TrainingHistory
from bp_studio.studio.document import DocumentState

MAX_UNDO = 30
UNDO_BYTES = 256 * 1024 * 1024


@dataclass
class UndoEntry:
    label: str
    state: DocumentState
    merge_key: tuple | None = None


class UndoStack:
    """The undo and redo entries of one document."""

    def __init__(self) -> None:
        self.undo_entries: list[UndoEntry] = []
        self.redo_entries: list[UndoEntry] = []

    def clear(self) -> None:
        self.undo_entries.clear()
        self.redo_entries.clear()

    @property
    def undo_text(self) -> str:
        """What Undo would undo, e.g. ``reset`` (``""`` if nothing)."""
        return self.undo_entries[-1].label if self.undo_entries else ""

    @property
    def redo_text(self) -> str:
        return self.redo_entries[-1].label if self.redo_entries else ""

    def merges(self, merge_key: tuple | None) -> bool:
        """Whether a command with ``merge_key`` continues the newest entry (no new one)."""
        return (
            merge_key is not None
            and bool(self.undo_entries)
            and self.undo_entries[-1].merge_key == merge_key
        )

    def push(self, entry: UndoEntry, live: TrainingHistory) -> None:
        """A new command: ``entry`` holds the document before it; redo is gone."""
        self.undo_entries.append(entry)
        del self.undo_entries[:-MAX_UNDO]
        self.redo_entries.clear()
        self.trim(live)

    def trim(self, live: TrainingHistory) -> None:
        """Drop the oldest entries beyond ``UNDO_BYTES`` (snapshot arrays shared with the
        live history ``live`` or a newer entry are counted once)."""
        entries = self.redo_entries + self.undo_entries[::-1]  # newest first
        if sum(_rough_bytes(e.state) for e in entries) <= UNDO_BYTES:
            return
        seen = {id(v) for v in live.arrays()}
        total = 0
        for position, entry in enumerate(entries):
            total += _rough_bytes(entry.state) - entry.state.history.nbytes
            for vector in entry.state.history.arrays():
                if id(vector) not in seen:
                    seen.add(id(vector))
                    total += vector.nbytes
            if total > UNDO_BYTES:
                kept = {id(e) for e in entries[:position]}
                self.redo_entries = [e for e in self.redo_entries if id(e) in kept]
                self.undo_entries = [e for e in self.undo_entries if id(e) in kept]
                return


def _rough_bytes(state: DocumentState) -> int:
    """Memory an entry holds at most: its history (maybe shared) and its own copies."""
    size = state.history.nbytes
    if state.network is not None:
        size += state.network.parameters.nbytes
    if state.trainer_state is not None:
        size += state.trainer_state.nbytes
    return size
