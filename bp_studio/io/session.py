"""Session files (``*.bpsession``): a whole training session, to close and go on later.

A session file is UTF-8 JSON. Its long float64 and int64 vectors are stored as encoded
arrays (``bp_studio.io.json_arrays``: ``{"dtype": "<f8", "shape": [50], "base64": "..."}``,
the little-endian bytes in base64), so every bit is kept and training on from a loaded
session gives the same bits as never having closed it; the other numbers are JSON numbers
written with ``repr`` (exact too)::

    {"format": "bp-studio.session", "version": 2,
     "network": {... the network file's object: format, version, loss, layers, ...},
     "trainer": {"optimizer": "adam", "lr": 0.01,
                 "optimizer_state": {"t": 50, "m": ARRAY, "v": ARRAY},
                 "batch_size": 4, "shuffle": true,
                 "regularization": {"kind": "none", "rate": 0.0}, "seed": 0,
                 "rng_state": {"bit_generator": "PCG64", "state": {"state": 1234..., "inc": ...},
                               "has_uint32": 0, "uinteger": 0},
                 "order": ARRAY (int) or null, "batch_index": 1,
                 "epoch_loss_sum": 0.52, "epoch_samples": 4,
                 "step_count": 50, "epoch": 12},
     "losses": {"step_losses": ARRAY, "epoch_losses": ARRAY, "epoch_end_steps": ARRAY (int)},
     "settings": {... free-form, the window's settings ...},
     "data": {"generator": "xor", "params": {"samples": 200, "noise": 0.1, "seed": 0}}
          or {"rows": {"X": ARRAY (2-D), "T": ARRAY (2-D, or 1-D class labels),
                       "input_names": [...], "target_names": [...], "classes": [...]}}
          or null,
     "history": null or {"max_bytes": 268435456,
                         "snapshots": [{"keyframe": false, "state": {... as "trainer",
                                        with "parameters": ARRAY}}, ...]}}

- ``network``: exactly what ``network_to_dict`` writes (weights, biases, activations, loss,
  normalisation, input names), readable as a network file. The trainer's parameters are the
  network's weights, so ``trainer`` has no ``parameters`` field.
- ``trainer``: ``TrainerState.to_dict`` without the loss arrays (see
  ``bp_studio.engine.trainer_state``); ``optimizer_state`` holds ``velocity`` (momentum) or
  ``m`` and ``v`` (adam), one value per parameter, in the order of ``Network.parameters``.
- ``losses``: ``step_losses`` (one per step), ``epoch_losses`` and ``epoch_end_steps`` (one
  per completed epoch).
- ``data``: for a built-in data set its generator's name and parameters; for imported or drawn
  data the rows themselves; ``input_names``, ``target_names`` and ``classes`` are optional
  lists.
- ``history``: the rewind snapshots (``TrainingHistory``), thinned when saved to
  ``max_snapshot_bytes``; optional. A snapshot's ``order`` is written with the first snapshot
  of its epoch; the next ones say ``"previous"`` (the order of the snapshot before).
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

Files written before the encoded arrays (version 1, and version 2 until then) hold every
vector as a JSON list of numbers, which is read as well: each ARRAY above may be a list
(``T`` a flat list of class labels or a list of rows), and a snapshot may repeat its order.

Other top-level fields are ignored, so version 1 files may gain optional fields. Loading never
executes anything, refuses files larger than ``MAX_BYTES`` before reading them, and checks
every field: ``SessionFileError`` names the file and the field for a damaged, truncated,
foreign or newer-version file.

Memory: reading takes at most about ``MEMORY_RATIO`` (5) times the file's size above what the
process held (``scripts/bench.py``, section ``session``, measures it): the fields are read one
at a time and the snapshots one by one, each stored compactly before the next is read, and an
encoded array is decoded straight from its text. A file in the list layout whose numbers
would take more than that as Python objects is refused before it is parsed, with its size
and the memory it would need (``reading_memory``). Writing produces the text a snapshot or a
piece of an array at a time, straight into the file.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bp_studio.engine.history import DEFAULT_MAX_BYTES, TrainingHistory
from bp_studio.engine.network import Network
from bp_studio.engine.trainer import Trainer, prepare_targets
from bp_studio.engine.trainer_state import TrainerState
from bp_studio.io.atomic import atomic_write_chunks
from bp_studio.io.capped import CappedReadError, read_capped, size_over_cap, size_text
from bp_studio.io.json_arrays import array_chunks, decode_array, is_encoded_array
from bp_studio.io.json_stream import JsonStream

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "SUFFIX",
    "VERSION",
    "EXTRA_FIELDS",
    "Session",
    "SessionFileError",
    "MEMORY_RATIO",
    "load_session",
    "reading_memory",
    "save_session",
    "session_chunks",
    "session_from_dict",
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
written to a session file; their text is about 1.4 times as large for a mid-sized network
(4/3 for the vectors, plus each snapshot's counters and generator state)."""
MEMORY_RATIO = 5.0
"""Reading a session file may take about this many times its size in memory, above what the
process held before."""
MIN_MEMORY_BUDGET = MAX_BYTES
"""A file whose reading needs less memory than this (the largest file's size) is never
refused for its memory: a small list-layout file of short numbers opens even when it takes
more than ``MEMORY_RATIO`` times its size."""
TEXT_NUMBER_BYTES = 40
"""Bytes a number written as text takes while a list-layout file is read: a Python float
(24) and its slot in a list (8), and its share of the array it becomes (8)."""
PREVIOUS_ORDER = "previous"
"""A history snapshot's ``order`` when it is the order of the snapshot before."""
_FieldFail = Callable[[str, str], Exception]
"""``fail(field, message)``: the error to raise, naming the file and the field."""


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
    def step_losses(self) -> np.ndarray | None:
        return self.trainer_state.step_losses

    @property
    def epoch_losses(self) -> np.ndarray | None:
        return self.trainer_state.epoch_losses

    @property
    def epoch_end_steps(self) -> np.ndarray | None:
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
    The text is written as it is made, a snapshot or a piece of an array at a time, so
    saving needs little memory beyond the session's own. ``ValueError`` (before anything is
    written) if the settings or data are not JSON-ready or the state does not fit the
    network; ``AtomicWriteError`` if the file cannot be written.
    """
    chunks = session_chunks(session, max_snapshot_bytes=max_snapshot_bytes)
    atomic_write_chunks(path, (chunk.encode("utf-8") for chunk in chunks))


def session_to_json(session: Session, *, max_snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES) -> str:
    """The session file's text: one top-level field per line (one line per snapshot)."""
    return "".join(session_chunks(session, max_snapshot_bytes=max_snapshot_bytes))


