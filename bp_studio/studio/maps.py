"""What a network computes over the input plane of 2-D data, and the colours it is drawn in.

Qt-free (numpy only): the data view and the canvas's node pictures draw these arrays.

The plane is a ``grid x grid`` lattice of cell centres over a box ``(x_min, x_max, y_min,
y_max)``: pixel ``[i, j]`` (row-major) is the raw point ``(grid_x[j], grid_y[i])``, row
``i * grid + j`` of ``grid_points``; rows go up the ``x2`` axis. A map is one forward pass over
the grid that gives every layer's activations together (``PlaneGrid.forward``).

One colour scale for every value a node shows, on the canvas and in its pictures:
``diverging_rgb(v / scale)``, orange (negative) through white (0) to blue (positive), with
``scale`` the activation's bound (1 for sigmoid, tanh and softmax; the largest ``|a|`` else:
``value_scale``). A sigmoid unit is white where it is 0 and full blue where it is 1, in a
picture exactly as in its circle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bp_studio.data.features import apply_features
from bp_studio.engine.activations import get_activation
from bp_studio.engine.network import Network

NEGATIVE_COLOR = "#e66101"
"""Orange: negative values, class 0 of two classes (a colour-blind-safe pair with blue)."""
POSITIVE_COLOR = "#2166ac"
"""Blue: positive values, class 1 of two classes."""
ZERO_COLOR = "#ffffff"
MARGIN = 0.1
"""The map covers the data's bounding box plus this share of its width on every side."""


def rgb(colour: str) -> np.ndarray:
    """``#rrggbb`` as three floats 0..255."""
    text = colour.lstrip("#")
    return np.array([int(text[k : k + 2], 16) for k in (0, 2, 4)], dtype=np.float64)


def bound(activation: str) -> float | None:
    """The largest ``|a|`` an activation can give (its registry ``output_range``: 1 for
    sigmoid, tanh and softmax), or ``None`` when it is unbounded (ReLU, linear, softplus)."""
    low, high = get_activation(activation).output_range
    if math.isfinite(low) and math.isfinite(high):
        return max(abs(low), abs(high))
    return None


def value_scale(activation: str, values: np.ndarray) -> float:
    """The ``|a|`` drawn at full colour: the activation's bound, else ``max(1, max |a|)``.

    The canvas colours a node's value against ``max(1, max |v|)`` of its column, which for a
    bounded activation is its bound; unbounded ones (ReLU, linear) take their largest value.
    """
    limit = bound(activation)
    if limit is not None:
        return limit
    finite = np.abs(values[np.isfinite(values)])
    return max(1.0, float(finite.max())) if finite.size else 1.0


def diverging_rgb(t: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """uint8 RGB ``t.shape + (3,)`` of ``t`` in ``[-1, 1]``: orange, white at 0, blue.

    ``strength`` (0..1) is how far the ends go from white (the data view's map keeps its
    points readable with 0.6). NaN is white; ``|t| > 1`` is clipped.
    """
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64)), -1.0, 1.0)
    zero = rgb(ZERO_COLOR)
    ends = np.where(t[..., None] < 0, rgb(NEGATIVE_COLOR), rgb(POSITIVE_COLOR))
    out = zero + (np.abs(t) * strength)[..., None] * (ends - zero)
    return np.rint(out).astype(np.uint8)


def diverging_lut(strength: float, entries: int = 256) -> np.ndarray:
    """``(entries, 3)`` uint8 from orange (low) through white (middle) to blue (high)."""
    return diverging_rgb(np.linspace(-1.0, 1.0, entries), strength)


