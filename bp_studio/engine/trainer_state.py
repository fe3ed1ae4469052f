"""Everything a ``Trainer`` needs to go on bit for bit: for session files and for rewinding.

A ``TrainerState`` is taken with ``Trainer.get_state()`` and put back with
``Trainer.set_state(state)``; training on from the restored trainer gives the same weights and
losses, bit for bit, as training on from the original. It holds (``P`` = number of parameters,
``n`` = number of training samples):

- ``parameters``: float64 ``(P,)``, the network's flat parameter vector;
- ``optimizer`` (``sgd``, ``momentum``, ``adam``), ``lr`` and ``optimizer_state``
  (``{"t": int}`` plus ``velocity`` or ``m`` and ``v``, float64 ``(P,)`` each);
- the settings ``batch_size`` (``None`` = full batch), ``shuffle``, ``regularization`` and
  ``regularization_rate``, and ``seed`` (the seed the trainer was created with);
- the batch schedule: ``rng_state`` (``numpy`` ``bit_generator.state``, a JSON-ready dict of
  ints and strings), ``order`` (the current epoch's permutation, int ``(n,)``, or ``None``),
  ``batch_index`` (the batch of the epoch the next step uses), ``epoch_loss_sum`` and
  ``epoch_samples`` (the running sums behind the epoch's mean loss);
- the counters ``step_count`` and ``epoch``;
- optionally the loss history: ``step_losses`` float64 ``(step_count,)``, ``epoch_losses``
  float64 ``(epoch,)`` and ``epoch_end_steps`` int64 ``(epoch,)``. A state without them (a
  rewind snapshot) restores a trainer whose own loss arrays reach at least that far; they are
  cut back to the state's step.

``to_dict`` and ``from_dict`` convert to and from JSON-ready dicts (floats are Python floats,
so ``json`` writes them exactly; or, with ``to_dict(arrays=True)``, the vectors as numpy
arrays for a binary writer); ``from_dict`` validates every field and raises ``ValueError``
naming it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from bp_studio.engine.optimizers import OPTIMIZERS
from bp_studio.engine.regularization import REGULARIZATIONS

BIT_GENERATORS = ("PCG64", "PCG64DXSM", "SFC64", "Philox", "MT19937")
"""The numpy bit generators a state may name (the trainer uses ``PCG64``)."""

OPTIMIZER_VECTORS: dict[str, tuple[str, ...]] = {
    name: cls.state_vectors for name, cls in OPTIMIZERS.items()
}
"""The flat ``(P,)`` vectors in each optimiser's state, in a fixed order."""