def session_chunks(
    session: Session, *, max_snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES
) -> Iterator[str]:
    """The session file's text in pieces (joined, ``session_to_json``).

    Everything but the history's snapshots (which the engine made) is checked now, so a
    ``ValueError`` comes before the first piece; the pieces are made as they are taken.
    """
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
    trainer = state.to_dict(include_losses=False, arrays=True)
    del trainer["parameters"]
    losses = {
        "step_losses": state.step_losses,
        "epoch_losses": state.epoch_losses,
        "epoch_end_steps": state.epoch_end_steps,
    }
    settings = session.settings if session.settings is not None else {}
    if not isinstance(settings, dict):
        raise ValueError("settings must be a dict")
    fields: list[tuple[str, Any]] = [
        ("format", _dump(FORMAT, "format")),
        ("version", _dump(VERSION, "version")),
        ("network", _dump(network_to_dict(network), "network")),
        ("trainer", _checked_tree(trainer, "trainer")),
        ("losses", _checked_tree(losses, "losses")),
        ("settings", _dump(settings, "settings")),
        ("data", _checked_tree(_data_to_json(session.data), "data")),
    ]
    for key, value in (session.extra or {}).items():
        if key not in EXTRA_FIELDS:
            raise ValueError(f"extra.{key}: not a session field (known: {', '.join(EXTRA_FIELDS)})")
        fields.append((key, _dump(value, key)))
    history = session.history
    if history is None or max_snapshot_bytes <= 0 or len(history) == 0:
        fields.append(("history", "null"))
    else:
        # Taken now (a copy shares the snapshots): a run may go on recording while we write.
        kept = (
            history.thinned(max_snapshot_bytes)
            if history.nbytes > max_snapshot_bytes
            else history.copy()
        )
        fields.append(("history", _history_chunks(kept, history.max_bytes)))
    return _document_chunks(fields)