def class_rgb(
    outputs: np.ndarray, palette: Sequence[str], strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """The winning class's colour at each row of ``outputs`` ``(n, k)``, lighter where unsure.

    ``share = (p_win - 1/k) / (1 - 1/k)`` goes from white (a tie) to ``strength`` of the colour
    (certain). Returns ``(n, 3)`` uint8 and the winners ``(n,)``.
    """
    k = outputs.shape[1]
    winner = np.argmax(outputs, axis=1)
    sure = outputs[np.arange(outputs.shape[0]), winner]
    share = np.clip(np.nan_to_num((sure - 1.0 / k) / (1.0 - 1.0 / k)), 0.0, 1.0)
    colours = np.array([rgb(c) for c in palette])[winner]
    zero = rgb(ZERO_COLOR)
    out = zero + (strength * share)[:, None] * (colours - zero)
    return np.rint(out).astype(np.uint8), winner


def centres(low: float, high: float, count: int) -> np.ndarray:
    """``count`` cell centres spread evenly over ``[low, high]``."""
    return low + (np.arange(count) + 0.5) * ((high - low) / count)


def plane_box(points: np.ndarray, margin: float = MARGIN) -> tuple[float, float, float, float]:
    """``(x_min, x_max, y_min, y_max)``: the bounding box of ``points`` ``(n, 2)`` plus
    ``margin`` of its width on every side (``[-1.2, 1.2]`` squared without points)."""
    if points.shape[0] == 0:
        lows, highs = np.full(2, -1.0), np.full(2, 1.0)
    else:
        lows, highs = points.min(axis=0), points.max(axis=0)
    spans = highs - lows
    spans = np.where(spans > 0, spans, 1.0)
    lows, highs = lows - margin * spans, highs + margin * spans
    return (float(lows[0]), float(highs[0]), float(lows[1]), float(highs[1]))


def lattice(box: tuple[float, float, float, float], size: int) -> np.ndarray:
    """The ``size * size`` cell centres of ``box``: row ``i * size + j`` = ``(x_j, y_i)``."""
    xs = centres(box[0], box[1], size)
    ys = centres(box[2], box[3], size)
    return np.column_stack([np.tile(xs, size), np.repeat(ys, size)])


def forward_layers(
    network: Network, a: np.ndarray, buffers: list[np.ndarray] | None = None
) -> list[np.ndarray]:
    """Every layer's activations (read-only) for network inputs ``a`` (normalised already).

    The same operations as ``Network.predict``. ``buffers`` (reused between calls) receive
    each layer's ``z``; they are resized when the network's shape changes.
    """
    activations = []
    for index, layer in enumerate(network.layers):
        shape = (a.shape[0], layer.units)
        if buffers is None:
            z = a @ layer.weight.T
        else:
            if len(buffers) <= index:
                buffers.append(np.empty(shape))
            elif buffers[index].shape != shape:
                buffers[index] = np.empty(shape)
            z = np.matmul(a, layer.weight.T, out=buffers[index])
        if layer.bias is not None:
            z += layer.bias
        a = layer.function.forward(z)
        if buffers is not None and np.shares_memory(a, z):
            a = a.copy()  # linear: the output must outlive the buffer
        a.flags.writeable = False
        activations.append(a)
    return activations


def node_pictures(network: Network, activations: list[np.ndarray], size: int) -> dict:
    """Every hidden and output node's value over a ``size x size`` lattice, as uint8 RGB.

    ``activations`` are ``forward_layers`` over ``lattice(box, size)``. Keyed by ``(node_layer,
    unit)`` (node layer 1..L, the canvas's columns); each picture is ``(size, size, 3)`` with
    ``x2`` growing upwards (row 0 is the top), coloured ``diverging_rgb(a / value_scale)``.
    """
    pictures: dict[tuple[int, int], np.ndarray] = {}
    for index, a in enumerate(activations):
        scale = value_scale(network.layers[index].activation, a)
        colours = diverging_rgb(a / scale).reshape(size, size, a.shape[1], 3)[::-1]
        for unit in range(a.shape[1]):
            pictures[(index + 1, unit)] = np.ascontiguousarray(colours[:, :, unit, :])
    return pictures


class PlaneGrid:
    """The ``grid x grid`` lattice over 2-D data and the network's values on it.

    ``fit`` places the box over the data (kept when the same data comes back inside it);
    ``inputs`` is the lattice as the network's first layer sees it (features, then the
    network's normalisation; cached per normalisation); ``forward`` is one pass over it,
    reused while the network's parameters are unchanged.
    """

    def __init__(self, grid: int) -> None:
        grid = int(grid)
        if grid < 2:
            raise ValueError(f"grid must be at least 2, got {grid}")
        self.grid = grid
        self.features: tuple[str, ...] = ()
        self.box: tuple[float, float, float, float] | None = None
        self.grid_x = np.zeros(0)
        self.grid_y = np.zeros(0)
        self.grid_points = np.zeros((0, 2))
        """Raw points of the map, row ``i * grid + j`` = ``(grid_x[j], grid_y[i])``."""
        self.grid_features = np.zeros((0, 2))
        """``grid_points`` through the features (the network's inputs before normalisation)."""
        self._key: object = None
        self._inputs: dict[int, tuple[object, int, np.ndarray]] = {}
        self._buffers: list[np.ndarray] = []
        self._snapshot: tuple[Network, np.ndarray, object, list[np.ndarray]] | None = None

    def fit(self, points: np.ndarray, features: tuple[str, ...], key: object) -> None:
        """Cover ``points`` (raw, ``(n, 2)``) of the data called ``key``, through ``features``.

        The box stays when ``key`` and ``features`` are unchanged and every point is inside it
        (after drawing a point, the map does not jump).
        """
        key = (key, tuple(features))
        box = self.box
        keep = (
            self._key == key
            and box is not None
            and self.grid_points.shape[0] == self.grid * self.grid
            and bool(np.all((points[:, 0] >= box[0]) & (points[:, 0] <= box[1])))
            and bool(np.all((points[:, 1] >= box[2]) & (points[:, 1] <= box[3])))
        )
        self._key = key
        self.features = tuple(features)
        if keep:
            return
        self.box = plane_box(points)
        g = self.grid
        self.grid_x = centres(self.box[0], self.box[1], g)
        self.grid_y = centres(self.box[2], self.box[3], g)
        self.grid_points = lattice(self.box, g)
        self.grid_features = self._through_features(self.grid_points)
        self._inputs = {}
        self._snapshot = None

    def _through_features(self, points: np.ndarray) -> np.ndarray:
        return apply_features(points, self.features) if self.features else points

    def inputs(self, network: Network, size: int | None = None) -> np.ndarray:
        """The lattice (``size`` cells a side; default ``grid``) as the first layer sees it."""
        size = self.grid if size is None else int(size)
        norm = network.normalization
        cached = self._inputs.get(size)
        if cached is None or cached[0] is not norm or cached[1] != network.inputs:
            assert self.box is not None
            raw = self.grid_features if size == self.grid else None
            if raw is None:
                raw = self._through_features(lattice(self.box, size))
            cached = (norm, network.inputs, network.check_inputs(raw))
            self._inputs[size] = cached
        return cached[2]

    def forward(self, network: Network) -> list[np.ndarray]:
        """Every layer's activations over the grid, ``(grid * grid, units)`` each.

        Recomputed only when ``network``, its normalisation or its parameters changed since
        the last call (the arrays of an earlier call stay valid: they are never overwritten).
        """
        snapshot = self._snapshot
        if snapshot is not None and self.valid(network):
            return snapshot[3]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            buffers = self._buffers
            activations = forward_layers(network, self.inputs(network), buffers)
        self._snapshot = (
            network,
            network.parameters.copy(),
            network.normalization,
            activations,
        )
        return activations

    def valid(self, network: Network | None) -> bool:
        """Whether the last ``forward`` is still ``network``'s (same object and parameters)."""
        snapshot = self._snapshot
        return (
            snapshot is not None
            and network is snapshot[0]
            and network.normalization is snapshot[2]
            and np.array_equal(network.parameters, snapshot[1])
        )

    def forget(self) -> None:
        """Drop the last forward pass (the network changed shape or went away)."""
        self._snapshot = None

    def neuron_maps(self, network: Network) -> list[np.ndarray]:
        """Every hidden layer's activations: ``(units, grid, grid)`` per layer (read-only)."""
        g = self.grid
        hidden = self.forward(network)[:-1]
        return [np.moveaxis(a.reshape(g, g, a.shape[1]), -1, 0) for a in hidden]

    def pictures(self, network: Network, size: int) -> dict[tuple[int, int], np.ndarray]:
        """``node_pictures`` on a ``size x size`` lattice of the same box."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            activations = forward_layers(network, self.inputs(network, size))
        return node_pictures(network, activations, size)
