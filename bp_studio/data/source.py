"""Where the training data comes from, and how it is prepared for the network.

A ``DataSpec`` says what the user chose: an example, a generator with its settings, a real
data set, or rows of their own (imported from CSV or drawn); plus derived features (2-D sets),
input normalisation and the test and validation split. ``prepare(spec, rows)`` turns it into
``PreparedData``:

    raw   --split(test_ratio, split_seed)-->  raw train, raw test
          with a validation share, three_way_split(test_ratio, validation_ratio, split_seed)
          -->  raw train, raw validation, raw test  (the same test part)
    train --with_features(features)-->  network inputs  (the normalisation is fitted on these
                                                         training inputs and stored in the
                                                         network, so predict takes raw inputs)

The same spec and rows always give the same arrays, so a session can store the spec (and the
rows only for imported or drawn data) and rebuild the data exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bp_studio.data.examples import EXAMPLES, Dataset
from bp_studio.data.features import with_features
from bp_studio.data.generators import GENERATORS, generate
from bp_studio.data.real import load_digits, load_iris
from bp_studio.data.split import check_shares, split, three_way_split
from bp_studio.engine.normalization import NORMALIZATIONS, Normalization

KINDS = ("example", "generator", "real", "rows")
REAL = {"iris": load_iris, "digits": load_digits}


@dataclass(frozen=True)
class DataSpec:
    """The user's choice of data.

    - ``kind="example"``: ``name`` in ``EXAMPLES`` (XOR truth table, the worked example ...);
    - ``kind="generator"``: ``name`` in ``GENERATORS`` with ``samples``, ``noise``, ``seed``,
      ``classes``;
    - ``kind="real"``: ``name`` is ``iris`` or ``digits``;
    - ``kind="rows"``: the rows are passed to ``prepare`` (CSV or drawn data).

    ``features``: derived inputs of a 2-D set (empty: the raw inputs); ``normalization``:
    ``none``, ``standardize`` or ``minmax``; ``test_ratio`` and ``validation_ratio`` (shares
    of the whole set, each in [0, 0.9], together at most 0.9), split by ``split_seed``.
    A spec saved before ``validation_ratio`` existed loads with 0 (no validation part).
    """

    kind: str = "example"
    name: str = "xor"
    samples: int = 200
    noise: float = 0.1
    seed: int = 0
    classes: int = 2
    features: tuple[str, ...] = ()
    normalization: str = "none"
    test_ratio: float = 0.0
    split_seed: int = 0
    validation_ratio: float = 0.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"features": list(self.features)}

    @classmethod
    def from_dict(cls, data: dict) -> DataSpec:
        """Rebuild a spec; ``ValueError`` names an unknown or ill-typed field."""
        if not isinstance(data, dict):
            raise ValueError("data: expected an object")
        names = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}  # each checked against its field by _checked_field
        for key, value in data.items():
            if key not in names:
                raise ValueError(f"data.{key}: unknown field")
            values[key] = _checked_field(key, value)
        spec = cls(**values)
        problem = spec.problem()
        if problem:
            raise ValueError(f"data: {problem}")
        return spec

    def problem(self) -> str | None:
        """Why this spec cannot be prepared, or ``None``."""
        if self.kind not in KINDS:
            return f"unknown kind of data {self.kind!r} (known: {', '.join(KINDS)})"
        if self.kind == "example" and self.name not in EXAMPLES:
            return f"unknown example {self.name!r}"
        if self.kind == "generator" and self.name not in GENERATORS:
            return f"unknown generator {self.name!r}"
        if self.kind == "real" and self.name not in REAL:
            return f"unknown data set {self.name!r} (known: {', '.join(REAL)})"
        if self.normalization not in ("none", *NORMALIZATIONS):
            return f"unknown normalization {self.normalization!r}"
        return check_shares(self.test_ratio, self.validation_ratio)


@dataclass(frozen=True)
class PreparedData:
    """The data ready for training.

    ``raw`` is the whole data set as loaded (2-D points stay 2-D for the data view);
    ``train_raw``/``validation_raw``/``test_raw`` its split; ``train``/``validation``/``test``
    the network's inputs (features applied, not yet normalised); ``normalization`` is fitted
    on ``train.X`` (``None``: off). ``prepare`` always fills the validation parts (empty,
    ``(0, inputs)``, without a validation share); ``None`` only in values built by hand.
    """

    spec: DataSpec
    raw: Dataset
    train_raw: Dataset
    test_raw: Dataset
    train: Dataset
    test: Dataset
    normalization: Normalization | None = field(default=None)
    validation_raw: Dataset | None = field(default=None)
    validation: Dataset | None = field(default=None)

    @property
    def has_test(self) -> bool:
        return self.test.samples > 0

    @property
    def has_validation(self) -> bool:
        return self.validation is not None and self.validation.samples > 0


def load_raw(spec: DataSpec, rows: Dataset | None = None) -> Dataset:
    """The whole data set a spec names (``rows`` for ``kind="rows"``)."""
    problem = spec.problem()
    if problem:
        raise ValueError(problem)
    if spec.kind == "example":
        return EXAMPLES[spec.name]
    if spec.kind == "generator":
        return generate(spec.name, spec.samples, spec.noise, spec.seed, spec.classes)
    if spec.kind == "real":
        return REAL[spec.name]()
    if rows is None:
        raise ValueError("this data needs its rows (imported or drawn data)")
    return rows


def prepare(spec: DataSpec, rows: Dataset | None = None) -> PreparedData:
    """Load, split, derive features and fit the normalisation; ``ValueError`` if unusable."""
    raw = load_raw(spec, rows)
    if spec.features and raw.inputs != 2:
        raise ValueError(
            f"derived features need a data set with 2 inputs; {raw.title} has {raw.inputs}"
        )
    empty = dataclasses.replace(raw, X=raw.X[:0], T=raw.T[:0])
    if spec.validation_ratio > 0:
        train_raw, validation_raw, test_raw = three_way_split(
            raw, spec.test_ratio, spec.validation_ratio, spec.split_seed
        )
    elif spec.test_ratio > 0:
        train_raw, test_raw = split(raw, spec.test_ratio, spec.split_seed)
        validation_raw = empty
    else:
        train_raw, validation_raw, test_raw = raw, empty, empty

    def features(part: Dataset) -> Dataset:
        return with_features(part, spec.features) if spec.features else part

    train = features(train_raw)
    normalization = None
    if spec.normalization != "none":
        normalization = Normalization.fit(spec.normalization, train.X)
    return PreparedData(
        spec,
        raw,
        train_raw,
        test_raw,
        train,
        features(test_raw),
        normalization,
        validation_raw,
        features(validation_raw),
    )


_TEXT_FIELDS = ("kind", "name", "normalization")
_WHOLE_FIELDS = {"samples": (1, 1_000_000), "seed": (0, 2**32 - 1), "classes": (2, 10)}
_WHOLE_FIELDS["split_seed"] = (0, 2**32 - 1)


def _checked_field(key: str, value: object) -> object:
    """``value`` of field ``key`` of a stored spec, or ``ValueError`` naming the field."""
    where = f"data.{key}"
    if key in _TEXT_FIELDS:
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected text, got {value!r}")
        return value
    if key in _WHOLE_FIELDS:
        low, high = _WHOLE_FIELDS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                f"{where}: expected a whole number from {low:,} to {high:,}, got {value!r}"
            )
        return value
    if key == "features":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{where}: expected a list of feature names, got {value!r}")
        return tuple(value)
    if key in ("noise", "test_ratio", "validation_ratio"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}: expected a number, got {value!r}")
        number = float(value)
        limit = 10.0 if key == "noise" else 0.9
        if not 0.0 <= number <= limit:
            raise ValueError(f"{where}: expected 0 to {limit:g}, got {value!r}")
        return number
    return value