@dataclass
class TrainerState:
    """A trainer's complete state; see the module docstring for every field's meaning."""

    parameters: np.ndarray
    optimizer: str
    lr: float
    optimizer_state: dict[str, Any]
    batch_size: int | None
    shuffle: bool
    regularization: str
    regularization_rate: float
    rng_state: dict[str, Any]
    order: np.ndarray | None
    batch_index: int
    epoch_loss_sum: float
    epoch_samples: int
    step_count: int
    epoch: int
    seed: int | None = None
    step_losses: np.ndarray | None = None
    epoch_losses: np.ndarray | None = None
    epoch_end_steps: np.ndarray | None = None

    @property
    def losses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(step_losses, epoch_losses, epoch_end_steps)`` when all three are included."""
        step_losses, epoch_losses, epoch_end_steps = (
            self.step_losses,
            self.epoch_losses,
            self.epoch_end_steps,
        )
        if step_losses is None or epoch_losses is None or epoch_end_steps is None:
            return None
        return step_losses, epoch_losses, epoch_end_steps

    @property
    def has_losses(self) -> bool:
        """Whether the loss history (``step_losses``, ``epoch_losses``, ...) is included."""
        return self.losses is not None

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays of this state (parameters, optimiser vectors, order, losses)."""
        arrays = [self.parameters, self.order, self.step_losses, self.epoch_losses]
        arrays += [self.epoch_end_steps]
        arrays += [v for v in self.optimizer_state.values() if isinstance(v, np.ndarray)]
        return sum(a.nbytes for a in arrays if a is not None)

    # -- JSON ---------------------------------------------------------------------------

    def to_dict(self, include_losses: bool = True, arrays: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (lists of Python floats and ints); see ``from_dict``.

        With ``arrays=True`` the vectors (``parameters``, the optimiser's vectors, ``order``
        and the loss arrays) stay numpy arrays, float64 and int64, for a writer that stores
        them in binary (``bp_studio.io.json_arrays``); they are the state's own arrays, not
        copies. ``from_dict`` takes either.
        """
        floats = _float_array if arrays else _floats
        ints = _int_array if arrays else _ints
        data: dict[str, Any] = {
            "parameters": floats(self.parameters),
            "optimizer": self.optimizer,
            "lr": float(self.lr),
            "optimizer_state": {
                key: (floats(value) if isinstance(value, np.ndarray) else int(value))
                for key, value in self.optimizer_state.items()
            },
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "regularization": {
                "kind": self.regularization,
                "rate": float(self.regularization_rate),
            },
            "seed": self.seed,
            "rng_state": _jsonable(self.rng_state),
            "order": None if self.order is None else ints(self.order),
            "batch_index": self.batch_index,
            "epoch_loss_sum": float(self.epoch_loss_sum),
            "epoch_samples": self.epoch_samples,
            "step_count": self.step_count,
            "epoch": self.epoch,
        }
        losses = self.losses
        if include_losses and losses is not None:
            step_losses, epoch_losses, epoch_end_steps = losses
            data["step_losses"] = floats(step_losses)
            data["epoch_losses"] = floats(epoch_losses)
            data["epoch_end_steps"] = ints(epoch_end_steps)
        return data

    @classmethod
    def from_dict(
        cls,
        data: Any,
        where: str = "trainer",
        parameters: np.ndarray | None = None,
        previous: TrainerState | None = None,
    ) -> TrainerState:
        """Validate a dict made by ``to_dict``; ``ValueError`` names the first bad field.

        Checks types, finiteness and internal consistency (vector lengths, the permutation,
        loss-array lengths, the rng state). Whether the state fits a particular network and
        data set is checked by ``Trainer.set_state`` (and ``check_fits``). ``parameters``
        stands in for a missing ``"parameters"`` field (a session file keeps them in its
        network). ``previous`` is a state made by ``from_dict`` before (the snapshot before,
        in a history): an ``rng_state`` equal to its and an ``order`` that is its very
        ``order`` object are taken as they are, without checking them again (they were).
        """
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {_kind(data)}")

        def field(name: str) -> Any:
            if name not in data:
                raise ValueError(f"{where}.{name}: missing")
            return data[name]

        if parameters is None or "parameters" in data:
            parameters = _float_vector(field("parameters"), f"{where}.parameters")
        else:
            parameters = np.array(parameters, dtype=np.float64).reshape(-1)
        size = parameters.size
        optimizer = field("optimizer")
        if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
            raise ValueError(
                f"{where}.optimizer: expected one of {', '.join(OPTIMIZERS)}, got {optimizer!r}"
            )
        lr = _number(field("lr"), f"{where}.lr")
        if lr <= 0.0:
            raise ValueError(f"{where}.lr: must be positive, got {lr!r}")
        raw_state = field("optimizer_state")
        if not isinstance(raw_state, dict):
            raise ValueError(f"{where}.optimizer_state: expected an object")
        optimizer_state: dict[str, Any] = {
            "t": _count(raw_state.get("t"), f"{where}.optimizer_state.t")
        }
        for key in OPTIMIZER_VECTORS.get(optimizer, ()):
            name = f"{where}.optimizer_state.{key}"
            if key not in raw_state:
                raise ValueError(f"{name}: missing")
            vector = _float_vector(raw_state[key], name)
            if vector.size != size:
                raise ValueError(f"{name}: has {vector.size} values, parameters has {size}")
            optimizer_state[key] = vector
        batch_size = field("batch_size")
        if batch_size is not None:
            batch_size = _count(batch_size, f"{where}.batch_size")
            if batch_size < 1:
                raise ValueError(f"{where}.batch_size: must be at least 1 (or null for full)")
        shuffle = field("shuffle")
        if not isinstance(shuffle, bool):
            raise ValueError(f"{where}.shuffle: expected true or false, got {_kind(shuffle)}")
        regularization = field("regularization")
        if not isinstance(regularization, dict):
            raise ValueError(f"{where}.regularization: expected an object with kind and rate")
        kind = regularization.get("kind")
        if not isinstance(kind, str) or kind not in REGULARIZATIONS:
            raise ValueError(
                f"{where}.regularization.kind: expected one of {', '.join(REGULARIZATIONS)}, "
                f"got {kind!r}"
            )
        rate = _number(regularization.get("rate"), f"{where}.regularization.rate")
        if rate < 0.0:
            raise ValueError(f"{where}.regularization.rate: must be 0 or more")
        seed = data.get("seed")
        if seed is not None:
            seed = _count(seed, f"{where}.seed")
        rng_state = field("rng_state")
        if previous is not None and _same_plain(rng_state, previous.rng_state):
            rng_state = previous.rng_state
        else:
            rng_state = check_rng_state(rng_state, f"{where}.rng_state")
        order = field("order")
        if order is not None and not (previous is not None and order is previous.order):
            order = _permutation(order, f"{where}.order")
        batch_index = _count(field("batch_index"), f"{where}.batch_index")
        epoch_loss_sum = _number(field("epoch_loss_sum"), f"{where}.epoch_loss_sum")
        epoch_samples = _count(field("epoch_samples"), f"{where}.epoch_samples")
        step_count = _count(field("step_count"), f"{where}.step_count")
        epoch = _count(field("epoch"), f"{where}.epoch")
        if epoch > step_count:
            raise ValueError(f"{where}.epoch: {epoch} epochs cannot take {step_count} steps")
        step_losses = epoch_losses = epoch_end_steps = None
        if any(k in data for k in ("step_losses", "epoch_losses", "epoch_end_steps")):
            step_losses = _float_vector(field("step_losses"), f"{where}.step_losses")
            epoch_losses = _float_vector(field("epoch_losses"), f"{where}.epoch_losses")
            epoch_end_steps = _int_vector(field("epoch_end_steps"), f"{where}.epoch_end_steps")
        state = cls(
            parameters=parameters,
            optimizer=optimizer,
            lr=lr,
            optimizer_state=optimizer_state,
            batch_size=batch_size,
            shuffle=shuffle,
            regularization=kind,
            regularization_rate=rate,
            rng_state=rng_state,
            order=order,
            batch_index=batch_index,
            epoch_loss_sum=epoch_loss_sum,
            epoch_samples=epoch_samples,
            step_count=step_count,
            epoch=epoch,
            seed=seed,
            step_losses=step_losses,
            epoch_losses=epoch_losses,
            epoch_end_steps=epoch_end_steps,
        )
        state.check(where)
        return state

    def check(self, where: str = "trainer") -> None:
        """Check the internal consistency of the counters and loss arrays (``ValueError``)."""
        if not self.shuffle and self.order is not None:
            raise ValueError(f"{where}.order: must be null when shuffle is off")
        if self.shuffle and self.batch_index > 0 and self.order is None:
            raise ValueError(f"{where}.order: missing in the middle of a shuffled epoch")
        if self.batch_size is None and self.batch_index != 0:
            raise ValueError(f"{where}.batch_index: must be 0 with full batches")
        given = [a is not None for a in (self.step_losses, self.epoch_losses, self.epoch_end_steps)]
        if any(given) and not all(given):
            raise ValueError(f"{where}: step_losses, epoch_losses and epoch_end_steps go together")
        losses = self.losses
        if losses is not None:
            step_losses, epoch_losses, ends = losses
            if step_losses.size != self.step_count:
                raise ValueError(
                    f"{where}.step_losses: has {step_losses.size} values for "
                    f"{self.step_count} steps"
                )
            if epoch_losses.size != self.epoch or ends.size != self.epoch:
                raise ValueError(
                    f"{where}.epoch_losses: epoch_losses and epoch_end_steps need one value "
                    f"per epoch ({self.epoch})"
                )
            if ends.size and (
                ends[0] < 1 or np.any(np.diff(ends) < 1) or ends[-1] > self.step_count
            ):
                raise ValueError(
                    f"{where}.epoch_end_steps: must increase and lie within the "
                    f"{self.step_count} steps"
                )

    def check_fits(self, samples: int, where: str = "trainer") -> None:
        """Check that the schedule fits ``samples`` training samples (``ValueError``)."""
        n = samples
        if self.order is not None:
            order = np.asarray(self.order)
            if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
                raise ValueError(f"{where}.order: not a permutation of the {n} samples")
        size = self.batch_size or n
        batches = -(-n // size)
        if not 0 <= self.batch_index < batches:
            raise ValueError(
                f"{where}.batch_index: {self.batch_index} is outside the {batches} batch(es) "
                f"of an epoch"
            )
        if self.epoch_samples != min(self.batch_index * size, n):
            raise ValueError(
                f"{where}.epoch_samples: {self.epoch_samples} does not match batch "
                f"{self.batch_index} of {size} sample(s) on {n} samples"
            )
        if not math.isfinite(self.epoch_loss_sum):
            raise ValueError(f"{where}.epoch_loss_sum: must be a finite number")


_FLAG = (0, 1)
_U32 = (0, 2**32 - 1)
_U64 = (0, 2**64 - 1)
_U128 = (0, 2**128 - 1)

_RNG_FIELDS: dict[str, dict[str, Any]] = {
    "PCG64": {"state": {"state": _U128, "inc": _U128}, "has_uint32": _FLAG, "uinteger": _U32},
    "PCG64DXSM": {
        "state": {"state": _U128, "inc": _U128},
        "has_uint32": _FLAG,
        "uinteger": _U32,
    },
    "SFC64": {"state": {"state": [4, _U64]}, "has_uint32": _FLAG, "uinteger": _U32},
    "Philox": {
        "state": {"counter": [4, _U64], "key": [2, _U64]},
        "buffer": [4, _U64],
        "buffer_pos": (0, 4),
        "has_uint32": _FLAG,
        "uinteger": _U32,
    },
    "MT19937": {"state": {"key": [624, _U32], "pos": (0, 624)}},
}
"""Every field of each bit generator's ``state`` dict and its documented range.

A ``(low, high)`` pair is one whole number in that range, ``[n, (low, high)]`` a list of ``n``
of them, a dict a nested object. The ranges are numpy's own: ``MT19937``'s ``pos`` indexes
its 624-word key (624 means "regenerate next"), ``Philox``'s ``buffer_pos`` its 4-word buffer
(4 means "empty"); numpy does not check either, and reads out of bounds (the process dies)
on a position outside them. The other ranges are the C types the state is stored in.
"""


def check_rng_state(value: Any, where: str) -> dict[str, Any]:
    """Validate a ``bit_generator.state`` dict; ``ValueError`` names the first bad field.

    Every field must be present with a whole number (or list of them) in the range of
    ``_RNG_FIELDS``, and no other field may be there. The state is then loaded into a fresh
    bit generator of that kind and read back: anything numpy would change is refused too.
    Returns the state as JSON-ready Python ints and lists.
    """
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object, got {_kind(value)}")
    name = value.get("bit_generator")
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise ValueError(
            f"{where}.bit_generator: expected one of {', '.join(BIT_GENERATORS)}, got {name!r}"
        )
    return _load_rng_state(value, where)[0]


def _load_rng_state(value: Any, where: str) -> tuple[dict[str, Any], Any]:
    """The checked state (see ``check_rng_state``) and a fresh bit generator in it."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object, got {_kind(value)}")
    name = value.get("bit_generator")
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise ValueError(
            f"{where}.bit_generator: expected one of {', '.join(BIT_GENERATORS)}, got {name!r}"
        )
    if not _only_plain(value):
        raise ValueError(f"{where}: expected whole numbers and names only")
    state = {"bit_generator": name}
    state.update(_check_fields(value, _RNG_FIELDS[name], where, skip=("bit_generator",)))
    generator = getattr(np.random, name)()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy 1.x only warns about out-of-range ints
            generator.state = state
    except (
        ValueError,
        TypeError,
        KeyError,
        OverflowError,
        IndexError,
        AttributeError,
        Warning,
    ) as exc:
        raise ValueError(f"{where}: not a valid {name} state ({exc})") from None
    if _jsonable(generator.state) != state:  # numpy would not keep it as given
        raise ValueError(f"{where}: not a valid {name} state (numpy does not keep it as given)")
    return state, generator


