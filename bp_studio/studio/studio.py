"""``Studio``: the application without a window. It owns the open document and its commands.

```python
from bp_studio.studio import Studio

s = Studio()                        # the XOR example the window opens with
s.set(lr=0.05, optimizer="adam")    # any setting; architecture fields build a new network
s.next_phase(); s.step(); s.run(1000)
s.rewind(500); s.undo(); s.save("run.bpsession")
```

The document is the settings, the data, the network and its trainer, the run's history
(every step can be revisited), its evaluations and its list of changes. Every command
announces what it changed through ``events`` (``bp_studio.studio.events``); the window only
draws and sends commands.

Threads and step boundaries: ``run(steps)`` trains in chunks of whole steps (about
``CHUNK_SECONDS`` each). ``set()`` of a training setting and ``edit_weight``/``edit_bias``
sent from another thread while ``run()`` works are queued and applied between two chunks,
which is between two steps, and recorded in the history right there, so rewinding to any
step gives bit for bit the weights the run had. While paused, they apply at once; in the
middle of a step (after Next layer or Next phase), the half-done step is discarded, the
change applied at its start, and the same pieces of work redone with it. ``stop()`` makes
``run()`` return at the end of the chunk in progress. Other commands stop a run in
progress first.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from bp_studio.data.csv_table import DataError
from bp_studio.data.examples import EXAMPLES, Dataset
from bp_studio.data.source import DataSpec, PreparedData, prepare
from bp_studio.engine import (
    Network,
    Regularization,
    Trainer,
    TrainingDiverged,
    TrainingHistory,
    rewind,
)
from bp_studio.engine.early_stopping import EarlyStopping
from bp_studio.engine.gradcheck import GradientCheck, check_gradients
from bp_studio.studio.boundary import BoundaryError, StepBoundary
from bp_studio.studio.breakpoints import Breakpoint, first_hit
from bp_studio.studio.changes import Change, bias_name, weight_name
from bp_studio.studio.diagnostics import (
    MIN_INTERVAL,
    SAMPLE_ROWS,
    DiagnosticsLog,
    LayerDistributions,
    LayerHealth,
    distributions,
    health_after_step,
    health_of_run,
    health_with_last_update,
    sample_rows,
)
from bp_studio.studio.diagnostics import SHARE as HEALTH_SHARE
from bp_studio.studio.document import (
    Document,
    DocumentState,
    example_for,
    example_settings,
    fit_settings_to_data,
    fits,
    make_trainer,
    pieces_done,
    redo_pieces,
    settings_for_network,
)
from bp_studio.studio.errors import StudioError
from bp_studio.studio.evaluation import Evaluation, Evaluations
from bp_studio.studio.events import StudioEvents
from bp_studio.studio.glossary import example_network
from bp_studio.studio.moment import Moment, Selection
from bp_studio.studio.progress import ProgressBoard, Publication
from bp_studio.studio.quiz import Quiz, Verdict
from bp_studio.studio.runs import RunArchive, RunCurve
from bp_studio.studio.settings import FIELD_WORDS, TRAINING_FIELDS, Settings
from bp_studio.studio.undo import UndoEntry, UndoStack

CHUNK_SECONDS = 0.02
"""``run()`` trains in chunks of about this long; ``stop()`` and queued changes are seen
between chunks."""
EVALUATION_SHARE = 0.05
"""While running, the evaluation on all the data takes at most this share of the time."""
SESSION_SUFFIX = ".bpsession"

T = TypeVar("T")


class Studio:
    """The open document and every command on it; see the module docstring."""

    def __init__(self, settings: Settings | None = None, data: DataSpec | None = None) -> None:
        self.events = StudioEvents()
        self._lock = threading.RLock()
        """Held while the trainer is read or changed (the run's chunks hold it too)."""
        self._boundary = StepBoundary(self._lock, self.events.notice.emit)
        self._board: ProgressBoard | None = None

        self._path: str | None = None
        self._dirty = False
        self._undo = UndoStack()
        self.selection: Selection | None = None
        self.sample = 0
        """Which sample of the batch the nodes show (0-based)."""
        self.row = 0
        """Which training row the nodes show between steps (0-based; the data table's)."""
        self.precision = 4
        """Significant digits of the explanation's numbers."""
        self.quiz = Quiz()
        """Quiz mode: the open question and the scores (``start_quiz``, ``answer``)."""

        self._breakpoints: tuple[Breakpoint, ...] = ()
        self._held: dict[Breakpoint, Any] = {}
        """What each measured breakpoint condition was at its last check (they fire when
        they become true)."""
        self._stopper: EarlyStopping | None = None
        self._stopper_steps: dict[int, int] = {}
        """The step at the end of each epoch the early-stopping watch measured."""
        spec = data or DataSpec()
        prepared = prepare(spec)
        fitted, _ = fit_settings_to_data((settings or Settings()).checked(), prepared.raw)
        self.doc = Document(fitted, spec, prepared, self.events.notice.emit)
        """The document: settings, data, network, trainer and the run's record."""

    # -- opening and saving -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike) -> Studio:
        """A studio on a session file, or a new untitled session on a network file (.json).

        ``StudioError`` names the file and what is wrong with it.
        """
        studio = cls()
        studio.load(path)
        return studio

    def load(self, path: str | os.PathLike) -> None:
        """Open ``path`` (session or network file) in place of the current document.

        On any problem ``StudioError`` says what and the current document stays as it was.
        Stops a run in progress. Not undoable (the window asks first about unsaved work).
        """
        from bp_studio.studio.session_codec import load_document

        name = os.fspath(path)
        self._pause()
        with self._lock:
            if name.endswith(SESSION_SUFFIX):
                state, extra = load_document(name)
                self._restore(state)
                self._apply_view(extra)
                self.quiz = extra["quiz"]
                self._breakpoints = extra["breakpoints"]
                self._path = name
            else:
                self._open_network_file(name)
                self.doc.runs = RunArchive()
                self._breakpoints = ()
                self._path = None
            self._undo.clear()
            self._dirty = False
            self.selection = None
        self._announce_document()

    def recover(self, path: str | os.PathLike) -> None:
        """Open an autosaved session as unsaved, untitled work (after a crash)."""
        self.load(path)
        self._path = None
        self._dirty = True
        self.events.file_changed.emit()

    def _open_network_file(self, path: str) -> None:
        from bp_studio.io.network_file import NetworkFileError

        try:
            network = Network.load(path)
        except NetworkFileError as exc:
            raise StudioError(str(exc)) from None
        settings = settings_for_network(self.doc.settings, network)
        spec, rows, data = self.doc.data_spec, self.doc.rows, self.doc.data
        if data is None or not fits(network, data.train):
            match = example_for(network)
            if match is None:
                spec, rows, data = DataSpec("example", "xor"), None, None
            else:
                spec, rows = DataSpec("example", match), None
                data = prepare(spec)
        self.doc.settings = settings
        self.doc.data_spec, self.doc.rows, self.doc.data = spec, rows, data
        self._start_run(network)
        if data is None:
            self.events.notice.emit(
                f"This network has {network.inputs} inputs and {network.outputs} outputs and "
                "no example data set fits it: open a CSV data file to train it."
            )

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Write the session (atomically) to ``path``, which it then is; ``save()`` writes to
        the document's own path. Works while ``run()`` trains (the state of a step boundary
        is written). ``StudioError`` if there is no path yet or the file cannot be written."""
        from bp_studio.io.atomic import AtomicWriteError
        from bp_studio.studio.session_codec import write_session

        if path is None:
            if self._path is None:
                raise StudioError("this document has no file yet: save it under a name")
            path = self._path
        name = os.fspath(path)
        session = self.capture_session()
        try:
            write_session(name, session)
        except (AtomicWriteError, OSError, ValueError) as exc:
            raise StudioError(f"the session was not saved: {exc}") from None
        self._path = name
        self._set_dirty(False)
        self.events.file_changed.emit()

    def capture_session(self) -> Any:
        """The whole document as a ``bp_studio.io.session.Session`` (taken at a step
        boundary when ``run()`` works in another thread)."""
        from bp_studio.studio.session_codec import capture

        if self.doc.trainer is None:
            raise StudioError("there is no training session to save (no data fits the network)")
        return self._at_boundary(lambda: capture(self), wait=True)

    def new(self) -> None:
        """The default document again (the XOR example), untitled and saved."""
        self._pause()
        with self._lock:
            fresh = Studio()
            self.quiz = Quiz()
            self._breakpoints = ()
            self.doc = fresh.doc
            self.doc.notice = self.events.notice.emit
            self._reset_view()
            self._path = None
            self._dirty = False
            self._undo.clear()
            self.selection = None
        self._announce_document()

    # -- what the document holds ----------------------------------------------------------------

    @property
    def path(self) -> str | None:
        """The session file this document is, or ``None`` while untitled."""
        return self._path

    @property
    def name(self) -> str:
        """The file name a title bar shows (``untitled`` before the first save)."""
        return os.path.basename(self._path) if self._path else "untitled"

    @property
    def dirty(self) -> bool:
        """Whether anything changed since the document was opened or saved."""
        return self._dirty

    @property
    def settings(self) -> Settings:
        return self.doc.settings

    @property
    def data_spec(self) -> DataSpec:
        return self.doc.data_spec

    @property
    def rows(self) -> Dataset | None:
        """Imported or drawn rows (``None`` for built-in data)."""
        return self.doc.rows

    @property
    def data(self) -> PreparedData | None:
        return self.doc.data

    @property
    def network(self) -> Network:
        """The live network (read it; change it with the commands)."""
        return self.doc.network

    @property
    def trainer(self) -> Trainer | None:
        """The live trainer (read it; change it with the commands)."""
        return self.doc.trainer

    @property
    def history(self) -> TrainingHistory:
        return self.doc.history

    @property
    def evaluations(self) -> Evaluations:
        return self.doc.evaluations

    @property
    def evaluation(self) -> Evaluation | None:
        """Loss and accuracy on all the data for the weights now."""
        return self.doc.evaluation

    @property
    def changes(self) -> list[Change]:
        """Every setting change and edit of this run, in order (a copy)."""
        return list(self.doc.changes)

    @property
    def step_count(self) -> int:
        """Completed steps."""
        return self.doc.trainer.step_count if self.doc.trainer is not None else 0

    @property
    def epoch(self) -> int:
        return self.doc.trainer.epoch if self.doc.trainer is not None else 0

    @property
    def parameters(self) -> np.ndarray:
        """A read-only copy of the flat parameter vector (``Network.parameters``)."""
        with self._lock:
            copy = self.doc.network.parameters.copy()
        copy.flags.writeable = False
        return copy

    @property
    def phase(self) -> str | None:
        """The phase of the step in progress: ``None`` between steps, else ``"forward"``,
        ``"error"`` or ``"backward"``: the phase of the last piece of work done."""
        progress = self.doc.trainer.progress if self.doc.trainer is not None else None
        if progress is None:
            return None
        if progress.backward_layers:
            return "backward"
        if progress.error is not None:
            return "error"
        if progress.forward_layers:
            return "forward"
        return None

    @property
    def pieces(self) -> int:
        """Pieces of work done in the step in progress (layers, the error)."""
        return pieces_done(self.doc.trainer)

    @property
    def running(self) -> bool:
        return self._boundary.running

    @property
    def can_train(self) -> bool:
        """Whether there is data that fits the network."""
        return self.doc.trainer is not None

    @property
    def later_steps(self) -> int:
        """Recorded steps after the current one (a change now drops them)."""
        if self.doc.trainer is None or not len(self.doc.history):
            return 0
        return max(0, self.doc.history.last_step - self.doc.trainer.step_count)

    def moment(self) -> Moment:
        """What the views draw now: the step in progress, the last whole step, or between
        steps a preview: the forward pass of training row ``row`` with the weights now."""
        with self._lock:
            return self.doc.moment(self.sample, self.row)

    def losses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the run's loss arrays: the loss of every step, the mean loss of every
        completed epoch and the step each epoch ended at (taken between two chunks of a
        run in another thread)."""
        with self._lock:
            return self.doc.losses()

    def output_names(self) -> tuple[str, ...] | None:
        """What each output node stands for, for people (class names, target names)."""
        return self.doc.output_names()

    def whole_step(self) -> Moment:
        """The moment of a whole step for a worksheet: the step just completed when that is
        what shows, else the step in progress (or the next one) done on a copy, so that the
        document does not move."""
        from bp_studio.studio.worksheet import record_step

        with self._lock:
            trainer = self.doc.require_trainer()
            moment = self.moment()
            if moment.update is not None:
                return moment
            copy = make_trainer(self.doc.network.copy(), self.doc.require_data(), self.doc.settings)
            copy.set_state(trainer.get_state())
            stepped = record_step(copy)
        rows = 1 if stepped.batch is None else len(stepped.batch)
        return replace(stepped, sample=min(self.sample, rows - 1))

    def take_progress(self) -> Publication | None:
        """While ``run()`` works: its latest state and the losses since the last call."""
        board = self._board
        return board.take() if board is not None else None

    # -- settings -----------------------------------------------------------------------------

    def set(self, **changes: Any) -> None:
        """Change settings (``Settings`` field names), checked first: ``StudioError`` names a
        bad field and nothing changes.

        Training settings take effect at the next step boundary and are recorded (see the
        module docstring); architecture settings build a new network from the seed (a new
        run; Undo brings the old one back). Values equal to the current ones are ignored.
        """
        try:
            wanted = self.doc.settings.updated(**changes)
        except ValueError as exc:
            raise StudioError(str(exc)) from None
        names = [n for n in changes if getattr(wanted, n) != getattr(self.doc.settings, n)]
        if not names:
            return
        training = [n for n in names if n in TRAINING_FIELDS]
        architecture = [n for n in names if n not in TRAINING_FIELDS]
        if architecture:
            self._pause()
            with self._lock:
                self._push_undo(f"change {_words(architecture)}")
                old = self.doc.settings
                self.doc.settings = wanted
                self._rebuild()
                for name in names:
                    self.doc.changes.append(
                        Change(0, name, getattr(old, name), getattr(wanted, name))
                    )
            self._mark_dirty()
            self._announce_network()
            return
        values = {n: getattr(wanted, n) for n in training}
        self._at_boundary(lambda: self._apply_training_settings(values))

    def _apply_training_settings(self, values: dict[str, Any]) -> None:
        """At a step boundary (or the start of the step in progress): apply and record."""
        old = self.doc.settings
        key = ("set", tuple(sorted(values)), self.step_count)
        self._push_undo(f"change {_words(values)}", merge_key=key)
        self.doc.settings = replace(old, **values)
        trainer = self.doc.trainer
        if trainer is not None:
            pieces = pieces_done(trainer)
            trainer.discard_progress()
            s = self.doc.settings
            if "lr" in values:
                trainer.lr = s.lr
            if "batch_size" in values:
                trainer.batch_size = s.batch_size
            if "shuffle" in values:
                trainer.shuffle = s.shuffle
            if "optimizer" in values:
                trainer.set_optimizer(s.optimizer)
            if "regularization" in values or "regularization_rate" in values:
                trainer.regularization = Regularization(s.regularization, s.regularization_rate)
                trainer.revision += 1
            self._change_at_boundary()
            for name, value in values.items():
                self.doc.changes.append(Change(trainer.step_count, name, getattr(old, name), value))
                self.events.changed.emit(self.doc.changes[-1])
            self._redo_after_change(pieces)
        self._mark_dirty()
        self.events.settings_changed.emit(self.doc.settings)
        self.events.stepped.emit()

    # -- data ---------------------------------------------------------------------------------

    def set_data(self, spec: DataSpec, rows: Dataset | None = None) -> None:
        """Train on the data ``spec`` names (``rows`` for imported data); the network is
        rebuilt to fit it and the loss chosen to suit it (``notice`` says so). Undoable.
        ``StudioError`` if the data cannot be used; the document stays as it was."""
        if spec.kind == "example" and spec.name in EXAMPLES and EXAMPLES[spec.name].network:
            self.use_example(spec.name)
            return
        try:
            data = prepare(spec, rows)
        except (DataError, ValueError) as exc:
            raise StudioError(f"could not use the data: {exc}") from None
        self._pause()
        with self._lock:
            self._push_undo("change the data")
            settings, notice = fit_settings_to_data(self.doc.settings, data.raw)
            self.doc.settings = settings
            self.doc.data_spec, self.doc.rows, self.doc.data = spec, rows, data
            self._rebuild()
        if notice:
            self.events.notice.emit(notice)
        self._mark_dirty()
        self.events.data_changed.emit()
        self._announce_network()

    def use_rows(self, dataset: Dataset) -> None:
        """Train on rows of the user's own (imported from CSV)."""
        spec = replace(self.doc.data_spec, kind="rows", name=dataset.name, features=())
        self.set_data(spec, dataset)

    def use_example(self, name: str) -> None:
        """Train on a built-in example. An example made for one network (the worked example,
        the glossary network) comes with that network, its settings and any published
        weights; undoable."""
        dataset = EXAMPLES.get(name)
        if dataset is None:
            raise StudioError(f"unknown example {name!r} (known: {', '.join(EXAMPLES)})")
        if dataset.network is None:
            self.set_data(DataSpec("example", name))
            return
        spec = DataSpec("example", name)
        data = prepare(spec)
        self._pause()
        with self._lock:
            self._push_undo(f"use the example {dataset.title}")
            self.doc.settings = example_settings(self.doc.settings, dataset.network).checked()
            self.doc.data_spec, self.doc.rows, self.doc.data = spec, None, data
            self._start_run(example_network(dataset), keep_previous=True)
        self._mark_dirty()
        self.events.settings_changed.emit(self.doc.settings)
        self.events.data_changed.emit()
        self._announce_network()

    def edit_points(self, raw_train: Dataset) -> None:
        """Drawn points: the same network keeps training on the edited training rows (the
        test rows stay aside). The history starts afresh (it was recorded on other data)."""
        data = self.doc.data
        if data is None or self.doc.trainer is None:
            raise StudioError("there is no data to draw on")
        test = data.test_raw if data.has_test else None
        rows = raw_train
        if test is not None:
            rows = replace(
                raw_train,
                X=np.concatenate([raw_train.X, test.X]),
                T=np.concatenate([raw_train.T, test.T]),
            )
        spec = replace(self.doc.data_spec, kind="rows", name="drawn", test_ratio=0.0)
        try:
            new = prepare(spec, rows)
            if test is not None:
                new = replace(
                    new,
                    train_raw=raw_train,
                    test_raw=test,
                    train=prepare(spec, raw_train).train,
                    test=prepare(spec, test).train,
                )
            new = replace(new, normalization=self.doc.network.normalization)
        except (DataError, ValueError) as exc:
            raise StudioError(f"the points were not changed: {exc}") from None
        self._pause()
        with self._lock:
            self._push_undo("draw points")
            try:
                self.doc.trainer.set_data(
                    new.train.X, new.train.targets_for_loss(self.doc.settings.loss)
                )
            except ValueError as exc:
                self._undo.undo_entries.pop()
                raise StudioError(f"the points were not changed: {exc}") from None
            self.doc.data_spec, self.doc.rows, self.doc.data = spec, rows, new
            self.doc.history.record(self.doc.trainer)
            self.doc.changes.clear()
            self.doc.evaluations = Evaluations()
            self.doc.evaluate()
        self._mark_dirty()
        self.events.data_changed.emit()
        self.events.stepped.emit()

    # -- stepping -----------------------------------------------------------------------------

    def next_layer(self) -> Any:
        """One more piece of work: a layer of the forward or backward pass, the error, or the
        update. Returns its record."""
        return self._stepping(lambda t: t.next_layer())

    def next_phase(self) -> Any:
        """Finish the current phase; returns its record."""
        return self._stepping(lambda t: t.next_phase())

    def step(self) -> Any:
        """Finish the step in progress, or do one whole step; returns its ``StepRecord``."""
        return self._stepping(lambda t: t.step())

    def step_epoch(self) -> int:
        """Train until the current epoch is complete; returns the steps done."""
        trainer = self.doc.require_trainer()
        return self.run(trainer.batches_per_epoch - trainer.batch_index)

    @property
    def steps_left_in_epoch(self) -> int:
        trainer = self.doc.require_trainer()
        return trainer.batches_per_epoch - trainer.batch_index

    def _stepping(self, command: Callable[[Trainer], T]) -> T:
        self._pause()
        with self._lock:
            trainer = self.doc.require_trainer()
            if self.quiz.question is not None:
                raise StudioError(
                    f"answer the question first (or reveal it): {self.quiz.question.prompt}"
                )
            before = self.moment() if self.quiz.enabled else None
            try:
                record = command(trainer)
            except TrainingDiverged as exc:
                self._diverged(exc)
                raise
            measured = False
            if trainer.progress is None:
                self.doc.history.record(trainer)
                self.doc.evaluate()
                health = health_after_step(trainer)
                if health is not None:
                    self.doc.diagnostics.add(trainer.step_count, health)
                    measured = True
                self._stopper = None
            self._mark_dirty()
            asked = before is not None and self.quiz.ask(
                before, self.moment(), self.precision, trainer.step_count
            )
        self.events.stepped.emit()
        if measured:
            self.events.diagnostics_changed.emit()
        if asked:
            self.events.quiz_changed.emit()
        return record

    # -- quiz ---------------------------------------------------------------------------------

    def start_quiz(self, kinds: tuple[str, ...] | list[str] | None = None) -> None:
        """Quiz mode: each stepping command then hides one quantity it computed, of the
        ``kinds`` chosen (default all of ``bp_studio.studio.quiz.KINDS``), and asks for it."""
        from bp_studio.studio.quiz import KINDS

        try:
            self.quiz.start(tuple(kinds) if kinds is not None else KINDS)
        except ValueError as exc:
            raise StudioError(str(exc)) from None
        self._mark_dirty()
        self.events.quiz_changed.emit()

    def stop_quiz(self) -> None:
        self.quiz.stop()
        self.events.quiz_changed.emit()

    def answer(self, value: float) -> Verdict:
        """Answer the open question; right to the digits shown, else a hint (the equation,
        then the numbers plugged in)."""
        try:
            verdict = self.quiz.answer(value, self.precision)
        except ValueError as exc:
            raise StudioError(str(exc)) from None
        self._mark_dirty()
        self.events.quiz_changed.emit()
        return verdict

    def reveal(self) -> float:
        """Show the open question's value (it counts as asked, not right)."""
        try:
            value = self.quiz.reveal()
        except ValueError as exc:
            raise StudioError(str(exc)) from None
        self._mark_dirty()
        self.events.quiz_changed.emit()
        return value

    def back(self) -> bool:
        """Undo the last piece of work: a layer or phase of the step in progress, or the last
        step's update (the step is then redone up to just before its update). ``False`` when
        there is nothing to go back to."""
        self._pause()
        with self._lock:
            trainer = self.doc.trainer
            if trainer is None:
                return False
            self.quiz.question = None
            pieces = pieces_done(trainer)
            if pieces:
                trainer.discard_progress()
                redo_pieces(trainer, pieces - 1)
            else:
                if trainer.step_count == 0 or not len(self.doc.history):
                    return False
                if trainer.step_count - 1 < self.doc.history.first_step:
                    return False
                rewind(trainer, self.doc.history, trainer.step_count - 1)
                self.doc.history.attach(trainer)
                redo_pieces(trainer, 2 * len(self.doc.network.layers) + 1)
            self.doc.evaluate()
        self.events.stepped.emit()
        return True

    def rewind(self, step: int) -> None:
        """Go to recorded step ``step`` (backwards or forwards), bit for bit as the run had it.
        ``StudioError`` if the step is not in the history."""
        self._pause()
        with self._lock:
            trainer = self.doc.require_trainer()
            try:
                rewind(trainer, self.doc.history, int(step))
            except (ValueError, LookupError) as exc:
                raise StudioError(f"cannot go to step {step}: {exc}") from None
            self.doc.history.attach(trainer)
            self.quiz.question = None
            self._stopper = None
            self.doc.evaluate()
        self.events.stepped.emit()

    # -- running ------------------------------------------------------------------------------

    def run(self, steps: int | None = None) -> int:
        """Train ``steps`` whole steps (``None``: until ``stop()``); returns the steps done.

        A half-done step is finished first, as one of them. Returns early when ``stop()`` is
        called (from another thread), when a breakpoint fires or early stopping ends the
        training (then ``halted`` says why and the studio is at the step where it happened),
        or when a step diverges (then ``diverged`` is announced and ``TrainingDiverged``
        raised; the network is as before the failing step). An open quiz question is dropped.
        """
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
                raise StudioError(f"steps must be a whole number of 0 or more, got {steps!r}")
        trainer = self.doc.require_trainer()
        try:
            self._boundary.begin()
        except BoundaryError as exc:
            raise StudioError(str(exc)) from None
        self._board = ProgressBoard(trainer)
        with self._lock:
            # An open quiz question belongs to the step it was asked in: a run moves on, so
            # it is dropped (neither right nor wrong).
            dropped = self.quiz.question is not None
            self.quiz.question = None
        self.events.run_started.emit()
        if dropped:
            self.events.quiz_changed.emit()
        done, reason = 0, "done"
        pace = _Pace()
        try:
            while steps is None or done < steps:
                self._boundary.apply_pending()
                if self._boundary.stop_requested:
                    reason = "stopped"
                    break
                count = pace.chunk if steps is None else min(pace.chunk, steps - done)
                started = time.perf_counter()
                with self._lock:
                    before = trainer.step_count
                    try:
                        ran, halt = self._chunk(count, pace)
                    except TrainingDiverged:
                        done += trainer.step_count - before
                        reason = "diverged"
                        raise
                    done += ran
                pace.adapt(time.perf_counter() - started)
                if halt is not None:
                    reason = halt[0]
                    self.events.halted.emit(halt[1])
                    break
        finally:
            measured = False
            try:
                with self._lock:
                    if done and reason != "diverged":
                        self.doc.evaluate()
                        measured = self._measure_health_at_end(trainer)
                    if done:
                        self._set_dirty(True)
            finally:
                self._boundary.end()  # whatever happened, the next run can begin
            if measured:
                self.events.diagnostics_changed.emit()
            self.events.stepped.emit()
            self.events.file_changed.emit()
            self.events.run_finished.emit(reason)
        return done

    def _measure_health_at_end(self, trainer: Trainer) -> bool:
        """Layer health where a run ended (a short run, or one sent back to a breakpoint's
        step, may have none there): what the window shows after it is current. The last
        step's update is the difference from the parameters one step before, replayed on a
        copy from the history's nearest snapshot."""
        log = self.doc.diagnostics
        step = trainer.step_count
        if log.latest_step == step or step == 0:
            return False
        fresh = lambda: make_trainer(  # noqa: E731
            self.doc.network.copy(), self.doc.require_data(), self.doc.settings
        )
        log.add(step, health_with_last_update(trainer, self.doc.history, fresh))
        return True

    def _chunk(self, count: int, pace: _Pace) -> tuple[int, tuple[str, str] | None]:
        """Run ``count`` steps (fewer to end an epoch when early stopping watches), record
        them, measure what is due. Returns the steps run and, when training should stop
        here, ``(reason, message)`` (the studio is then at the step where it happened)."""
        trainer = self.doc.require_trainer()
        board = self._board
        assert board is not None  # run() made it
        stopper = self._early_stopper()
        if stopper is not None:
            count = min(count, trainer.batches_per_epoch - trainer.batch_index)
        first, epoch = trainer.step_count, trainer.epoch
        now = time.perf_counter()
        health = None
        try:
            if now >= pace.next_health and count > 0:
                trainer.run_steps(count - 1)
                theta = trainer.network.parameters.copy()
                trainer.run_steps(1)
                started = time.perf_counter()
                health = health_of_run(trainer, trainer.network.parameters - theta)
                self.doc.diagnostics.add(trainer.step_count, health)
                pace.measured_health(started, time.perf_counter())
            else:
                trainer.run_steps(count)
        except TrainingDiverged as exc:
            self.doc.history.record(trainer)
            board.publish(trainer)
            self._diverged(exc)
            raise
        self.doc.history.record(trainer)
        board.publish(trainer)
        self._mark_dirty()
        ran = trainer.step_count - first
        evaluated = False
        now = time.perf_counter()
        if now >= pace.next_evaluation:
            self.doc.evaluate()
            pace.evaluated(now, time.perf_counter())
            evaluated = True
        if stopper is not None and trainer.epoch > epoch:
            self._stopper_steps[trainer.epoch] = trainer.step_count
            if stopper.update(trainer.epoch):
                return ran, ("early_stop", self._early_stop(stopper))
        if self._breakpoints:
            accuracy = (
                self.doc.evaluation.train_accuracy if evaluated and self.doc.evaluation else None
            )
            ended = trainer.epoch - epoch  # epochs completed in this chunk
            ends = trainer.epoch_end_steps
            hit, self._held = first_hit(
                self._breakpoints,
                first,
                np.array(trainer.step_losses[first:], dtype=np.float64),
                np.array(ends[len(ends) - ended :], dtype=np.int64),
                epoch,
                health,
                accuracy,
                trainer.step_count,
                previous_loss=trainer.step_losses[first - 1] if first > 0 else None,
                held=self._held,
            )
            if hit is not None:
                if hit.step < trainer.step_count:
                    rewind(trainer, self.doc.history, hit.step)
                    self.doc.history.attach(trainer)
                    board.publish(trainer)
                message = f"Breakpoint: {hit.breakpoint.describe()}: {hit.message}."
                return ran, ("breakpoint", message)
        return ran, None

    def _early_stopper(self) -> EarlyStopping | None:
        """The early-stopping watch of this run, when ``patience`` is set and the data has a
        validation part (made at the first chunk: it measures the weights as they are)."""
        patience = self.doc.settings.patience
        data = self.doc.data
        if patience <= 0 or data is None or not data.has_validation:
            self._stopper = None
            return None
        stopper = self._stopper
        if stopper is None or stopper.patience != patience:
            trainer = self.doc.require_trainer()
            validation = data.validation
            assert validation is not None  # has_validation
            stopper = EarlyStopping(
                self.doc.network,
                validation.X,
                validation.targets_for_loss(self.doc.network.loss_name),
                patience,
            )
            self._stopper = stopper
            self._stopper_steps = {trainer.epoch: trainer.step_count}
            stopper.update(trainer.epoch)
        return stopper

    def _early_stop(self, stopper: EarlyStopping) -> str:
        """Go back to the best epoch (exactly, by the history) and say so."""
        trainer = self.doc.require_trainer()
        best = stopper.best_epoch if stopper.best_epoch is not None else trainer.epoch
        step = self._stopper_steps.get(best, trainer.step_count)
        if step < trainer.step_count:
            rewind(trainer, self.doc.history, step)
            self.doc.history.attach(trainer)
            if self._board is not None:
                self._board.publish(trainer)
        self._stopper = None
        return (
            f"Early stopping: the validation loss has not improved for "
            f"{stopper.patience:,} epoch{'s' if stopper.patience != 1 else ''}; back at epoch "
            f"{best:,} (step {step:,}), where it was lowest: {stopper.best_loss:.4g}. The later "
            "steps stay on the timeline."
        )

    def stop(self) -> None:
        """Ask ``run()`` (working in another thread) to return at the end of its chunk.

        A ``run()`` that begins later is not affected: to stop a run that another thread is
        about to begin, ask until that thread has returned."""
        self._boundary.stop()

    def _pause(self) -> None:
        """Stop a run in another thread and wait until it has returned."""
        try:
            self._boundary.pause()
        except BoundaryError as exc:
            raise StudioError(str(exc)) from None

    def _at_boundary(self, command: Callable[[], T], wait: bool = False) -> T | None:
        """``command`` now, or at the next step boundary of a run in another thread."""
        return self._boundary.call(command, wait)

    # -- editing ------------------------------------------------------------------------------

    def edit_weight(self, layer: int, unit: int, input: int, value: float) -> None:
        """Set ``weight[unit, input]`` of network layer ``layer`` (0-based) at a step
        boundary; recorded and undoable. ``StudioError`` for a bad index or value."""
        network = self.doc.network
        try:
            old = float(network.layers[layer].weight[unit, input])
            value = _finite(value)
        except (IndexError, TypeError, ValueError) as exc:
            raise StudioError(f"the weight was not changed: {exc}") from None
        name = weight_name(layer, unit, input)
        self._at_boundary(
            lambda: self._apply_edit(
                name, old, value, lambda: network.set_weight(layer, unit, input, value)
            )
        )

    def edit_bias(self, layer: int, unit: int, value: float) -> None:
        """Set ``bias[unit]`` of network layer ``layer`` (0-based); as ``edit_weight``."""
        network = self.doc.network
        try:
            bias = network.layers[layer].bias
            if bias is None:
                raise ValueError(f"layer {layer + 1} has no bias")
            old = float(bias[unit])
            value = _finite(value)
        except (IndexError, TypeError, ValueError) as exc:
            raise StudioError(f"the bias was not changed: {exc}") from None
        name = bias_name(layer, unit)
        self._at_boundary(
            lambda: self._apply_edit(name, old, value, lambda: network.set_bias(layer, unit, value))
        )

    def import_weights(self, path: str | os.PathLike) -> None:
        """Copy the weights of a JSON or npz file into the network (every shape must match);
        recorded and undoable. ``StudioError`` names the file and the mismatch."""
        from bp_studio.io.export import WeightFileError, import_weights

        self._pause()
        with self._lock:
            trial = self.doc.network.copy()
            try:
                import_weights(trial, path)
            except (WeightFileError, ValueError, OSError) as exc:
                raise StudioError(f"the weights were not imported: {exc}") from None
            old = self.doc.network.parameters.copy()
            new = trial.parameters.copy()
            self._apply_edit(
                "weights", old, new, lambda: self.doc.network.set_parameters(new), "import weights"
            )

    def _apply_edit(
        self, name: str, old: Any, new: Any, change: Callable[[], None], label: str = ""
    ) -> None:
        self._push_undo(label or f"edit {name}")
        trainer = self.doc.trainer
        pieces = pieces_done(trainer)
        change()
        if trainer is not None:
            trainer.network_changed()
            trainer.last_step = None
            self._change_at_boundary()
            self.doc.changes.append(Change(trainer.step_count, name, old, new))
            self.events.changed.emit(self.doc.changes[-1])
            self._redo_after_change(pieces)
        self.doc.evaluate()
        self._mark_dirty()
        self.events.stepped.emit()

    def reset(self) -> None:
        """New initial weights from the seed: the run starts over. Undo brings the old run
        back (weights, step, history)."""
        self._pause()
        with self._lock:
            self._push_undo("reset")
            self._rebuild()
        self._mark_dirty()
        self._announce_network()

    # -- undo ---------------------------------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        return bool(self._undo.undo_entries)

    @property
    def can_redo(self) -> bool:
        return bool(self._undo.redo_entries)

    @property
    def undo_text(self) -> str:
        """What Undo would undo, e.g. ``reset`` (``""`` if nothing)."""
        return self._undo.undo_text

    @property
    def redo_text(self) -> str:
        return self._undo.redo_text

    def undo(self) -> bool:
        """Undo the last reset, edit, setting, data or architecture change (and any training
        done after it); ``False`` if there is nothing to undo."""
        return self._swap(self._undo.undo_entries, self._undo.redo_entries)

    def redo(self) -> bool:
        """Redo what Undo undid (as it was when undone); ``False`` if nothing."""
        return self._swap(self._undo.redo_entries, self._undo.undo_entries)

    def _swap(self, source: list[UndoEntry], target: list[UndoEntry]) -> bool:
        self._pause()
        with self._lock:
            if not source:
                return False
            entry = source.pop()
            target.append(UndoEntry(entry.label, self.doc.capture(entry.label)))
            old_network = self.doc.network
            self._restore(entry.state)
            self._undo.trim(self.doc.history)
        self._mark_dirty()
        self.events.undo_changed.emit()
        if self.doc.network is not old_network and (
            self.doc.network.sizes != old_network.sizes
            or self.doc.network.activations != old_network.activations
        ):
            self.events.data_changed.emit()
            self._announce_network()
        else:
            self.events.settings_changed.emit(self.doc.settings)
            self.events.stepped.emit()
        return True

    def _push_undo(self, label: str, merge_key: tuple | None = None) -> None:
        if self._undo.merges(merge_key):
            self._undo.redo_entries.clear()
            return  # one entry for a run of changes of the same setting at the same step
        self._undo.push(UndoEntry(label, self.doc.capture(label), merge_key), self.doc.history)
        self.events.undo_changed.emit()

    def _restore(self, state: DocumentState) -> None:
        """Make ``state`` the document (its objects become the live ones)."""
        self.doc.restore(state)
        self._stopper = None
        self.sample = 0
        self.quiz.question = None

    # -- why is it (not) learning ----------------------------------------------------------

    @property
    def diagnostics(self) -> DiagnosticsLog:
        """Layer health over training (``series()``, ``latest``; safe to read while running)."""
        return self.doc.diagnostics

    def health_now(self) -> list[LayerHealth] | None:
        """The layer health at the current step, for a view that follows the timeline: the
        log's measurement taken after exactly this step (unless a change was made at it),
        else computed now on the diagnostics' sample of the training rows with the last
        step's update replayed from the history (``health_with_last_update``), and kept for
        this step, parameters and settings. ``None`` without a trainer or at step 0."""
        with self._lock:
            trainer = self.doc.trainer
            if trainer is None or trainer.step_count == 0:
                return None
            step = trainer.step_count
            log = self.doc.diagnostics
            measured = log.at(step)
            if measured is not None and not any(c.step == step for c in self.doc.changes):
                return measured
            key = (id(trainer), self.doc.settings)
            parameters = trainer.network.parameters
            health = log.computed(step, key, parameters)
            if health is None:
                health = health_with_last_update(
                    trainer,
                    self.doc.history,
                    lambda: make_trainer(
                        self.doc.network.copy(), self.doc.require_data(), self.doc.settings
                    ),
                )
                log.keep_computed(step, key, parameters, health)
            return health

    def distributions(self, rows: int = SAMPLE_ROWS) -> list[LayerDistributions]:
        """Every layer's weights, activations and gradients on ``rows`` training rows spread
        over the data, for histograms (taken between two chunks of a running training)."""

        def take() -> list[LayerDistributions]:
            trainer = self.doc.require_trainer()
            picked = sample_rows(trainer.samples, rows)
            return distributions(
                self.doc.network, trainer.X[picked], trainer.T[picked], trainer.regularization
            )

        layers = self._at_boundary(take, wait=True)
        assert layers is not None  # wait=True returns the result
        return layers

    def check_gradients(self) -> GradientCheck:
        """Backprop's ``∂L/∂w`` of the current step against central finite differences for
        every parameter (a seeded sample of 1,000 for large networks): the step in progress
        once its backward pass is done, else the batch the next step takes."""
        self._pause()
        with self._lock:
            trainer = self.doc.require_trainer()
            progress = trainer.progress
            if progress is not None and progress.backward is not None:
                inputs, targets = progress.inputs, progress.targets
                analytic = progress.backward.gradient
            else:
                copy = make_trainer(
                    self.doc.network.copy(), self.doc.require_data(), self.doc.settings
                )
                copy.set_state(trainer.get_state())
                for _ in range(2 * len(self.doc.network.layers) + 1):
                    copy.next_layer()  # forward, error, backward of the next step
                ahead = copy.progress
                assert ahead is not None and ahead.backward is not None
                inputs, targets, analytic = ahead.inputs, ahead.targets, ahead.backward.gradient
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return check_gradients(
                    self.doc.network,
                    inputs,
                    targets,
                    trainer.regularization,
                    normalized=True,
                    analytic=analytic,
                )

    @property
    def breakpoints(self) -> tuple[Breakpoint, ...]:
        return self._breakpoints

    def set_breakpoints(self, breakpoints: list[Breakpoint] | tuple[Breakpoint, ...]) -> None:
        """The conditions that pause a run by itself (see ``bp_studio.studio.breakpoints``)."""
        points = tuple(breakpoints)
        if not all(isinstance(p, Breakpoint) for p in points):
            raise StudioError("breakpoints must be Breakpoint values")
        self._at_boundary(lambda: setattr(self, "_breakpoints", points))
        self._mark_dirty()

    @property
    def runs(self) -> list[RunCurve]:
        """The kept earlier runs, oldest first (for the compare view of the loss plot)."""
        return list(self.doc.runs.runs)

    def show_run(self, index: int, visible: bool = True) -> None:
        self.doc.runs.show(index, visible)
        self._mark_dirty()
        self.events.runs_changed.emit()

    def delete_run(self, index: int) -> None:
        self.doc.runs.delete(index)
        self._mark_dirty()
        self.events.runs_changed.emit()

    def select(self, selection: Selection | None) -> None:
        """Follow a node, edge or bias in the explanation (``None``: the phase summary)."""
        self.selection = selection
        self.events.view_changed.emit()

    def choose_sample(self, sample: int) -> None:
        """Which sample of the batch the nodes show (0-based)."""
        self.sample = max(0, int(sample))
        self.events.view_changed.emit()

    def choose_row(self, row: int) -> None:
        """Show training row ``row`` (0-based): between steps its forward pass, during a step
        its values if it is in the batch."""
        trainer = self.doc.trainer
        if trainer is None:
            return
        self.row = min(max(0, int(row)), trainer.samples - 1)
        progress = trainer.progress
        if progress is not None:
            where = np.flatnonzero(progress.batch == self.row)
            if where.size:
                self.sample = int(where[0])
        self.events.view_changed.emit()

    def set_precision(self, digits: int) -> None:
        self.precision = int(digits)
        self.events.view_changed.emit()

    def _apply_view(self, view: dict[str, Any]) -> None:
        self.precision = view.get("precision", self.precision)

    # -- internals ----------------------------------------------------------------------------

    def _start_run(self, network: Network, keep_previous: bool = False) -> None:
        """``network`` becomes the document's with a fresh run (``keep_previous``: the run
        that ends goes to the compared runs)."""
        kept = keep_previous and self.doc.keep_run()
        self.doc.new_run(network)
        self._reset_view()
        if kept:
            self.events.runs_changed.emit()

    def _rebuild(self) -> None:
        """A new network from the settings and the data (a new run; the old one is kept)."""
        if self.doc.rebuild():
            self.events.runs_changed.emit()
        self._reset_view()

    def _reset_view(self) -> None:
        self._stopper = None
        self._held = {}
        self.sample = 0
        self.row = 0
        self.selection = None
        self.quiz.question = None

    def _change_at_boundary(self) -> None:
        """After a change between steps: record it (a keyframe, dropping a recorded future)."""
        self.doc.record_change_at_boundary()
        self._stopper = None

    def _redo_after_change(self, pieces: int) -> None:
        self.quiz.question = None  # the pieces are computed anew
        try:
            redo_pieces(self.doc.require_trainer(), pieces)
        except TrainingDiverged as exc:
            self._diverged(exc)

    def _diverged(self, exc: TrainingDiverged) -> None:
        previous = exc.step - 1
        lr = self.doc.trainer.lr if self.doc.trainer is not None else float("nan")
        self.events.diverged.emit(
            f"{exc.what.capitalize()} became {exc.value} at step {exc.step:,}. Lower the "
            f"learning rate (now {lr:g}). The weights are those of step {previous:,}; "
            "training is paused and nothing was lost."
        )

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty

    def _mark_dirty(self) -> None:
        if not self._dirty:
            self._dirty = True
            self.events.file_changed.emit()

    def _announce_network(self) -> None:
        self.events.settings_changed.emit(self.doc.settings)
        self.events.network_changed.emit()
        self.events.stepped.emit()
        self.events.undo_changed.emit()
        self.events.quiz_changed.emit()  # a new run drops an open question

    def _announce_document(self) -> None:
        self.events.document_changed.emit()
        self.events.file_changed.emit()
        self._announce_network()
        self.events.view_changed.emit()


