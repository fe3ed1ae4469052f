"""Seeded toy data sets in the spirit of TensorFlow Playground, as :class:`Dataset` objects.

``generate(name, samples, noise, seed, classes)`` draws every random number from
``numpy.random.default_rng(seed)``, so the same arguments give bit-identical arrays.

Classification sets (``xor``, ``circles``, ``moons``, ``spiral``, ``gaussian``) are 2-D:

- ``X`` has shape ``(samples, 2)`` (columns ``x1``, ``x2``), ``T`` has shape ``(samples, 1)``
  and holds the class number ``0 .. k-1`` as a float; ``Dataset.classes`` names the classes
  (``targets_for_loss("cross_entropy")`` gives one-hot columns ``(samples, k)``).
- Classes are balanced: class ``c`` gets ``samples // k`` points, plus one for the first
  ``samples % k`` classes, so counts differ by at most one. The rows are then shuffled (with
  the same generator), so the classes are mixed in file order.
- Each point is a clean point of its class plus Gaussian noise: ``x = x_clean + noise * N(0, 1)``
  in each coordinate. The clean points fill roughly the square ``[-1, 1]^2``, so ``noise`` is in
  the same units as the inputs (``noise = 0.1`` is a tenth of the half-width of the picture).

The clean points, with ``u ~ U(a, b)`` uniform draws:

- ``xor``: ``|x1|, |x2| ~ U(0.1, 1)``; class 0 "same sign" takes quadrants 1 and 3
  (``x1 * x2 > 0``), class 1 "opposite signs" quadrants 2 and 4.
- ``circles``: angle ``t ~ U(0, 2 pi)``; class 0 "inner" has radius ``r ~ U(0, 0.5)``, class 1
  "outer" ``r ~ U(0.7, 1)``; ``x = (r cos t, r sin t)``.
- ``moons``: ``t ~ U(0, pi)``; class 0 "upper moon" ``(cos t, sin t)``, class 1 "lower moon"
  ``(1 - cos t, 0.5 - sin t)``; both shifted by ``(-0.5, -0.25)`` and scaled by ``0.8`` so the
  pair is centred on the origin.
- ``spiral``: ``k`` arms (``classes``, default 2); for arm ``c``: ``s ~ U(0, 1)``, radius
  ``r = s``, angle ``t = 1.75 * 2 pi * s + 2 pi c / k``; ``x = (r sin t, r cos t)``.
- ``gaussian``: ``k`` blobs (``classes``, 2 to 10); blob ``c`` is centred on the circle of
  radius 0.7 at angle ``pi / 4 + 2 pi c / k`` with spread ``0.2 * N(0, 1)`` per coordinate (the
  ``noise`` comes on top of that).

Regression sets have a single target column ``y`` and ``classes = None``:

- ``sine``: ``X`` ``(samples, 1)`` with ``x ~ U(-pi, pi)``; ``y = sin(x) + noise * N(0, 1)``.
- ``plane``: ``X`` ``(samples, 2)`` with ``x1, x2 ~ U(-1, 1)``;
  ``y = PLANE_A * x1 + PLANE_B * x2 + noise * N(0, 1)``.

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bp_studio.data.examples import Dataset

__all__ = [
    "GENERATORS",
    "MAX_CLASSES",
    "MAX_NOISE",
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "PLANE_A",
    "PLANE_B",
    "GeneratorInfo",
    "check_settings",
    "generate",
]

MIN_SAMPLES = 4
MAX_SAMPLES = 1_000_000
MAX_NOISE = 10.0
MAX_CLASSES = 10
PLANE_A = 1.5
PLANE_B = -0.8
"""Coefficients of the ``plane`` regression set: ``y = PLANE_A * x1 + PLANE_B * x2 + noise``."""


@dataclass(frozen=True)
class GeneratorInfo:
    """What the window needs to offer a generator in a menu.

    ``classification``: targets are class numbers (else a regression target ``y``).
    ``variable_classes``: the ``classes`` argument sets the number of classes (else it is
    ignored and the set has ``len(class_names)`` classes). ``inputs``: columns of ``X``.
    """

    name: str
    title: str
    classification: bool
    variable_classes: bool
    inputs: int
    class_names: tuple[str, ...] | None
    description: str


def _balanced_counts(samples: int, k: int) -> list[int]:
    """``samples`` split into ``k`` counts that differ by at most one (larger ones first)."""
    return [samples // k + (1 if c < samples % k else 0) for c in range(k)]


def _xor(rng: np.random.Generator, n: int) -> np.ndarray:
    magnitude = rng.uniform(0.1, 1.0, size=(n, 2))
    flip = rng.integers(0, 2, size=n) * 2 - 1  # which of the two quadrants
    return magnitude * np.column_stack([flip, flip])


def _xor_other(rng: np.random.Generator, n: int) -> np.ndarray:
    magnitude = rng.uniform(0.1, 1.0, size=(n, 2))
    flip = rng.integers(0, 2, size=n) * 2 - 1
    return magnitude * np.column_stack([flip, -flip])


def _ring(low: float, high: float) -> Callable[[np.random.Generator, int], np.ndarray]:
    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        radius = rng.uniform(low, high, size=n)
        angle = rng.uniform(0.0, 2.0 * math.pi, size=n)
        return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])

    return draw


def _moon(upper: bool) -> Callable[[np.random.Generator, int], np.ndarray]:
    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        t = rng.uniform(0.0, math.pi, size=n)
        if upper:
            points = np.column_stack([np.cos(t), np.sin(t)])
        else:
            points = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
        return (points - np.array([0.5, 0.25])) * 0.8

    return draw


def _spiral_arm(c: int, k: int) -> Callable[[np.random.Generator, int], np.ndarray]:
    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        s = rng.uniform(0.0, 1.0, size=n)
        angle = 1.75 * 2.0 * math.pi * s + 2.0 * math.pi * c / k
        return np.column_stack([s * np.sin(angle), s * np.cos(angle)])

    return draw


def _blob(c: int, k: int) -> Callable[[np.random.Generator, int], np.ndarray]:
    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        angle = math.pi / 4.0 + 2.0 * math.pi * c / k
        centre = 0.7 * np.array([math.cos(angle), math.sin(angle)])
        return centre + 0.2 * rng.standard_normal(size=(n, 2))

    return draw


_XOR_CLASSES = ("same sign", "opposite signs")
_CIRCLES_CLASSES = ("inner", "outer")
_MOONS_CLASSES = ("upper moon", "lower moon")

GENERATORS: dict[str, GeneratorInfo] = {
    info.name: info
    for info in (
        GeneratorInfo(
            "xor", "XOR (four quadrants)", True, False, 2, _XOR_CLASSES,
            "class by the signs of x1 and x2: same sign or opposite signs",
        ),
        GeneratorInfo(
            "circles", "Circles (inner and outer)", True, False, 2, _CIRCLES_CLASSES,
            "a disc of one class inside a ring of the other",
        ),
        GeneratorInfo(
            "moons", "Two moons", True, False, 2, _MOONS_CLASSES,
            "two interleaved half circles",
        ),
        GeneratorInfo(
            "spiral", "Spiral", True, True, 2, None,
            "one spiral arm per class (2 arms unless classes says otherwise)",
        ),
        GeneratorInfo(
            "gaussian", "Gaussian blobs", True, True, 2, None,
            "one round cloud of points per class, centred on a circle",
        ),
        GeneratorInfo(
            "sine", "Sine wave (regression)", False, False, 1, None,
            "y = sin(x) + noise for x from -pi to pi",
        ),
        GeneratorInfo(
            "plane", "Plane (regression)", False, False, 2, None,
            f"y = {PLANE_A} x1 + {PLANE_B} x2 + noise for x1, x2 from -1 to 1",
        ),
    )
}  # fmt: skip
"""Generators by name, in menu order."""


def _whole(value: object) -> int | None:
    """``value`` as an int if it is a whole number (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return None


def check_settings(
    name: str, samples: int = 200, noise: float = 0.1, seed: int = 0, classes: int = 2
) -> str | None:
    """``None`` if ``generate`` accepts these settings, else a one-line message saying why not.

    Limits: a known ``name``; ``samples`` a whole number from 4 to 1,000,000; ``noise`` a
    number from 0 to 10 (not NaN); ``seed`` a whole number from 0; for ``gaussian`` and
    ``spiral`` (whose ``classes`` sets the number of classes) ``classes`` from 2 to 10 and
    at least two samples per class. ``classes`` is ignored by the other generators.
    """
    info = GENERATORS.get(name) if isinstance(name, str) else None
    if info is None:
        known = ", ".join(GENERATORS)
        return f"unknown data set {name!r} (known: {known})"
    n = _whole(samples)
    if n is None or not MIN_SAMPLES <= n <= MAX_SAMPLES:
        return (
            f"samples must be a whole number from {MIN_SAMPLES} to {MAX_SAMPLES:,}, got {samples!r}"
        )
    real = isinstance(noise, (int, float, np.integer, np.floating)) and not isinstance(noise, bool)
    level = float(noise) if real else math.nan
    if not 0.0 <= level <= MAX_NOISE:
        return f"noise must be a number from 0 to {MAX_NOISE:g}, got {noise!r}"
    s = _whole(seed)
    if s is None or s < 0:
        return f"seed must be a whole number from 0 up, got {seed!r}"
    if info.variable_classes:
        k = _whole(classes)
        if k is None or not 2 <= k <= MAX_CLASSES:
            return (
                f"classes must be a whole number from 2 to {MAX_CLASSES} for {name}, "
                f"got {classes!r}"
            )
        if n < 2 * k:
            return f"{n} samples are too few for {k} classes (at least 2 per class: {2 * k})"
    return None


def generate(
    name: str, samples: int = 200, noise: float = 0.1, seed: int = 0, classes: int = 2
) -> Dataset:
    """The generated data set ``name`` (see the module docstring for formulas and shapes).

    Raises ``ValueError`` with the message of :func:`check_settings` for unusable settings.
    """
    problem = check_settings(name, samples, noise, seed, classes)
    if problem is not None:
        raise ValueError(problem)
    info = GENERATORS[name]
    samples, seed, noise = int(samples), int(seed), float(noise)
    rng = np.random.default_rng(seed)
    title = f"{info.title}: {samples} samples, noise {noise:g}"
    source = f"generated: {name}, samples={samples}, noise={noise:g}, seed={seed}"
    if info.variable_classes:
        source += f", classes={int(classes)}"

    if not info.classification:
        if name == "sine":
            X = rng.uniform(-math.pi, math.pi, size=(samples, 1))
            y = np.sin(X[:, 0])
            input_names: tuple[str, ...] = ("x",)
        else:  # plane
            X = rng.uniform(-1.0, 1.0, size=(samples, 2))
            y = PLANE_A * X[:, 0] + PLANE_B * X[:, 1]
            input_names = ("x1", "x2")
        y = y + noise * rng.standard_normal(samples)
        return Dataset(
            name, title, X, y.reshape(-1, 1), input_names, ("y",), classes=None, source=source
        )

    draws: list[Callable[[np.random.Generator, int], np.ndarray]]
    names: tuple[str, ...]
    if name == "xor":
        draws, names = [_xor, _xor_other], _XOR_CLASSES
    elif name == "circles":
        draws, names = [_ring(0.0, 0.5), _ring(0.7, 1.0)], _CIRCLES_CLASSES
    elif name == "moons":
        draws, names = [_moon(True), _moon(False)], _MOONS_CLASSES
    else:
        k = int(classes)
        make = _spiral_arm if name == "spiral" else _blob
        draws = [make(c, k) for c in range(k)]
        names = tuple(f"class {c}" for c in range(k))

    counts = _balanced_counts(samples, len(draws))
    X = np.concatenate([draw(rng, n) for draw, n in zip(draws, counts)])
    labels = np.repeat(np.arange(len(draws), dtype=np.float64), counts)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(samples)
    return Dataset(
        name,
        title,
        X[order],
        labels[order].reshape(-1, 1),
        ("x1", "x2"),
        ("class",),
        classes=names,
        source=source,
    )