def _check_fields(
    value: dict[str, Any], fields: dict[str, Any], where: str, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``value`` checked against ``fields`` (see ``_RNG_FIELDS``), as Python ints and lists."""
    for key in value:
        if key not in fields and key not in skip:
            raise ValueError(f"{where}.{key}: unexpected field")
    out: dict[str, Any] = {}
    for key, rule in fields.items():
        name = f"{where}.{key}"
        if key not in value:
            raise ValueError(f"{name}: missing")
        item = value[key]
        if isinstance(rule, dict):
            if not isinstance(item, dict):
                raise ValueError(f"{name}: expected an object, got {_kind(item)}")
            out[key] = _check_fields(item, rule, name)
        elif isinstance(rule, list):
            length, (low, high) = rule
            items = item.tolist() if isinstance(item, np.ndarray) else item
            if not isinstance(items, list) or len(items) != length:
                raise ValueError(
                    f"{name}: expected a list of {length} whole numbers, got {_kind(item)}"
                    + (f" of {len(items)}" if isinstance(items, list) else "")
                )
            out[key] = [_whole(v, low, high, f"{name}[{i}]") for i, v in enumerate(items)]
        else:
            low, high = rule
            out[key] = _whole(item, low, high, name)
    return out


def _whole(value: Any, low: int, high: int, where: str) -> int:
    """``value`` as a Python int in ``low .. high``; ``ValueError`` naming ``where`` if not."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{where}: expected a whole number, got {_kind(value)}")
    number = int(value)
    if not low <= number <= high:
        shown = _POWERS.get(high, str(high))
        raise ValueError(
            f"{where}: expected a whole number from {low} to {shown}, got {_kind(number)}"
        )
    return number


