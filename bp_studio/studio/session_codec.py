"""A studio document to and from a session file (``bp_studio.io.session``, version 2).

The file layer checks the network, the trainer state, the data rows and the history; this
module checks what the studio adds (typed settings, the data spec, the step in progress, the
changes and the evaluations) and turns the whole into a ``DocumentState``. Every problem is a
``StudioError`` that names the file and the field, and nothing is changed by a failed open.
Version 1 files (written by the window before the studio existed) open too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from bp_studio.data.csv_table import DataError
from bp_studio.data.examples import Dataset
from bp_studio.data.source import DataSpec, prepare
from bp_studio.engine import TrainingHistory
from bp_studio.io.session import Session, SessionFileError, load_session, save_session
from bp_studio.studio.breakpoints import breakpoints_from
from bp_studio.studio.changes import Change
from bp_studio.studio.document import DocumentState, make_trainer, pieces_done, settings_for_network
from bp_studio.studio.evaluation import Evaluation, Evaluations
from bp_studio.studio.quiz import Quiz
from bp_studio.studio.runs import RunArchive
from bp_studio.studio.settings import Settings

if TYPE_CHECKING:
    from bp_studio.studio.studio import Studio

_FieldFail = Callable[[str, str], Exception]
"""``fail(field, message)``: the error to raise, naming the file and the field."""


def capture(studio: Studio) -> Session:
    """The studio's document as a ``Session`` (copies; call at a step boundary)."""
    trainer = studio.doc.require_trainer()
    spec = studio.data_spec
    settings = {
        "training": studio.settings.to_dict(),
        "data_spec": spec.to_dict(),
        "view": {"precision": studio.precision},
    }
    rows = studio.rows
    if spec.kind == "rows" and rows is not None:
        data: dict[str, Any] = {
            "rows": {
                "X": rows.X,
                "T": rows.T,
                "input_names": list(rows.input_names),
                "target_names": list(rows.target_names),
                "classes": None if rows.classes is None else list(rows.classes),
            }
        }
    else:
        data = {"generator": "bp-studio.data-spec", "params": spec.to_dict()}
    # a copy of the history: a run in another thread goes on recording into the live one
    session = Session.capture(trainer, settings, data, studio.history.copy())
    evaluations = studio.evaluations
    session.extra = {
        "progress": {"pieces": pieces_done(trainer)},
        "changes": [change.to_dict() for change in studio.changes],
        "evaluations": [
            [
                step,
                _number(e.train_loss),
                _number(e.test_loss),
                e.train_accuracy,
                e.test_accuracy,
                _number(e.validation_loss),
                e.validation_accuracy,
            ]
            for step, e in zip(list(evaluations.steps), list(evaluations.items))
        ],
        "quiz": studio.quiz.to_dict(),
        "breakpoints": [point.to_dict() for point in studio.breakpoints],
        "runs": RunArchive(studio.runs).to_list(),
    }
    return session


def write_session(path: str, session: Session) -> None:
    """Write ``session`` atomically (``bp_studio.io.session.save_session``)."""
    save_session(path, session)


