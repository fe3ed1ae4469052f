"""The studio's events (psygnal signals), in the past tense, for windows and scripts.

A window connects its views to these and redraws from the studio; nothing here knows Qt.
Events are emitted in the thread that made the change: commands sent while ``Studio.run``
works in another thread take effect (and are announced) in that thread, at a step boundary.
A Qt window therefore relays them to its own thread (``bp_studio.ui.bridge``).
"""

from __future__ import annotations

from psygnal import Signal, SignalGroup


class StudioEvents(SignalGroup):
    """Every change of a ``Studio``, as a signal.

    - ``document_changed()``: a whole new document (new, open, undo of a new network ...):
      redraw everything, fit the drawing;
    - ``network_changed()``: a new network (architecture change, reset, new data);
    - ``data_changed()``: the data set changed (spec, rows, drawn points);
    - ``settings_changed(Settings)``: any setting;
    - ``stepped()``: training moved (a layer, a phase, a step, an epoch, a rewind, the end of
      a run) or the weights were edited: redraw the network and the numbers;
    - ``changed(Change)``: a setting change or an edit was recorded in the run;
    - ``view_changed()``: the selected node or sample, or the number of digits;
    - ``file_changed()``: the document's path or its unsaved-changes flag;
    - ``undo_changed()``: what Undo and Redo would do;
    - ``run_started()`` / ``run_finished(reason)``: ``Studio.run`` began / returned
      (``"done"``, ``"stopped"`` or ``"diverged"``);
    - ``diverged(message)``: a step's loss, gradient or weights were not finite; the network
      is as before that step and the message says what to do;
    - ``notice(message)``: something the user should know (a loss chosen to fit the data);
    - ``quiz_changed()``: quiz mode, its question or its scores changed;
    - ``diagnostics_changed()``: layer health was measured (after a manual step; while a run
      works, displays read ``Studio.diagnostics`` at their own rate);
    - ``runs_changed()``: the kept runs of the compare view changed;
    - ``halted(message)``: a run stopped by itself: a breakpoint fired or early stopping went
      back to the best epoch; the message says which and why.
    """

    document_changed = Signal()
    network_changed = Signal()
    data_changed = Signal()
    settings_changed = Signal(object)
    stepped = Signal()
    changed = Signal(object)
    view_changed = Signal()
    file_changed = Signal()
    undo_changed = Signal()
    run_started = Signal()
    run_finished = Signal(str)
    diverged = Signal(str)
    notice = Signal(str)
    quiz_changed = Signal()
    diagnostics_changed = Signal()
    runs_changed = Signal()
    halted = Signal(str)
