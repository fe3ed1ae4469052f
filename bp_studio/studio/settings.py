"""What the user sets: the network's architecture and how it is trained (plain data, no Qt).

``Settings`` is one immutable value. ``Studio.set(**changes)`` replaces fields of it; the
settings panel shows it; a session stores it (``to_dict`` / ``from_dict``). Every field is
checked with its name in the message, so a damaged session or a script's typo is refused
with, say, ``settings.lr: expected a positive number, got 'abc'`` before anything changes.

Two kinds of fields:

- **architecture** (``ARCHITECTURE_FIELDS``): the hidden layers, the output activation and
  bias, the loss, the initialiser and the seed. Changing one builds a new network (a new run).
- **training** (``TRAINING_FIELDS``): optimiser, learning rate, batch size, shuffling and
  regularisation. Changing one takes effect at the next step boundary of the current run and
  is recorded in the run's history, so rewinding stays exact.

The lists a user may choose from come from the engine's registries: hidden layers take every
elementwise activation; the output layer takes what the loss allows (``allowed_outputs``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from bp_studio.engine import ACTIVATIONS, INITIALIZERS, LOSSES, OPTIMIZERS, REGULARIZATIONS
from bp_studio.engine import hidden_activations as engine_hidden_activations
from bp_studio.engine.losses import output_activations

MAX_UNITS = 512
"""The most units a hidden layer may have in the window and in a session."""
MAX_HIDDEN_LAYERS = 6
"""The most hidden layers."""
MAX_SEED = 2**31 - 1
"""Seeds are 0 to ``MAX_SEED`` (what the settings panel's number box holds)."""
MAX_BATCH_SIZE = 10_000_000
"""A batch larger than any data set the studio can hold (the CSV size cap)."""

ARCHITECTURE_FIELDS = ("hidden", "output_activation", "output_bias", "loss", "init", "seed")
TRAINING_FIELDS = (
    "optimizer",
    "lr",
    "batch_size",
    "shuffle",
    "regularization",
    "regularization_rate",
    "patience",
)
FIELD_WORDS = {
    "hidden": "the hidden layers",
    "output_activation": "the output activation",
    "output_bias": "the output bias",
    "loss": "the loss",
    "optimizer": "the optimiser",
    "lr": "the learning rate",
    "batch_size": "the batch size",
    "shuffle": "shuffling",
    "regularization": "the regularisation",
    "regularization_rate": "the regularisation rate",
    "init": "the initialiser",
    "seed": "the seed",
    "patience": "the patience",
}
"""Every setting as Undo, Redo and the messages name it."""
MAX_PATIENCE = 100_000
"""Early stopping waits at most this many epochs."""


def hidden_activations() -> tuple[str, ...]:
    """Activations a hidden layer may have (the registry's ``hidden`` entries)."""
    return engine_hidden_activations()


def allowed_outputs(loss: str) -> tuple[str, ...]:
    """Output activations that ``loss`` allows (cross-entropy: softmax only, and so on)."""
    return output_activations(loss)


def loss_reason(loss: str) -> str:
    """Why the output activation is fixed for ``loss`` ("" when it is free)."""
    return LOSSES[loss].requirement


@dataclass(frozen=True)
class HiddenLayer:
    """One hidden layer: how many units, their activation, whether they have a bias."""

    units: int = 3
    activation: str = "sigmoid"
    bias: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything the user sets: architecture (hidden layers, output) and training."""

    hidden: tuple[HiddenLayer, ...] = field(default=(HiddenLayer(),))
    output_activation: str = "sigmoid"
    output_bias: bool = True
    loss: str = "mse"
    optimizer: str = "sgd"
    lr: float = 0.5
    batch_size: int | None = None
    shuffle: bool = False
    regularization: str = "none"
    regularization_rate: float = 0.001
    init: str = "xavier"
    seed: int = 0
    patience: int = 0
    """Early stopping: stop when the validation loss has not improved for this many epochs
    and go back to the best epoch (0: off; needs a validation share in the data)."""

    def architecture(self) -> tuple:
        """The fields that need a new network when they change."""
        return tuple(getattr(self, name) for name in ARCHITECTURE_FIELDS)

    # -- checking ------------------------------------------------------------------------------

    def checked(self, where: str = "settings") -> Settings:
        """This value with numbers normalised (``lr`` a float); ``ValueError`` names a field."""
        return Settings.from_dict(self.to_dict(), where)

    def updated(self, where: str = "settings", **changes: Any) -> Settings:
        """A checked copy with ``changes``; ``ValueError`` names an unknown or bad field."""
        known = {f.name for f in fields(Settings)}
        for name in changes:
            if name not in known:
                raise ValueError(
                    f"{where}.{name}: not a setting (settings: {', '.join(sorted(known))})"
                )
        data = self.to_dict()
        for name, value in changes.items():
            if name == "hidden" and isinstance(value, (tuple, list)):
                value = [_hidden_to_dict(h) if isinstance(h, HiddenLayer) else h for h in value]
            data[name] = value
        return Settings.from_dict(data, where)

    # -- dicts (sessions) ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["hidden"] = [_hidden_to_dict(h) for h in self.hidden]
        return data

    @classmethod
    def from_dict(cls, data: Any, where: str = "settings") -> Settings:
        """Settings from a dict (a session's); missing fields take their defaults.

        ``ValueError`` names the first field that is unknown, of the wrong type or out of
        range, for example ``settings.hidden[2].units: expected 1 to 512, got 100000``.
        """
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {_kind(data)}")
        defaults = cls()
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ValueError(f"{where}.{key}: not a setting")

        def get(name: str) -> Any:
            return data.get(name, getattr(defaults, name))

        hidden_value = data.get("hidden", [_hidden_to_dict(h) for h in defaults.hidden])
        if not isinstance(hidden_value, (list, tuple)):
            raise ValueError(
                f"{where}.hidden: expected a list of layers, got {_kind(hidden_value)}"
            )
        if len(hidden_value) > MAX_HIDDEN_LAYERS:
            raise ValueError(
                f"{where}.hidden: at most {MAX_HIDDEN_LAYERS} hidden layers, "
                f"got {len(hidden_value)}"
            )
        hidden = tuple(
            _hidden_from(item, f"{where}.hidden[{index + 1}]")
            for index, item in enumerate(hidden_value)
        )
        loss = _choice(get("loss"), LOSSES, f"{where}.loss")
        output = _choice(get("output_activation"), ACTIVATIONS, f"{where}.output_activation")
        if output not in allowed_outputs(loss):
            raise ValueError(
                f"{where}.output_activation: the {loss} loss allows "
                f"{', '.join(allowed_outputs(loss))}, not {output}"
            )
        batch = get("batch_size")
        return cls(
            hidden=hidden,
            output_activation=output,
            output_bias=_flag(get("output_bias"), f"{where}.output_bias"),
            loss=loss,
            optimizer=_choice(get("optimizer"), OPTIMIZERS, f"{where}.optimizer"),
            lr=_number(get("lr"), f"{where}.lr", positive=True),
            batch_size=None
            if batch is None
            else _whole(batch, f"{where}.batch_size", 1, MAX_BATCH_SIZE),
            shuffle=_flag(get("shuffle"), f"{where}.shuffle"),
            regularization=_choice(
                get("regularization"), REGULARIZATIONS, f"{where}.regularization"
            ),
            regularization_rate=_number(
                get("regularization_rate"), f"{where}.regularization_rate", positive=False
            ),
            init=_choice(get("init"), INITIALIZERS, f"{where}.init"),
            seed=_whole(get("seed"), f"{where}.seed", 0, MAX_SEED),
            patience=_whole(get("patience"), f"{where}.patience", 0, MAX_PATIENCE),
        )


def _hidden_to_dict(layer: HiddenLayer) -> dict[str, Any]:
    return {"units": layer.units, "activation": layer.activation, "bias": layer.bias}


def _hidden_from(value: Any, where: str) -> HiddenLayer:
    if isinstance(value, HiddenLayer):
        value = _hidden_to_dict(value)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object with units, activation, bias")
    for key in value:
        if key not in ("units", "activation", "bias"):
            raise ValueError(f"{where}.{key}: not a hidden-layer setting")
    activation = _choice(value.get("activation", "sigmoid"), ACTIVATIONS, f"{where}.activation")
    if activation not in hidden_activations():
        raise ValueError(f"{where}.activation: {activation} is only allowed on the output layer")
    return HiddenLayer(
        units=_whole(value.get("units", 3), f"{where}.units", 1, MAX_UNITS),
        activation=activation,
        bias=_flag(value.get("bias", True), f"{where}.bias"),
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def _choice(value: Any, known: Any, where: str) -> str:
    if not isinstance(value, str) or value not in known:
        raise ValueError(f"{where}: expected one of {', '.join(known)}, got {_kind(value)}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: expected true or false, got {_kind(value)}")
    return value


def _number(value: Any, where: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{where}: {value!r} is too large") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        bound = "a positive" if positive else "a non-negative"
        raise ValueError(f"{where}: expected {bound} finite number, got {value!r}")
    return number


def _whole(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and low <= value <= high:
            return int(value)
        raise ValueError(f"{where}: expected a whole number, got {_kind(value)}")
    if not low <= value <= high:
        raise ValueError(f"{where}: expected {low:,} to {high:,}, got {value:,}")
    return value
