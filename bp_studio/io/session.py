"""Session files (``*.bpsession``): a whole training session, to close and go on later.

A session file is UTF-8 JSON; floats are written with ``repr`` (exact float64), so training
on from a loaded session gives the same bits as never having closed it::

    {"format": "bp-studio.session", "version": 2,
     "network": {... the network file's object: format, version, loss, layers, ...},
     "trainer": {"optimizer": "adam", "lr": 0.01,
                 "optimizer_state": {"t": 50, "m": [...], "v": [...]},
                 "batch_size": 4, "shuffle": true,
                 "regularization": {"kind": "none", "rate": 0.0}, "seed": 0,
                 "rng_state": {"bit_generator": "PCG64", "state": {"state": 1234..., "inc": ...},
                               "has_uint32": 0, "uinteger": 0},
                 "order": [3, 0, 2, 1] or null, "batch_index": 1,
                 "epoch_loss_sum": 0.52, "epoch_samples": 4,
                 "step_count": 50, "epoch": 12},
     "losses": {"step_losses": [...], "epoch_losses": [...], "epoch_end_steps": [...]},
     "settings": {... free-form, the window's settings ...},
     "data": {"generator": "xor", "params": {"samples": 200, "noise": 0.1, "seed": 0}}
          or {"rows": {"X": [[...], ...], "T": [[...], ...], "input_names": [...],
                       "target_names": [...], "classes": [...]}}
          or null,
     "history": null or {"max_bytes": 268435456,
                         "snapshots": [{"keyframe": false, "state": {... as "trainer",
                                        with "parameters": [...]}}, ...]}}

- ``network``: exactly what ``network_to_dict`` writes (weights, biases, activations, loss,
  normalisation, input names). The trainer's parameters are the network's weights, so
  ``trainer`` has no ``parameters`` field.
- ``trainer``: ``TrainerState.to_dict`` without the loss arrays (see
  ``bp_studio.engine.trainer_state``); ``optimizer_state`` holds ``velocity`` (momentum) or
  ``m`` and ``v`` (adam), one value per parameter, in the order of ``Network.parameters``.
- ``losses``: ``step_losses`` (one per step), ``epoch_losses`` and ``epoch_end_steps`` (one
  per completed epoch).
- ``data``: for a built-in data set its generator's name and parameters; for imported or drawn
  data the rows themselves (``T`` may also be a flat list of class labels); ``input_names``,
  ``target_names`` and ``classes`` are optional lists.
- ``history``: the rewind snapshots (``TrainingHistory``), thinned when saved to
  ``max_snapshot_bytes``; optional.
- version 2 adds optional fields that the studio keeps (``Session.extra``):
  ``"progress": {"pieces": 3}`` (the pieces of work done in the step in progress, redone on
  opening, so a session saved during the Error phase reopens in it), ``"changes"`` (the
  run's setting changes and edits: ``[{"step": 120, "name": "lr", "old": 0.5, "new": 0.1}]``)
  and ``"evaluations"`` (``[[step, train_loss, test_loss, train_accuracy, test_accuracy],
  ...]`` with ``null`` where there is none) and ``"quiz"`` (``{"enabled": true, "kinds":
  ["z", "delta"], "scores": {"z": [3, 4], ...}}``: right and asked per kind),
  ``"breakpoints"`` (``[{"kind": "loss_below", "value": 0.01, "enabled": true}]``) and
  ``"runs"`` (earlier runs' loss curves for comparing: label, step_losses, epoch_end_steps,
  epoch_losses, visible). ``settings`` then holds ``{"training": {...
  bp_studio.studio.Settings ...}, "data_spec": {...}, "view": {"precision": 4}}``; version 1
  files (``{"window": {...}, "data_spec": {...}, "precision": 4}``) still open.

Other top-level fields are ignored, so version 1 files may gain optional fields. Loading never
executes anything, refuses files larger than ``MAX_BYTES`` before reading them, and checks
every field: ``SessionFileError`` names the file and the field for a damaged, truncated,
foreign or newer-version file.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bp_studio.engine.history import DEFAULT_MAX_BYTES, TrainingHistory
from bp_studio.engine.network import Network
from bp_studio.engine.trainer import Trainer, prepare_targets
from bp_studio.engine.trainer_state import TrainerState
from bp_studio.io.atomic import atomic_write_text
from bp_studio.io.capped import CappedReadError, read_capped

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "SUFFIX",
    "VERSION",
    "EXTRA_FIELDS",
    "Session",
    "SessionFileError",
    "load_session",
    "save_session",
    "session_from_json",
    "session_to_json",
]

FORMAT = "bp-studio.session"
VERSION = 2
"""Version 2 adds the optional top-level fields of ``EXTRA_FIELDS``; version 1 files open."""
EXTRA_FIELDS = ("progress", "changes", "evaluations", "quiz", "breakpoints", "runs")
"""Optional top-level fields an application keeps with the session (``Session.extra``): the
studio stores the step in progress, the run's changes and its evaluations there."""
SUFFIX = ".bpsession"
MAX_BYTES = 512 * 1024 * 1024
"""Session files larger than this are refused before being read."""
DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024
"""The default budget (in memory bytes, see ``TrainingHistory.nbytes``) of the snapshots
written to a session file; their JSON text is about 2.5 times as large."""


