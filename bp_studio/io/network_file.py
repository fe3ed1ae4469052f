"""The network file: how BP Studio saves and exports learned weights (JSON).

```json
{"format": "bp-studio.network", "version": 1, "loss": "mse",
 "layers": [
   {"activation": "sigmoid", "weight": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35]},
   {"activation": "sigmoid", "weight": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60]}]}
```

``weight[j][i]`` connects input ``i`` of the layer to its unit ``j`` (shape ``(units, inputs)``);
``"bias": null`` is a layer without bias.

Two optional fields, written only when the network has them (each on its own line, before
``layers``):

- ``"input_names": ["x1", "x2"]``: one text name per network input (``Network.input_names``);
- ``"normalization": {"kind": "standardize", "offset": [0.5, 1.0], "scale": [2.0, 0.25]}``: the
  input normalisation ``x_normalised = (x - offset) / scale`` (``Network.normalization``;
  ``kind`` is ``standardize`` or ``minmax``; ``offset`` and ``scale`` have one value per input,
  ``scale`` values positive normal numbers, at least 2.2250738585072014e-308: a subnormal
  scale would turn every input into infinity or garbage). With it, ``predict`` on raw inputs
  after loading is bit-identical.

``null`` for either means "not set". Other fields are allowed and ignored, so later
versions may add optional ones (optimiser state, metadata) without breaking this reader.
Floats are written with ``repr`` (the shortest text that reads back as the same float64), so a
save and load round trip is exact.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from bp_studio.engine.network import (
    Network,
    NetworkFileFormat,
    check_architecture,
    register_file_format,
)
from bp_studio.engine.normalization import NORMALIZATIONS, Normalization
from bp_studio.io.atomic import atomic_write_text
from bp_studio.io.capped import CappedReadError, read_capped

FORMAT = "bp-studio.network"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
"""Network files larger than this are refused before being read."""
_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
_Fail = Callable[[str], Exception]
"""``fail(message)``: the error to raise, naming the file and the field."""


class NetworkFileError(ValueError):
    """A network file cannot be used; the message names the file and the field."""


def network_to_dict(network: Network) -> dict[str, Any]:
    """The JSON-ready dictionary of ``network`` (lists of Python floats).

    ``input_names`` and ``normalization`` are included only when the network has them.
    Raises ``ValueError`` if either does not have one entry per network input (such a file
    could not be read back).
    """
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "loss": network.loss_name}
    names = network.input_names
    if names is not None:
        if len(names) != network.inputs:
            raise ValueError(
                f"input_names has {len(names)} names but the network has {network.inputs} inputs"
            )
        data["input_names"] = [str(name) for name in names]
    normalization = network.normalization
    if normalization is not None:
        if normalization.inputs != network.inputs:
            raise ValueError(
                f"the normalization has {normalization.inputs} inputs but the network has "
                f"{network.inputs}"
            )
        data["normalization"] = {
            "kind": normalization.kind,
            "offset": normalization.offset.tolist(),
            "scale": normalization.scale.tolist(),
        }
    data["layers"] = [
        {
            "activation": layer.activation,
            "weight": layer.weight.tolist(),
            "bias": None if layer.bias is None else layer.bias.tolist(),
        }
        for layer in network.layers
    ]
    return data


def network_to_json(network: Network) -> str:
    """The network file's text: one line per optional field and per layer, floats exact."""
    data = network_to_dict(network)
    layers = ",\n   ".join(json.dumps(layer, allow_nan=False) for layer in data["layers"])
    own_line = ("input_names", "normalization", "layers")
    head = json.dumps({k: v for k, v in data.items() if k not in own_line}, allow_nan=False)
    parts = [head[:-1]]
    for key in own_line[:-1]:
        if key in data:
            parts.append(f" {json.dumps(key)}: {json.dumps(data[key], allow_nan=False)}")
    parts.append(' "layers": [\n   ' + layers + "]}\n")
    return ",\n".join(parts)