def _document_chunks(fields: list[tuple[str, Any]]) -> Iterator[str]:
    yield "{\n"
    for index, (key, value) in enumerate(fields):
        yield ("" if index == 0 else ",\n") + json.dumps(key) + ": "
        if isinstance(value, str):
            yield value
        elif isinstance(value, _Checked):
            yield from _tree_chunks(value.tree, value.where)
        else:
            yield from value
    yield "\n}\n"


def _history_chunks(kept: TrainingHistory, max_bytes: int) -> Iterator[str]:
    """``{"max_bytes": ..., "snapshots": [...]}`` of the snapshots ``kept``, one a line; an
    epoch's order is written with its first snapshot and ``"previous"`` after that."""
    yield f'{{"max_bytes": {int(max_bytes)}, "snapshots": ['
    previous_order: np.ndarray | None = None
    for index, (state, keyframe) in enumerate(kept.iter_snapshots()):
        where = f"history.snapshots[{index}].state"
        tree = state.to_dict(include_losses=False, arrays=True)
        order = state.order
        if order is not None and previous_order is not None:
            if order.shape == previous_order.shape and np.array_equal(order, previous_order):
                tree["order"] = PREVIOUS_ORDER
        previous_order = order
        yield ("\n  " if index == 0 else ",\n  ") + '{"keyframe": '
        yield ("true" if keyframe else "false") + ', "state": '
        yield from _tree_chunks(tree, where)
        yield "}"
    yield "]}"


@dataclass(frozen=True)
class _Checked:
    """A JSON-ready tree whose numpy arrays are written in binary (checked when made)."""

    tree: Any
    where: str