_POWERS = {2**32 - 1: "2**32 - 1", 2**64 - 1: "2**64 - 1", 2**128 - 1: "2**128 - 1"}


def rng_state(generator: np.random.Generator) -> dict[str, Any]:
    """``generator.bit_generator.state`` with Python ints and lists only (JSON-ready, and
    comparable with ``==``; ``PCG64``'s state is that already).

    The other generators' states are checked against ``_RNG_FIELDS`` (``ValueError`` naming
    the field), so a state set on a generator by hand, with a position out of range, is never
    passed on. ``PCG64``'s fields are C integers read back from numpy, in range by their type,
    and are returned as they are (this runs for every history snapshot).
    """
    state = generator.bit_generator.state
    name = state.get("bit_generator")
    if name == "PCG64":
        return dict(state)  # a fresh dict already; typed Mapping by numpy
    if name not in _RNG_FIELDS:
        raise ValueError(
            f"rng_state.bit_generator: expected one of {', '.join(BIT_GENERATORS)}, got {name!r}"
        )
    fields = _check_fields(_jsonable(state), _RNG_FIELDS[name], "rng_state", ("bit_generator",))
    return {"bit_generator": name, **fields}


def make_generator(rng_state: dict[str, Any]) -> np.random.Generator:
    """A ``numpy`` ``Generator`` in exactly ``rng_state`` (validated by ``check_rng_state``)."""
    return np.random.Generator(_load_rng_state(rng_state, "rng_state")[1])