class SessionFileError(ValueError):
    """A session file cannot be used; the message names the file and the field.

    ``path`` is the file and ``field`` the first bad field (``""`` for the file as a whole).
    """

    def __init__(self, message: str, path: str = "", field: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.field = field


@dataclass
class Session:
    """A whole training session.

    - ``network``: the network (weights, activations, loss, normalisation, input names);
    - ``trainer_state``: the trainer's ``TrainerState`` with its loss arrays
      (``step_losses``, ``epoch_losses``, ``epoch_end_steps``); its parameters are the
      network's;
    - ``settings``: free-form JSON-ready dict (the window's settings);
    - ``data``: the data description (see the module docstring) or ``None``; after loading,
      ``data["rows"]["X"]`` and ``["T"]`` are float64 numpy arrays;
    - ``history``: the rewind snapshots, or ``None``.
    """

    network: Network
    trainer_state: TrainerState
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    history: TrainingHistory | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """JSON-ready values of the optional fields ``EXTRA_FIELDS`` (checked by their owner)."""

    @classmethod
    def capture(
        cls,
        trainer: Trainer,
        settings: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        history: TrainingHistory | None = None,
    ) -> Session:
        """The session of ``trainer`` now (the network is copied, the state taken)."""
        return cls(
            network=trainer.network.copy(),
            trainer_state=trainer.get_state(include_losses=True),
            settings=dict(settings or {}),
            data=data,
            history=history,
        )

    @property
    def step_count(self) -> int:
        return self.trainer_state.step_count

    @property
    def epoch(self) -> int:
        return self.trainer_state.epoch

    @property
    def step_losses(self) -> np.ndarray:
        return self.trainer_state.step_losses

    @property
    def epoch_losses(self) -> np.ndarray:
        return self.trainer_state.epoch_losses

    @property
    def epoch_end_steps(self) -> np.ndarray:
        return self.trainer_state.epoch_end_steps

    def make_trainer(self, X: np.ndarray | None = None, T: np.ndarray | None = None) -> Trainer:
        """A trainer on ``network`` in exactly ``trainer_state``, ready to go on.

        ``X`` and ``T`` default to the rows in ``data`` (required for generated data: make
        them with the generator and its parameters). The history, if any, is attached to the
        new trainer so that recording and rewinding go on. ``ValueError`` if they do not fit.
        """
        if X is None or T is None:
            rows = (self.data or {}).get("rows")
            if rows is None:
                raise ValueError("the session's data has no rows: pass X and T")
            X, T = rows["X"], rows["T"]
        state = self.trainer_state
        trainer = Trainer(
            self.network,
            X,
            T,
            lr=state.lr,
            batch_size=state.batch_size,
            shuffle=state.shuffle,
            optimizer=state.optimizer,
            seed=state.seed,
        )
        trainer.set_state(state)
        if self.history is not None:
            self.history.attach(trainer)
        return trainer


# -- saving -----------------------------------------------------------------------------------


def save_session(
    path: str | os.PathLike,
    session: Session,
    *,
    max_snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES,
) -> None:
    """Write ``session`` to ``path`` atomically (an interrupted save keeps the old file).

    The history's snapshots are thinned to ``max_snapshot_bytes`` first (``0`` writes none).
    ``ValueError`` if the settings or data are not JSON-ready or the state does not fit the
    network; ``AtomicWriteError`` if the file cannot be written.
    """
    atomic_write_text(path, session_to_json(session, max_snapshot_bytes=max_snapshot_bytes))


def session_to_json(session: Session, *, max_snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES) -> str:
    """The session file's text: one top-level field per line (one line per snapshot)."""
    from bp_studio.io.network_file import network_to_dict

    network = session.network
    state = session.trainer_state
    if not state.has_losses:
        raise ValueError("the session's trainer state needs its loss arrays (get_state())")
    state.check("trainer_state")
    parameters = np.asarray(state.parameters, dtype=np.float64)
    if parameters.shape != network.parameters.shape or not np.array_equal(
        parameters.view(np.uint64), network.parameters.view(np.uint64)
    ):
        raise ValueError("the trainer state's parameters are not the network's weights")
    trainer = state.to_dict(include_losses=False)
    del trainer["parameters"]
    losses = {
        "step_losses": _floats(state.step_losses),
        "epoch_losses": _floats(state.epoch_losses),
        "epoch_end_steps": [int(s) for s in np.asarray(state.epoch_end_steps).tolist()],
    }
    settings = session.settings if session.settings is not None else {}
    if not isinstance(settings, dict):
        raise ValueError("settings must be a dict")
    fields: list[tuple[str, str]] = [
        ("format", _dump(FORMAT, "format")),
        ("version", _dump(VERSION, "version")),
        ("network", _dump(network_to_dict(network), "network")),
        ("trainer", _dump(trainer, "trainer")),
        ("losses", _dump(losses, "losses")),
        ("settings", _dump(settings, "settings")),
        ("data", _dump(_data_to_json(session.data), "data")),
    ]
    for key, value in (session.extra or {}).items():
        if key not in EXTRA_FIELDS:
            raise ValueError(f"extra.{key}: not a session field (known: {', '.join(EXTRA_FIELDS)})")
        fields.append((key, _dump(value, key)))
    history = session.history
    if history is None or max_snapshot_bytes <= 0 or len(history) == 0:
        fields.append(("history", "null"))
    else:
        kept = (
            history.thinned(max_snapshot_bytes) if history.nbytes > max_snapshot_bytes else history
        )
        keyframes = set(kept.keyframe_steps)
        lines = [
            _dump(
                {"keyframe": s.step_count in keyframes, "state": s.to_dict(include_losses=False)},
                "history",
            )
            for s in kept.snapshots()
        ]
        body = ",\n  ".join(lines)
        fields.append(
            (
                "history",
                f'{{"max_bytes": {int(history.max_bytes)}, "snapshots": [\n  {body}]}}',
            )
        )
    return "{\n" + ",\n".join(f"{json.dumps(k)}: {v}" for k, v in fields) + "\n}\n"


def _dump(value: Any, where: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(", ", ": "))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot be written as JSON ({exc})") from None


def _floats(values: Any) -> list[float]:
    return np.asarray(values, dtype=np.float64).reshape(-1).tolist()


def _data_to_json(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("data must be a dict or None")
    out = dict(data)
    rows = out.get("rows")
    if isinstance(rows, dict):
        rows = dict(rows)
        for key in ("X", "T"):
            if isinstance(rows.get(key), np.ndarray):
                rows[key] = rows[key].tolist()
        for key in ("input_names", "target_names", "classes"):
            if isinstance(rows.get(key), (tuple, np.ndarray)):
                rows[key] = list(np.asarray(rows[key]).tolist())
        out["rows"] = rows
    _check_data(_reparse(out), "data", lambda field, message: ValueError(f"{field}: {message}"))
    return out


def _reparse(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data: cannot be written as JSON ({exc})") from None


# -- loading ----------------------------------------------------------------------------------


def load_session(path: str | os.PathLike) -> Session:
    """Read and validate a session file; ``SessionFileError`` names the file and field."""
    name = os.fspath(path)
    try:
        raw = read_capped(name, MAX_BYTES, "a session file")
    except CappedReadError as exc:
        raise SessionFileError(str(exc), name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionFileError(f"{name}: not a session file (not UTF-8 text)", name) from None
    return session_from_json(text, name)


class _NonFinite(ValueError):
    pass


def _reject_constant(word: str) -> float:
    raise _NonFinite(f"{word} is not a finite number")


def session_from_json(text: str, source: str = "session file") -> Session:
    """Parse and validate session-file text; ``source`` names it in messages."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except _NonFinite as exc:
        raise SessionFileError(
            f"{source}: {exc} (session files hold finite numbers only)", source
        ) from None
    except RecursionError:
        raise SessionFileError(
            f"{source}: not a session file (nested too deeply)", source
        ) from None
    except ValueError as exc:
        raise SessionFileError(
            f"{source}: not a session file (not JSON, or truncated: {exc})", source
        ) from None
    return session_from_dict(data, source)


def session_from_dict(data: Any, source: str = "session file") -> Session:
    """Validate a decoded session file and build the ``Session``."""

    def fail(where: str, message: str) -> SessionFileError:
        prefix = f"{source}: {where}: " if where else f"{source}: "
        return SessionFileError(prefix + message, source, where)

    if not isinstance(data, dict):
        raise fail("", f"not a BP Studio session file (expected a JSON object, format {FORMAT!r})")
    if data.get("format") != FORMAT:
        raise fail(
            "format",
            f"not a BP Studio session file (format is {data.get('format')!r}, expected {FORMAT!r})",
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail("version", f"expected a whole number, got {version!r}")
    if version > VERSION:
        raise fail(
            "version",
            f"version {version} is newer than this BP Studio reads (version {VERSION}); "
            "update BP Studio to open it",
        )
    for key in ("network", "trainer", "losses", "settings", "data", "history"):
        if key not in data:
            raise fail(key, "missing")

    network = _load_network(data["network"], source, fail)
    parameters = network.parameters.copy()
    size = parameters.size

    trainer = data["trainer"]
    if not isinstance(trainer, dict):
        raise fail("trainer", "expected an object")
    losses = data["losses"]
    if not isinstance(losses, dict):
        raise fail("losses", "expected an object with step_losses, epoch_losses, epoch_end_steps")
    for key in ("step_losses", "epoch_losses", "epoch_end_steps"):
        if key not in losses:
            raise fail(f"losses.{key}", "missing")
    if "parameters" in trainer:
        raise fail("trainer.parameters", "unexpected: the parameters are the network's")
    merged = dict(trainer)
    merged.update({k: losses[k] for k in ("step_losses", "epoch_losses", "epoch_end_steps")})
    try:
        state = TrainerState.from_dict(merged, "trainer", parameters=parameters)
    except ValueError as exc:
        raise _state_error(exc, source, "trainer") from None

    settings = data["settings"]
    if not isinstance(settings, dict):
        raise fail("settings", "expected an object")

    session_data = data["data"]
    samples = None
    if session_data is not None:
        session_data = _check_data(session_data, "data", fail)
        rows = session_data.get("rows")
        if rows is not None:
            _check_rows_fit(network, state, rows, fail)
            samples = rows["X"].shape[0]

    history = None
    if data["history"] is not None:
        history = _load_history(data["history"], size, samples, source, fail)

    extra = {key: data[key] for key in EXTRA_FIELDS if key in data}
    return Session(network, state, settings, session_data, history, extra)


def _load_network(value: Any, source: str, fail) -> Network:
    from bp_studio.io.network_file import network_from_dict

    if not isinstance(value, dict):
        raise fail("network", "expected an object (a network file's content)")
    try:
        return network_from_dict(value, f"{source}: network")
    except ValueError as exc:
        raise SessionFileError(str(exc), source, "network") from None
    except RecursionError:
        raise fail("network", "nested too deeply") from None


def _state_error(exc: ValueError, source: str, default_field: str) -> SessionFileError:
    message = str(exc)
    where = message.split(":", 1)[0] if ":" in message else default_field
    where = where if " " not in where else default_field
    if where.startswith("trainer.") and where.split(".", 1)[1].split(".")[0] in (
        "step_losses",
        "epoch_losses",
        "epoch_end_steps",
    ):
        message = "losses." + message[len("trainer.") :]
        where = "losses." + where[len("trainer.") :]
    return SessionFileError(f"{source}: {message}", source, where)


def _check_rows_fit(network: Network, state: TrainerState, rows: dict, fail) -> None:
    X, T = rows["X"], rows["T"]
    try:
        X = network.check_inputs(X, "data.rows.X")
    except ValueError as exc:
        raise fail("data.rows.X", str(exc).removeprefix("data.rows.X ")) from None
    try:
        prepare_targets(network, T, X.shape[0])
    except ValueError as exc:
        raise fail("data.rows.T", str(exc)) from None
    try:
        state.check_fits(X.shape[0], "trainer")
    except ValueError as exc:
        message = str(exc)
        raise fail(message.split(":", 1)[0], message.split(":", 1)[1].strip()) from None


def _load_history(value: Any, size: int, samples: int | None, source: str, fail) -> TrainingHistory:
    if not isinstance(value, dict):
        raise fail("history", "expected an object with max_bytes and snapshots, or null")
    max_bytes = value.get("max_bytes", DEFAULT_MAX_BYTES)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise fail("history.max_bytes", f"expected a whole number of bytes, got {max_bytes!r}")
    snapshots = value.get("snapshots")
    if not isinstance(snapshots, list):
        raise fail("history.snapshots", "expected a list")
    states, keyframes = [], []
    for index, item in enumerate(snapshots):
        where = f"history.snapshots[{index}]"
        if not isinstance(item, dict):
            raise fail(where, "expected an object with keyframe and state")
        keyframe = item.get("keyframe", False)
        if not isinstance(keyframe, bool):
            raise fail(f"{where}.keyframe", "expected true or false")
        try:
            snapshot = TrainerState.from_dict(item.get("state"), f"{where}.state")
        except ValueError as exc:
            raise _state_error(exc, source, f"{where}.state") from None
        if snapshot.has_losses:
            raise fail(f"{where}.state", "a snapshot holds no loss arrays")
        if snapshot.parameters.size != size:
            raise fail(
                f"{where}.state.parameters",
                f"has {snapshot.parameters.size} values, the network has {size} parameters",
            )
        if samples is not None:
            try:
                snapshot.check_fits(samples, f"{where}.state")
            except ValueError as exc:
                raise _state_error(exc, source, f"{where}.state") from None
        states.append(snapshot)
        keyframes.append(keyframe)
    try:
        return TrainingHistory.from_states(states, keyframes, max_bytes)
    except ValueError as exc:
        where, _, message = str(exc).partition(": ")
        raise fail("history." + where, message) from None


def _check_data(value: Any, where: str, fail) -> dict[str, Any]:
    """Validate a data description; rows become float64 arrays. ``fail(field, message)``."""
    if not isinstance(value, dict):
        raise fail(where, "expected an object with generator and params, or rows")
    has_generator, has_rows = "generator" in value, "rows" in value
    if has_generator == has_rows:
        raise fail(where, "expected either generator (with params) or rows")
    out = dict(value)
    if has_generator:
        if not isinstance(value["generator"], str) or not value["generator"]:
            raise fail(f"{where}.generator", "expected a name")
        params = value.get("params", {})
        if not isinstance(params, dict):
            raise fail(f"{where}.params", "expected an object")
        return out
    rows = value["rows"]
    if not isinstance(rows, dict):
        raise fail(f"{where}.rows", "expected an object with X and T")
    for key in ("X", "T"):
        if key not in rows:
            raise fail(f"{where}.rows.{key}", "missing")
    X = _table(rows["X"], f"{where}.rows.X", fail, allow_flat=False)
    T = _table(rows["T"], f"{where}.rows.T", fail, allow_flat=True)
    if T.shape[0] != X.shape[0]:
        raise fail(f"{where}.rows.T", f"has {T.shape[0]} rows, X has {X.shape[0]}")
    checked = dict(rows)
    checked["X"], checked["T"] = X, T
    for key, width in (("input_names", X.shape[1]), ("target_names", None), ("classes", None)):
        if key not in rows or rows[key] is None:
            continue
        names = rows[key]
        if not isinstance(names, list):
            raise fail(f"{where}.rows.{key}", "expected a list")
        for index, item in enumerate(names):
            ok = isinstance(item, str) or (
                key == "classes"
                and isinstance(item, (int, float))
                and not isinstance(item, bool)
                and math.isfinite(item)
            )
            if not ok:
                raise fail(f"{where}.rows.{key}[{index}]", "expected text")
        if width is not None and len(names) != width:
            raise fail(f"{where}.rows.{key}", f"has {len(names)} names, X has {width} columns")
    out["rows"] = checked
    return out


def _table(value: Any, where: str, fail, allow_flat: bool) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise fail(where, "expected a non-empty list of rows")
    if allow_flat and all(not isinstance(v, list) for v in value):
        return _numbers(value, where, fail)
    width = None
    for index, row in enumerate(value):
        if not isinstance(row, list) or not row:
            raise fail(f"{where}[{index}]", "expected a non-empty list of numbers")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise fail(f"{where}[{index}]", f"has {len(row)} values, row 0 has {width}")
    flat = [item for row in value for item in row]
    return _numbers(flat, where, fail).reshape(len(value), width)


def _numbers(values: list, where: str, fail) -> np.ndarray:
    for index, item in enumerate(values):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise fail(where, f"value {index + 1} is not a number")
    try:
        array = np.array(values, dtype=np.float64)
    except OverflowError:
        raise fail(where, "a number is too large") from None
    if not np.all(np.isfinite(array)):
        raise fail(where, "holds a value that is not a finite number")
    return array