def _checked_tree(tree: Any, where: str) -> _Checked:
    """``tree`` checked for writing: its arrays hold finite numbers only, and the rest is
    JSON-ready (names are text). ``ValueError`` naming the field if not."""

    def without_arrays(value: Any, path: str) -> Any:
        if isinstance(value, np.ndarray):
            _check_array(value, path)
            return None
        if isinstance(value, dict) and _has_array(value):
            for key in value:
                if not isinstance(key, str):
                    raise ValueError(f"{path}: names must be text, got {key!r}")
            return {key: without_arrays(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, (list, tuple)) and _has_array(value):
            return [without_arrays(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    _dump(without_arrays(tree, where), where)
    return _Checked(tree, where)


def _check_array(array: np.ndarray, where: str) -> None:
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{where}: cannot be written as JSON (an array of {array.dtype})")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{where}: holds a value that is not a finite number")


def _has_array(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, dict):
        return any(_has_array(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_array(item) for item in value)
    return False


_ARRAY_MARK = "\x00array\x00"
_ARRAY_MARK_TEXT = json.dumps(_ARRAY_MARK)


def _tree_chunks(value: Any, where: str) -> Iterator[str]:
    """The JSON text of ``value`` in pieces; numpy arrays as encoded arrays (``json_arrays``).

    The rest is written by one ``json.dumps`` with a mark in each array's place (a snapshot
    is one call, not one per field); should a string of the tree be the mark itself, the
    tree is written field by field instead.
    """
    arrays: list[tuple[np.ndarray, str]] = []

    def marked(item: Any, path: str) -> Any:
        if isinstance(item, np.ndarray):
            arrays.append((item, path))
            return _ARRAY_MARK
        if isinstance(item, dict):
            return {key: marked(child, f"{path}.{key}") for key, child in item.items()}
        if isinstance(item, (list, tuple)):
            return [marked(child, f"{path}[{i}]") for i, child in enumerate(item)]
        return item

    parts = _dump(marked(value, where), where).split(_ARRAY_MARK_TEXT)
    if len(parts) != len(arrays) + 1:
        yield from _tree_chunks_by_field(value, where)
        return
    yield parts[0]
    for (array, path), part in zip(arrays, parts[1:]):
        _check_array(array, path)
        yield from array_chunks(array)
        yield part


def _tree_chunks_by_field(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, np.ndarray):
        _check_array(value, where)
        yield from array_chunks(value)
    elif isinstance(value, dict) and _has_array(value):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("" if index == 0 else ", ") + json.dumps(key) + ": "
            yield from _tree_chunks_by_field(item, f"{where}.{key}")
        yield "}"
    elif isinstance(value, (list, tuple)) and _has_array(value):
        yield "["
        for index, item in enumerate(value):
            yield "" if index == 0 else ", "
            yield from _tree_chunks_by_field(item, f"{where}[{index}]")
        yield "]"
    else:
        yield _dump(value, where)


def _dump(value: Any, where: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(", ", ": "))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot be written as JSON ({exc})") from None


def _data_to_json(data: dict[str, Any] | None) -> Any:
    """The data description to write: checked, with the rows as float64 arrays."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("data must be a dict or None")
    out = dict(data)
    rows = out.get("rows")
    arrays: dict[str, np.ndarray] = {}
    if isinstance(rows, dict):
        rows = dict(rows)
        for key in ("X", "T"):
            if isinstance(rows.get(key), np.ndarray):
                arrays[key] = rows.pop(key)
        for key in ("input_names", "target_names", "classes"):
            if isinstance(rows.get(key), (tuple, np.ndarray)):
                rows[key] = list(np.asarray(rows[key]).tolist())
        out["rows"] = rows
    plain = _reparse(out)
    if arrays:
        plain["rows"].update(arrays)

    def fail(where: str, message: str) -> ValueError:
        return ValueError(f"{where}: {message}")

    checked = _check_data(plain, "data", fail)
    if "rows" in checked:
        rows = {key: checked["rows"][key] for key in data["rows"] if key in checked["rows"]}
        checked["rows"] = rows
    return checked


def _reparse(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data: cannot be written as JSON ({exc})") from None


# -- loading ----------------------------------------------------------------------------------


def load_session(path: str | os.PathLike) -> Session:
    """Read and validate a session file; ``SessionFileError`` names the file and field.

    Refuses, before parsing, a file whose numbers written as text would need more memory
    than ``MEMORY_RATIO`` times its size (see ``reading_memory``).
    """
    name = os.fspath(path)
    return session_from_json(_read_text(name), name)


def _read_text(name: str) -> str:
    try:
        raw = read_capped(name, MAX_BYTES, "a session file")
    except CappedReadError as exc:
        raise SessionFileError(str(exc), name) from None
    size, commas = len(raw), raw.count(b",")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionFileError(f"{name}: not a session file (not UTF-8 text)", name) from None
    del raw
    need, budget = reading_memory(size, sys.getsizeof(text), commas)
    if need > budget:
        need_shown, budget_shown = size_over_cap(need, budget)
        raise SessionFileError(
            f"{name}: not opened: this {size_text(size)} file holds about {commas + 1:,} "
            "numbers written as text (the layout of earlier BP Studio versions); reading them "
            f"would take about {need_shown} of memory, more than the {budget_shown} "
            f"({MEMORY_RATIO:g} times the file's size) a session may take",
            name,
        )
    return text


def reading_memory(size: int, text_bytes: int, commas: int) -> tuple[int, int]:
    """``(need, budget)``: about how many bytes parsing a session file of ``size`` bytes
    takes above what the process held, and how many it may take.

    ``need`` counts its text (``text_bytes`` in memory) and ``TEXT_NUMBER_BYTES`` per value
    separated by a comma: a number of a list-layout file becomes a Python float in a list
    before it becomes an array, while an encoded array has no commas. ``budget`` is
    ``MEMORY_RATIO`` times ``size``, and never less than ``MIN_MEMORY_BUDGET``.
    """
    need = text_bytes + TEXT_NUMBER_BYTES * commas
    return need, max(int(MEMORY_RATIO * size), MIN_MEMORY_BUDGET)


class _NonFinite(ValueError):
    pass


def _reject_constant(word: str) -> float:
    raise _NonFinite(f"{word} is not a finite number")


def session_from_json(text: str, source: str = "session file") -> Session:
    """Parse and validate session-file text; ``source`` names it in messages.

    The top-level fields are read one at a time and the history's snapshots one by one,
    each stored compactly before the next is read (``JsonStream``).
    """
    reader = _Reader(text, source)
    if reader.peek() != "{":
        value = reader.value()
        reader.end()
        return session_from_dict(value, source)
    fields: dict[str, Any] = {}
    base: _Base | None = None
    for key in reader.members():
        if key in fields:
            raise _fail(source, key, "given twice")
        if key == "history" and all(k in fields for k in _BASE_FIELDS):
            base = _load_base(fields, source, history_given=True)
            for used in _BASE_FIELDS:  # their JSON (a table's text, say) is not needed again
                fields[used] = None
            fields[key] = _stream_history(reader, base, source)
        else:
            fields[key] = reader.value()
    reader.end()
    return _finish(fields, base, source)


def session_from_dict(data: Any, source: str = "session file") -> Session:
    """Validate a decoded session file and build the ``Session``."""
    return _finish(data, None, source)


_BASE_FIELDS = ("format", "version", "network", "trainer", "losses", "settings", "data")
"""The fields read before the history (which needs the network and the data)."""


class _Reader:
    """A ``JsonStream`` whose syntax errors are ``SessionFileError`` for ``source``."""

    def __init__(self, text: str, source: str) -> None:
        self._stream = JsonStream(text, parse_constant=_reject_constant)
        self._source = source

    def peek(self) -> str:
        return self._stream.peek()

    def value(self) -> Any:
        with self._syntax():
            return self._stream.value()

    def end(self) -> None:
        with self._syntax():
            self._stream.end()

    def members(self) -> Iterator[str]:
        return self._guarded(self._stream.members())

    def items(self) -> Iterator[int]:
        return self._guarded(self._stream.items())

    def _guarded(self, iterator: Iterator[Any]) -> Iterator[Any]:
        while True:
            with self._syntax():
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item

    @contextmanager
    def _syntax(self) -> Iterator[None]:
        source = self._source
        try:
            yield
        except _NonFinite as exc:
            raise SessionFileError(
                f"{source}: {exc} (session files hold finite numbers only)", source
            ) from None
        except RecursionError:
            raise SessionFileError(
                f"{source}: not a session file (nested too deeply)", source
            ) from None
        except ValueError as exc:  # json.JSONDecodeError, an integer too long to read
            raise SessionFileError(
                f"{source}: not a session file (not JSON, or truncated: {exc})", source
            ) from None


def _fail(source: str, where: str, message: str) -> SessionFileError:
    prefix = f"{source}: {where}: " if where else f"{source}: "
    return SessionFileError(prefix + message, source, where)


@dataclass
class _Base:
    """What the history is checked against: the validated fields but the history."""

    network: Network
    state: TrainerState
    settings: dict[str, Any]
    data: dict[str, Any] | None
    samples: int | None


def _finish(data: Any, base: _Base | None, source: str) -> Session:
    if base is None:
        base = _load_base(data, source, history_given=False)
        value = data["history"]
        history = None if value is None else _history_from_value(value, base, source)
    else:
        history = data["history"]
    extra = {key: data[key] for key in EXTRA_FIELDS if key in data}
    return Session(base.network, base.state, base.settings, base.data, history, extra)


def _load_base(data: Any, source: str, history_given: bool) -> _Base:
    def fail(where: str, message: str) -> SessionFileError:
        return _fail(source, where, message)

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
        if key not in data and not (key == "history" and history_given):
            raise fail(key, "missing")

    network = _load_network(data["network"], source, fail)
    parameters = network.parameters.copy()

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
    merged = _decoded_state(trainer, "trainer", fail)
    for key in ("step_losses", "epoch_losses", "epoch_end_steps"):
        merged[key] = _decoded(losses[key], f"losses.{key}", fail)
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
    return _Base(network, state, settings, session_data, samples)


def _decoded(value: Any, where: str, fail: _FieldFail) -> Any:
    """``value``, or the array it encodes (``json_arrays``); ``fail`` names the field."""
    if not is_encoded_array(value):
        return value
    try:
        return decode_array(value, where)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        raise fail(field, message) from None


def _decoded_state(
    value: Any, where: str, fail: _FieldFail, snapshot: bool = False, previous_order: Any = None
) -> Any:
    """A trainer state's dict with its encoded arrays decoded; in a history ``snapshot``,
    ``order: "previous"`` becomes ``previous_order`` (the order of the snapshot before).
    Other values stay as they are for ``TrainerState.from_dict`` to check."""
    if not isinstance(value, dict):
        return value
    out = {key: _decoded(item, f"{where}.{key}", fail) for key, item in value.items()}
    vectors = out.get("optimizer_state")
    if isinstance(vectors, dict):
        out["optimizer_state"] = {
            key: _decoded(item, f"{where}.optimizer_state.{key}", fail)
            for key, item in vectors.items()
        }
    if snapshot and isinstance(out.get("order"), str) and out["order"] == PREVIOUS_ORDER:
        if previous_order is None:
            raise fail(f"{where}.order", 'is "previous", but the snapshot before has no order')
        out["order"] = previous_order
    return out


def _load_network(value: Any, source: str, fail: _FieldFail) -> Network:
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
    if where.startswith("trainer.") and re.split(r"[.\[]", where)[1] in (
        "step_losses",
        "epoch_losses",
        "epoch_end_steps",
    ):
        message = "losses." + message[len("trainer.") :]
        where = "losses." + where[len("trainer.") :]
    return SessionFileError(f"{source}: {message}", source, where)


def _check_rows_fit(network: Network, state: TrainerState, rows: dict, fail: _FieldFail) -> None:
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


# -- the history --------------------------------------------------------------------------------


def _stream_history(reader: _Reader, base: _Base, source: str) -> TrainingHistory | None:
    """The history read from ``reader``'s next value, a snapshot at a time when the file has
    ``max_bytes`` before ``snapshots`` (as BP Studio writes it)."""
    if reader.peek() != "{":
        value = reader.value()
        return None if value is None else _history_from_value(value, base, source)
    seen: dict[str, Any] = {}
    history: TrainingHistory | None = None
    for key in reader.members():
        if key in seen:
            raise _fail(source, f"history.{key}", "given twice")
        if key == "snapshots" and "max_bytes" in seen and reader.peek() == "[":
            max_bytes = _max_bytes(seen["max_bytes"], source)
            items = ((index, reader.value()) for index in reader.items())
            history = _build_history(items, max_bytes, base, source)
            seen[key] = True
        else:
            seen[key] = reader.value()
    if history is not None:
        return history
    return _history_from_value(seen, base, source)


def _history_from_value(value: Any, base: _Base, source: str) -> TrainingHistory:
    if not isinstance(value, dict):
        raise _fail(source, "history", "expected an object with max_bytes and snapshots, or null")
    max_bytes = _max_bytes(value.get("max_bytes", DEFAULT_MAX_BYTES), source)
    snapshots = value.get("snapshots")
    if not isinstance(snapshots, list):
        raise _fail(source, "history.snapshots", "expected a list")
    return _build_history(enumerate(snapshots), max_bytes, base, source)


def _max_bytes(value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(source, "history.max_bytes", f"expected a whole number of bytes, got {value!r}")
    return value


def _build_history(
    items: Iterable[tuple[int, Any]], max_bytes: int, base: _Base, source: str
) -> TrainingHistory:
    """The history of the snapshot items ``(index, decoded JSON)``, each checked (against the
    network and the data) and stored before the next is taken."""

    def fail(where: str, message: str) -> SessionFileError:
        return _fail(source, where, message)

    size = base.network.parameters.size

    def snapshots() -> Iterator[tuple[TrainerState, bool]]:
        previous = None
        for index, item in items:
            where = f"history.snapshots[{index}]"
            if not isinstance(item, dict):
                raise fail(where, "expected an object with keyframe and state")
            keyframe = item.get("keyframe", False)
            if not isinstance(keyframe, bool):
                raise fail(f"{where}.keyframe", "expected true or false")
            previous_order = None if previous is None else previous.order
            state = _decoded_state(item.get("state"), f"{where}.state", fail, True, previous_order)
            try:
                snapshot = TrainerState.from_dict(state, f"{where}.state", previous=previous)
            except ValueError as exc:
                raise _state_error(exc, source, f"{where}.state") from None
            if snapshot.has_losses:
                raise fail(f"{where}.state", "a snapshot holds no loss arrays")
            if snapshot.parameters.size != size:
                raise fail(
                    f"{where}.state.parameters",
                    f"has {snapshot.parameters.size} values, the network has {size} parameters",
                )
            if base.samples is not None:
                try:
                    snapshot.check_fits(base.samples, f"{where}.state")
                except ValueError as exc:
                    raise _state_error(exc, source, f"{where}.state") from None
            previous = snapshot
            yield snapshot, keyframe

    try:
        return TrainingHistory.from_snapshots(snapshots(), max_bytes)
    except SessionFileError:
        raise
    except ValueError as exc:
        where, _, message = str(exc).partition(": ")
        raise fail("history." + where, message) from None


# -- the data -----------------------------------------------------------------------------------


def _check_data(value: Any, where: str, fail: _FieldFail) -> dict[str, Any]:
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


def _table(value: Any, where: str, fail: _FieldFail, allow_flat: bool) -> np.ndarray:
    """A table of rows (2-D) or, with ``allow_flat``, of class labels (1-D), as float64:
    from an array, an encoded array or JSON lists."""
    if is_encoded_array(value):
        value = _decoded(value, where, fail)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise fail(where, "expected numbers")
        if value.ndim not in ((1, 2) if allow_flat else (2,)) or 0 in value.shape:
            shape = "a non-empty table" + (" or list of labels" if allow_flat else "")
            raise fail(where, f"expected {shape}, got shape {list(value.shape)}")
        array = value.astype(np.float64)
        _check_finite(array, where, fail)
        return array
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
    count = 0
    for row in value:
        for item in row:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise fail(where, f"value {count + 1} is not a number")
            count += 1
    return _array(value, where, fail)


def _numbers(values: list, where: str, fail: _FieldFail) -> np.ndarray:
    for index, item in enumerate(values):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise fail(where, f"value {index + 1} is not a number")
    return _array(values, where, fail)


def _array(values: list, where: str, fail: _FieldFail) -> np.ndarray:
    try:
        array = np.array(values, dtype=np.float64)
    except OverflowError:
        raise fail(where, "a number is too large") from None
    _check_finite(array, where, fail)
    return array


def _check_finite(array: np.ndarray, where: str, fail: _FieldFail) -> None:
    if not np.all(np.isfinite(array)):
        raise fail(where, "holds a value that is not a finite number")