class _Pace:
    """How a run paces itself: chunks of about ``CHUNK_SECONDS``; the evaluation on all the
    data at most ``EVALUATION_SHARE`` of the time and layer health at most
    ``diagnostics.SHARE`` of it (at least 0.25 s and ``MIN_INTERVAL`` apart)."""

    def __init__(self) -> None:
        self.chunk = 1
        now = time.perf_counter()
        self.next_evaluation = now
        self.next_health = now

    def adapt(self, elapsed: float) -> None:
        if elapsed < CHUNK_SECONDS / 2:
            self.chunk = min(self.chunk * 2, 1_000_000)
        elif elapsed > CHUNK_SECONDS * 2 and self.chunk > 1:
            self.chunk = max(1, self.chunk // 2)

    def evaluated(self, started: float, ended: float) -> None:
        self.next_evaluation = ended + max(0.25, (ended - started) / EVALUATION_SHARE)

    def measured_health(self, started: float, ended: float) -> None:
        self.next_health = ended + max(MIN_INTERVAL, (ended - started) / HEALTH_SHARE)


def _words(names: Any) -> str:
    """``the learning rate, the batch size``: settings as the Edit menu names them."""
    return ", ".join(FIELD_WORDS.get(name, name) for name in names)


def _finite(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


__all__ = ["Studio", "StudioError"]