def save_network(network: Network, path: str | os.PathLike) -> None:
    """Write ``network`` to ``path`` atomically (an interrupted save keeps the old file)."""
    atomic_write_text(path, network_to_json(network))


def load_network(path: str | os.PathLike) -> Network:
    """Read and validate a network file; ``NetworkFileError`` names the problem."""
    name = os.fspath(path)
    try:
        raw = read_capped(name, MAX_BYTES, "a network file")
    except CappedReadError as exc:
        raise NetworkFileError(str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM is allowed, as in CSV, session and weight files
    except UnicodeDecodeError:
        raise NetworkFileError(f"{name}: not a network file (not UTF-8 text)") from None
    return network_from_json(text, name)


def network_from_json(text: str, source: str = "network file") -> Network:
    """Parse network-file text; ``source`` names it in messages."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except _NonFinite as exc:
        where = _constant_field(text)
        raise NetworkFileError(f"{source}: {where}{exc}") from None
    except ValueError as exc:
        raise NetworkFileError(f"{source}: not JSON ({exc})") from None
    except RecursionError:
        raise NetworkFileError(f"{source}: not a network file (nested too deeply)") from None
    return network_from_dict(data, source)


class _NonFinite(ValueError):
    pass


def _reject_constant(word: str) -> float:
    raise _NonFinite(f"{word} is not a finite number (network files hold finite numbers only)")


class _Constant(float):
    """``NaN``, ``Infinity`` or ``-Infinity`` read from the text, to find the field it is in."""


def _constant_field(text: str) -> str:
    """``"layers[0].weight[1][0]: "`` for the first NaN or infinity in ``text`` (or ``""``)."""

    def find(value: Any, where: str) -> str | None:
        if isinstance(value, _Constant):
            return where
        if isinstance(value, dict):
            children = ((f"{where}.{key}" if where else str(key), v) for key, v in value.items())
        elif isinstance(value, list):
            children = ((f"{where}[{i}]", v) for i, v in enumerate(value))
        else:
            return None
        for child_where, child in children:
            found = find(child, child_where)
            if found is not None:
                return found
        return None

    try:
        found = find(json.loads(text, parse_constant=_Constant), "")
    except (ValueError, RecursionError):
        return ""
    return f"{found}: " if found else ""


def network_from_dict(data: Any, source: str = "network file") -> Network:
    """Validate a decoded network file and build the network; ``NetworkFileError`` if unfit."""

    def fail(message: str) -> NetworkFileError:
        return NetworkFileError(f"{source}: {message}")

    if not isinstance(data, dict):
        raise fail(f"not a BP Studio network file (expected a JSON object with format {FORMAT!r})")
    if data.get("format") != FORMAT:
        raise fail(
            f"not a BP Studio network file (format is {data.get('format')!r}, expected {FORMAT!r})"
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"version: expected a whole number, got {version!r}")
    if version > VERSION:
        raise fail(
            f"version {version} is newer than this BP Studio reads (version {VERSION}); "
            "update BP Studio to open it"
        )
    loss = data.get("loss")
    if not isinstance(loss, str):
        raise fail(f"loss: expected a name such as 'mse', got {loss!r}")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise fail("layers: expected a non-empty list of layers")
    weights, biases, activations = [], [], []
    for index, layer in enumerate(layers):
        where = f"layers[{index}]"
        if not isinstance(layer, dict):
            raise fail(f"{where}: expected an object with activation, weight and bias")
        activation = layer.get("activation")
        if not isinstance(activation, str):
            raise fail(f"{where}.activation: expected a name such as 'sigmoid', got {activation!r}")
        if "weight" not in layer:
            raise fail(f"{where}.weight: missing")
        weights.append(_matrix(layer["weight"], f"{where}.weight", fail))
        bias = layer.get("bias")
        biases.append(None if bias is None else _vector(bias, f"{where}.bias", fail))
        activations.append(activation)
    try:
        check_architecture([w.shape for w in weights], activations, loss, biases)
        network = Network(weights, biases, activations, loss)
    except ValueError as exc:
        raise fail(str(exc)) from None
    network.input_names = _input_names(data.get("input_names"), network.inputs, fail)
    network.normalization = _normalization(data.get("normalization"), network.inputs, fail)
    return network


def _input_names(value: Any, inputs: int, fail: _Fail) -> tuple[str, ...] | None:
    """``input_names``: ``None`` or a list of ``inputs`` strings."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise fail(
            f"input_names: expected a list of {inputs} names (one per input), "
            f"got {type(value).__name__}"
        )
    if len(value) != inputs:
        raise fail(f"input_names: expected {inputs} names (the network's inputs), got {len(value)}")
    for index, name in enumerate(value):
        if not isinstance(name, str):
            raise fail(f"input_names[{index}]: expected a text name, got {name!r}")
    return tuple(value)