def load_document(path: str) -> tuple[DocumentState, dict[str, Any]]:
    """Read a session file: the document, and its view settings and quiz
    (``{"precision": 4, "quiz": Quiz}``)."""
    from bp_studio.studio.studio import StudioError

    try:
        session = load_session(path)
    except SessionFileError as exc:
        raise StudioError(str(exc)) from None

    def fail(field: str, message: str) -> StudioError:
        return StudioError(f"{path}: {field}: {message}")

    raw = session.settings
    try:
        if "training" in raw:
            settings = Settings.from_dict(raw["training"], "settings.training")
        else:
            settings = Settings.from_dict(raw.get("window", {}), "settings.window")
        spec = DataSpec.from_dict(raw.get("data_spec", {}))
    except (TypeError, ValueError) as exc:
        raise StudioError(f"{path}: {exc}") from None
    view = raw.get("view", {"precision": raw.get("precision", 4)})
    precision = view.get("precision", 4) if isinstance(view, dict) else None
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise fail("settings.view.precision", f"expected 1 to 17 digits, got {precision!r}")

    rows = _rows(session, spec)
    try:
        data = prepare(spec, rows)
    except (DataError, ValueError) as exc:
        raise fail("data", str(exc)) from None
    network = session.network
    state = session.trainer_state
    settings = settings_for_network(settings, network)
    settings = settings.updated(
        optimizer=state.optimizer,
        lr=state.lr,
        batch_size=state.batch_size,
        shuffle=state.shuffle,
        regularization=state.regularization,
        regularization_rate=state.regularization_rate
        if state.regularization != "none"
        else settings.regularization_rate,
    )
    try:
        trainer = make_trainer(network.copy(), data, settings)
        trainer.set_state(state)
    except ValueError as exc:
        raise fail("data", f"the data does not fit the session's network: {exc}") from None

    extra = session.extra
    pieces = _pieces(extra.get("progress"), len(network.layers), fail)
    changes = _changes(extra.get("changes", []), fail)
    evaluations = _evaluations(extra.get("evaluations", []), fail)
    try:
        quiz = Quiz.from_dict(extra.get("quiz", {}))
        breakpoints = breakpoints_from(extra.get("breakpoints", []))
        runs = RunArchive.from_list(extra.get("runs", []))
    except ValueError as exc:
        where, _, message = str(exc).partition(": ")
        raise fail(where, message) from None
    history = session.history if session.history is not None else TrainingHistory()
    if not len(history):
        history.record(trainer)
    latest = evaluations.latest()
    document = DocumentState(
        label="open",
        settings=settings,
        data_spec=spec,
        rows=rows,
        data=data,
        network=network,
        trainer_state=state,
        pieces=pieces,
        history=history,
        evaluations=evaluations,
        evaluation=latest,
        changes=changes,
        runs=runs,
    )
    return document, {"precision": precision, "quiz": quiz, "breakpoints": breakpoints}


def _rows(session: Session, spec: DataSpec) -> Dataset | None:
    if session.data is None or "rows" not in session.data:
        return None
    raw = session.data["rows"]
    X = np.asarray(raw["X"], dtype=np.float64)
    T = np.asarray(raw["T"], dtype=np.float64)
    T = T.reshape(-1, 1) if T.ndim == 1 else T
    default_targets = ["y"] if T.shape[1] == 1 else [f"y{i + 1}" for i in range(T.shape[1])]
    return Dataset(
        spec.name,
        spec.name,
        X,
        T,
        tuple(raw.get("input_names") or [f"x{i + 1}" for i in range(X.shape[1])]),
        tuple(raw.get("target_names") or default_targets),
        classes=None if raw.get("classes") is None else tuple(map(str, raw["classes"])),
        source=spec.name,
    )


def _pieces(value: Any, layers: int, fail: _FieldFail) -> int:
    if value is None:
        return 0
    if not isinstance(value, dict):
        raise fail("progress", "expected an object with pieces")
    pieces = value.get("pieces", 0)
    most = 2 * layers + 1
    if isinstance(pieces, bool) or not isinstance(pieces, int) or not 0 <= pieces <= most:
        raise fail("progress.pieces", f"expected 0 to {most} pieces of work, got {pieces!r}")
    return pieces


def _changes(value: Any, fail: _FieldFail) -> list[Change]:
    if not isinstance(value, list):
        raise fail("changes", "expected a list")
    try:
        return [Change.from_dict(item, f"changes[{i}]") for i, item in enumerate(value)]
    except ValueError as exc:
        where, _, message = str(exc).partition(": ")
        raise fail(where, message) from None


def _evaluations(value: Any, fail: _FieldFail) -> Evaluations:
    if not isinstance(value, list):
        raise fail("evaluations", "expected a list")
    evaluations = Evaluations()
    for index, item in enumerate(value):
        where = f"evaluations[{index}]"
        if not isinstance(item, list) or len(item) not in (5, 7):
            raise fail(
                where,
                "expected [step, train loss, test loss, accuracy, test accuracy, validation "
                "loss, validation accuracy]",
            )
        step, *numbers = item
        numbers += [None] * (6 - len(numbers))
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise fail(f"{where}[0]", f"expected a step number, got {step!r}")
        for position, number in enumerate(numbers, start=1):
            if number is None:
                continue
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise fail(f"{where}[{position}]", f"expected a number, got {number!r}")
        train, test, accuracy, test_accuracy, validation, validation_accuracy = (
            None if n is None else float(n) for n in numbers
        )
        train = math.nan if train is None else train
        evaluations.add(
            step,
            Evaluation(train, test, accuracy, test_accuracy, validation, validation_accuracy),
        )
    return evaluations


def _number(value: float | None) -> float | None:
    """A loss for JSON: ``None`` stays, a non-finite loss (a diverged step) is left out."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