# -- helpers ----------------------------------------------------------------------------------


def _only_plain(value: Any, depth: int = 0) -> bool:
    """Ints, strings, lists and dicts of them (what JSON gives for a bit generator state)."""
    if depth > 6:
        return False
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, str, np.integer)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iu"
    if isinstance(value, list):
        return all(_only_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_plain(v, depth + 1) for k, v in value.items())
    return False


def _same_plain(value: Any, checked: Any) -> bool:
    """``value == checked`` for a checked rng state (ints, strings, lists and dicts only):
    ``True`` also needs the same types (``1.0`` or ``True`` is not ``1``)."""
    if type(value) is not type(checked):
        return False
    if isinstance(value, dict):
        return value.keys() == checked.keys() and all(
            _same_plain(value[key], checked[key]) for key in value
        )
    if isinstance(value, list):
        return len(value) == len(checked) and all(map(_same_plain, value, checked))
    return value == checked


def _jsonable(value: Any) -> Any:
    """Numpy integers and arrays in a bit generator state as Python ints and lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    return value


def _floats(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float64).reshape(-1).tolist()


def _ints(vector: np.ndarray) -> list[int]:
    return np.asarray(vector, dtype=np.int64).reshape(-1).tolist()


def _float_array(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector, dtype=np.float64).reshape(-1)


def _int_array(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector, dtype=np.int64).reshape(-1)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 30 else text[:27] + "..."
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{where}: the number is too large") from None
    if not math.isfinite(number):
        raise ValueError(f"{where}: {value!r} is not a finite number")
    return number


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{where}: expected a whole number, got {_kind(value)}")
    if value < 0:
        raise ValueError(f"{where}: must be 0 or more, got {value}")
    return int(value)


def _float_vector(value: Any, where: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "fiu":
            raise ValueError(f"{where}: expected a flat vector of numbers")
        vector = value.astype(np.float64)
    else:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list of numbers, got {_kind(value)}")
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise ValueError(f"{where}[{index}]: expected a number, got {_kind(item)}")
        try:
            vector = np.array(value, dtype=np.float64).reshape(-1)
        except OverflowError:
            raise ValueError(f"{where}: a number is too large") from None
    bad = ~np.isfinite(vector)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"{where}[{index}]: {vector[index]} is not a finite number")
    return vector


def _int_vector(value: Any, where: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iu":
            raise ValueError(f"{where}: expected a flat vector of whole numbers")
        return value.astype(np.int64)
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of whole numbers, got {_kind(value)}")
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or not -(2**63) <= item < 2**63:
            raise ValueError(f"{where}[{index}]: expected a whole number, got {_kind(item)}")
    return np.array(value, dtype=np.int64).reshape(-1)


def _permutation(value: Any, where: str) -> np.ndarray:
    order = _int_vector(value, where)
    if order.size and not np.array_equal(np.sort(order), np.arange(order.size)):
        raise ValueError(f"{where}: expected a permutation of 0 .. {order.size - 1}")
    return order.astype(np.intp)