def _normalization(value: Any, inputs: int, fail: _Fail) -> Normalization | None:
    """``normalization``: ``None`` or ``{"kind", "offset", "scale"}`` with ``inputs`` values."""
    if value is None:
        return None
    where = "normalization"
    if not isinstance(value, dict):
        raise fail(
            f"{where}: expected an object with kind, offset and scale, got {type(value).__name__}"
        )
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in NORMALIZATIONS:
        known = " or ".join(repr(k) for k in NORMALIZATIONS)
        raise fail(f"{where}.kind: expected {known}, got {kind!r}")
    arrays = {}
    for field in ("offset", "scale"):
        if field not in value:
            raise fail(f"{where}.{field}: missing")
        vector = _vector(value[field], f"{where}.{field}", fail)
        if vector.shape[0] != inputs:
            raise fail(
                f"{where}.{field}: expected {inputs} values (the network's inputs), "
                f"got {vector.shape[0]}"
            )
        arrays[field] = vector
    for index, number in enumerate(arrays["scale"].tolist()):
        if not number > 0:
            raise fail(f"{where}.scale[{index}]: must be positive, got {number!r}")
        if number < _SMALLEST_NORMAL:  # dividing by it overflows, or loses all precision
            raise fail(
                f"{where}.scale[{index}]: {number!r} is too small to divide by "
                f"(below {_SMALLEST_NORMAL!r}, the smallest normal float64)"
            )
    try:
        return Normalization(kind, arrays["offset"], arrays["scale"])
    except ValueError as exc:  # not expected after the checks above
        raise fail(f"{where}: {exc}") from None


def _number(value: Any, where: str, fail: _Fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{where}: expected a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise fail(f"{where}: the number is too large (float64 goes up to about 1.8e308)") from None
    if not math.isfinite(number):
        raise fail(f"{where}: {value!r} is not a finite number")
    return number


def _vector(values: Any, where: str, fail: _Fail) -> np.ndarray:
    if not isinstance(values, list):
        raise fail(f"{where}: expected a list of numbers, got {type(values).__name__}")
    return np.array([_number(v, f"{where}[{i}]", fail) for i, v in enumerate(values)])


def _matrix(rows: Any, where: str, fail: _Fail) -> np.ndarray:
    if not isinstance(rows, list) or not rows:
        raise fail(f"{where}: expected a non-empty list of rows (one per unit)")
    matrix = [_vector(row, f"{where}[{j}]", fail) for j, row in enumerate(rows)]
    width = len(matrix[0])
    if width == 0:
        raise fail(f"{where}[0]: a row needs at least one number")
    for j, row in enumerate(matrix):
        if len(row) != width:
            raise fail(
                f"{where}[{j}]: ragged matrix: row 0 has {width} numbers, row {j} has {len(row)}"
            )
    return np.array(matrix)


register_file_format(NetworkFileFormat(load_network, save_network))
