"""Exporting and importing learned weights: JSON, NumPy ``.npz``, CSV and ONNX.

Every export is built in memory and written with ``atomic_write_bytes``, so an interrupted
export keeps the old file. Layer ``i`` (counted from 0) has ``weight`` ``(units, inputs)``
(``weight[j, k]`` connects input ``k`` to unit ``j``: PyTorch ``nn.Linear``'s orientation) and
an optional ``bias`` ``(units,)``.

``json``
    The network file of ``bp_studio.io.network_file`` (``{"format": "bp-studio.network", ...}``).

``npz``
    A NumPy archive, loadable with ``np.load(path, allow_pickle=False)``, holding

    - ``layers.{i}.weight``: float64 ``(units, inputs)`` and ``layers.{i}.bias``: float64
      ``(units,)`` (absent for a layer without bias): the names and orientation of the
      ``state_dict`` of a PyTorch module that keeps its ``nn.Linear`` layers in
      ``self.layers = nn.ModuleList([...])``, so ``load_state_dict`` needs no transposes
      (drop the non-parameter arrays below first, or load with ``strict=False``);
    - ``activations``: unicode ``(layers,)``, e.g. ``['tanh', 'sigmoid']``;
    - ``loss``: unicode, 0-d (``str(archive['loss'])``);
    - when the network normalises its inputs: ``normalization_kind`` (unicode, 0-d),
      ``normalization_offset`` and ``normalization_scale`` (float64 ``(inputs,)``;
      ``x_normalised = (x - offset) / scale``);
    - when the inputs are named: ``input_names``: unicode ``(inputs,)``.

    No array is an object array, so nothing in the file is ever unpickled.

``csv``
    Comment lines starting with ``#`` (``# key: value``), then one long table with the header
    ``layer,parameter,to,from,value``: one row per weight (``parameter`` ``weight``, ``to`` the
    unit ``j``, ``from`` the input ``k``) and per bias (``parameter`` ``bias``, ``from`` empty),
    layer by layer, all counted from 0. Values are written with ``repr``, so they read back as
    the same float64. Lines end with ``\\n``. The comment lines carry what ``predict`` needs
    besides the weights, so the file alone reproduces it::

        # bp-studio weights: network 2-4-1 (tanh, sigmoid), mse
        # activations: tanh,sigmoid
        # loss: mse
        # normalization: standardize
        # normalization_offset: 0.5,1.0
        # normalization_scale: 2.0,0.25
        # input_names: ["x1", "x2"]
        layer,parameter,to,from,value
        0,weight,0,0,0.15
        ...

    ``activations`` has one name per layer (``sigmoid`` ``1 / (1 + exp(-z))``, ``tanh``,
    ``relu`` ``max(z, 0)``, ``leaky_relu`` ``z if z > 0 else 0.01 z``, ``linear`` ``z``,
    ``softmax`` over each row); ``normalization`` (only when the network normalises its inputs)
    means ``x_normalised = (x - offset) / scale`` with one offset and scale per input;
    ``input_names`` (only when named) is a JSON list. Spreadsheets and ``pandas.read_csv(path,
    comment="#")`` skip the comment lines.

``onnx``
    A standard ONNX model (opset 17, IR version 8) built with the ``onnx`` package (optional:
    ``pip install 'bp-studio[onnx]'``). Input ``X`` is ``(batch, inputs)`` float64, output
    ``Y`` is ``(batch, outputs)`` float64, and every node computes in float64:

    - when the network normalises its inputs: ``Sub`` (``normalization.offset``) then ``Div``
      (``normalization.scale``);
    - per layer: ``Gemm`` with ``transB=1`` (``Y = X W^T + b``, so the initializer
      ``layers.{i}.weight`` keeps its ``(units, inputs)`` shape; no ``C`` input when the layer
      has no bias), then the activation's nodes as its registry entry lists them
      (``Activation.onnx``): ``Sigmoid``, ``Tanh``, ``Relu``, ``Identity`` (linear),
      ``Softmax`` (``axis=1``), and for ``leaky_relu`` a ``PRelu`` whose slope is the float64
      initializer ``layers.{i}.leaky_relu_slope = [0.01]``. An activation's constants are
      initializers ``layers.{i}.{name}``, its intermediate values ``layers.{i}.{activation}.
      {name}``; a one-node activation's node is named ``layers.{i}.{activation}``.

    Why ``PRelu`` and not ``LeakyRelu``: ONNX stores ``LeakyRelu``'s ``alpha`` as a float32
    attribute (0.01 becomes 0.009999999776...), and onnxruntime has no float64 ``LeakyRelu``
    kernel (it only runs it through its function body, at opsets 16 to 18). ``PRelu`` with a
    float64 slope is exactly ``z if z > 0 else 0.01 z`` in float64. No node needs a cast to
    float32: onnxruntime (CPU) reproduces ``Network.predict`` to about 1e-15. It needs
    onnxruntime 1.18 or later: 1.17 fuses ``Gemm`` with ``Sigmoid``, ``Tanh`` or ``Relu`` into
    a float32-only ``FusedGemm`` and then refuses to load float64 models (fixed by
    microsoft/onnxruntime#19612; with 1.17 set ``graph_optimization_level`` to
    ``ORT_ENABLE_BASIC``).

``py``
    A standalone Python script importing only numpy, with the weights (and the input
    normalisation) embedded: ``predict(X)``, and ``python model.py DATA.csv`` prints what
    ``bp-studio predict`` prints (``bp_studio.io.codegen.predict_script``).

``import_weights`` reads a ``json`` network file, an ``npz`` archive or a ``csv`` table as above
and copies its values into a network of the same shapes, all or nothing. An ``npz`` archive is
checked member by member from its zip directory and each ``.npy`` header (size cap, declared
uncompressed size, dtype, and shape against the network) before ``np.load(allow_pickle=False)``
reads only the arrays declared, so a member that inflates beyond its declared size is never
inflated.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from bp_studio.engine.network import Network
from bp_studio.io.atomic import atomic_write_bytes
from bp_studio.io.capped import CappedReadError, read_capped, size_text

if TYPE_CHECKING:  # pragma: no cover
    import onnx

__all__ = [
    "FORMATS",
    "MAX_IMPORT_BYTES",
    "ONNX_MISSING_MESSAGE",
    "ONNX_OPSET",
    "WeightFileError",
    "export_weights",
    "format_for_path",
    "import_weights",
    "npz_arrays",
    "onnx_model",
    "read_weight_arrays",
    "weights_bytes",
    "weights_csv",
]

FORMATS = ("json", "npz", "csv", "onnx", "py")
"""The export formats, by name (also the usual file suffixes)."""

MAX_IMPORT_BYTES = 256 * 1024 * 1024
"""Weight files larger than this (or unpacking to more than this) are refused before reading."""

ONNX_OPSET = 17
ONNX_IR_VERSION = 8
ONNX_MISSING_MESSAGE = "ONNX export needs the onnx package: pip install 'bp-studio[onnx]'"

CSV_HEADER = "layer,parameter,to,from,value"

_PARAMETER = re.compile(r"layers\.(\d+)\.(weight|bias)")
_METADATA = (
    "activations",
    "loss",
    "normalization_kind",
    "normalization_offset",
    "normalization_scale",
    "input_names",
)


class WeightFileError(ValueError):
    """A weight file cannot be imported; the message names the first problem.

    For example ``layers.1.weight: file has (3, 4), network has (3, 5)``. ``path`` is the file.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


# -- export ---------------------------------------------------------------------------------


def format_for_path(path: str | os.PathLike) -> str:
    """The export format named by the file's suffix (``.json``, ``.npz``, ``.csv``, ``.onnx``)."""
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the export format from {os.fspath(path)!r}: "
            f"use one of {', '.join('.' + f for f in FORMATS)} or pass format"
        )
    return suffix


def export_weights(network: Network, path: str | os.PathLike, format: str | None = None) -> None:
    """Write ``network``'s weights to ``path`` as ``format`` (see the module docstring).

    ``format`` is ``"json"``, ``"npz"``, ``"csv"``, ``"onnx"`` or ``"py"``; ``None`` takes it
    from the file's suffix. The file is written atomically (``AtomicWriteError`` if it cannot be).
    ``ImportError`` with ``ONNX_MISSING_MESSAGE`` when ``onnx`` is asked for but not installed.
    """
    if format is None:
        format = format_for_path(path)
    atomic_write_bytes(path, weights_bytes(network, format))


def weights_bytes(network: Network, format: str) -> bytes:
    """The bytes ``export_weights`` writes for ``format``."""
    if format == "json":
        from bp_studio.io.network_file import network_to_json

        return network_to_json(network).encode("utf-8")
    if format == "npz":
        buffer = io.BytesIO()
        # Any: mypy would match the names against savez's own keyword (allow_pickle: bool).
        arrays: dict[str, Any] = npz_arrays(network)
        np.savez(buffer, **arrays)
        return buffer.getvalue()
    if format == "csv":
        return weights_csv(network).encode("utf-8")
    if format == "onnx":
        return onnx_model(network).SerializeToString()
    if format == "py":
        from bp_studio.io.codegen import predict_script

        return predict_script(network).encode("utf-8")
    raise ValueError(f"unknown export format {format!r} (known: {', '.join(FORMATS)})")


def npz_arrays(network: Network) -> dict[str, np.ndarray]:
    """The arrays of the ``npz`` export, by name (copies; see the module docstring)."""
    arrays: dict[str, np.ndarray] = {}
    for index, layer in enumerate(network.layers):
        arrays[f"layers.{index}.weight"] = np.array(layer.weight, dtype=np.float64)
        if layer.bias is not None:
            arrays[f"layers.{index}.bias"] = np.array(layer.bias, dtype=np.float64)
    arrays["activations"] = np.array(network.activations, dtype=np.str_)
    arrays["loss"] = np.array(network.loss_name, dtype=np.str_)
    normalization = network.normalization
    if normalization is not None:
        arrays["normalization_kind"] = np.array(normalization.kind, dtype=np.str_)
        arrays["normalization_offset"] = np.array(normalization.offset, dtype=np.float64)
        arrays["normalization_scale"] = np.array(normalization.scale, dtype=np.float64)
    names = getattr(network, "input_names", None)
    if names is not None:
        arrays["input_names"] = np.array([str(n) for n in names], dtype=np.str_)
    return arrays


def weights_csv(network: Network) -> str:
    """The ``csv`` export: comment lines (activations, loss, normalisation, input names), then
    the header ``layer,parameter,to,from,value`` and one row per parameter."""
    lines = [
        f"# bp-studio weights: network {network.describe()}",
        f"# activations: {','.join(network.activations)}",
        f"# loss: {network.loss_name}",
    ]
    normalization = network.normalization
    if normalization is not None:
        lines.append(f"# normalization: {normalization.kind}")
        lines.append(f"# normalization_offset: {_numbers(normalization.offset)}")
        lines.append(f"# normalization_scale: {_numbers(normalization.scale)}")
    names = getattr(network, "input_names", None)
    if names is not None:
        lines.append(f"# input_names: {json.dumps([str(n) for n in names])}")
    lines.append(CSV_HEADER)
    for index, layer in enumerate(network.layers):
        for j, row in enumerate(layer.weight.tolist()):
            lines.extend(f"{index},weight,{j},{k},{value!r}" for k, value in enumerate(row))
        if layer.bias is not None:
            lines.extend(
                f"{index},bias,{j},,{value!r}" for j, value in enumerate(layer.bias.tolist())
            )
    return "\n".join(lines) + "\n"


def _numbers(values: np.ndarray) -> str:
    return ",".join(repr(float(v)) for v in np.asarray(values).tolist())


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(ONNX_MISSING_MESSAGE) from None
    return onnx


def onnx_model(network: Network) -> onnx.ModelProto:
    """The ``onnx`` export as an ``onnx.ModelProto``, checked with ``onnx.checker``.

    ``ImportError`` (message ``ONNX_MISSING_MESSAGE``) when the ``onnx`` package is missing.
    """
    onnx = _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    import bp_studio

    def constant(name: str, values: np.ndarray) -> None:
        initializers.append(
            numpy_helper.from_array(np.ascontiguousarray(values, dtype=np.float64), name)
        )

    nodes: list[Any] = []
    initializers: list[Any] = []
    current = "X"
    normalization = network.normalization
    if normalization is not None:
        constant("normalization.offset", normalization.offset)
        constant("normalization.scale", normalization.scale)
        nodes.append(
            helper.make_node(
                "Sub",
                [current, "normalization.offset"],
                ["normalization.centered"],
                name="normalization.sub",
            )
        )
        nodes.append(
            helper.make_node(
                "Div",
                ["normalization.centered", "normalization.scale"],
                ["normalization.out"],
                name="normalization.div",
            )
        )
        current = "normalization.out"
    last = len(network.layers) - 1
    for index, layer in enumerate(network.layers):
        prefix = f"layers.{index}"
        constant(f"{prefix}.weight", layer.weight)
        inputs = [current, f"{prefix}.weight"]
        if layer.bias is not None:
            constant(f"{prefix}.bias", layer.bias)
            inputs.append(f"{prefix}.bias")
        z = f"{prefix}.z"
        nodes.append(helper.make_node("Gemm", inputs, [z], name=f"{prefix}.gemm", transB=1))
        a = "Y" if index == last else f"{prefix}.a"
        function = layer.function
        names = {"z": z, "a": a}
        for constant_name, value in function.onnx_constants:
            names[constant_name] = f"{prefix}.{constant_name}"
            constant(names[constant_name], np.array([value]))
        single = len(function.onnx) == 1
        for number, node in enumerate(function.onnx, start=1):
            for value_name in (*node.inputs, node.output):
                names.setdefault(value_name, f"{prefix}.{function.name}.{value_name}")
            # make_node takes attributes as **kwargs; dict[str, Any] keeps mypy from matching
            # them against its named parameters (doc_string, domain: str | None).
            attributes: dict[str, Any] = dict(node.attributes)
            nodes.append(
                helper.make_node(
                    node.op,
                    [names[value_name] for value_name in node.inputs],
                    [names[node.output]],
                    name=f"{prefix}.{function.name}" + ("" if single else f".{number}"),
                    **attributes,
                )
            )
        current = a
    input_names = getattr(network, "input_names", None)
    x_doc = "raw inputs, one sample per row"
    if input_names is not None:
        x_doc += f" (columns: {', '.join(str(n) for n in input_names)})"
    x = helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["batch", network.inputs], x_doc)
    y = helper.make_tensor_value_info(
        "Y", TensorProto.DOUBLE, ["batch", network.outputs], "the network's outputs"
    )
    graph = helper.make_graph(
        nodes,
        "bp_studio_network",
        [x],
        [y],
        initializer=initializers,
        doc_string=network.describe(),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
        producer_name="bp-studio",
        producer_version=bp_studio.__version__,
        doc_string=f"BP Studio network {network.describe()}",
    )
    model.ir_version = ONNX_IR_VERSION
    properties = {"loss": network.loss_name, "activations": ",".join(network.activations)}
    if normalization is not None:
        properties["normalization"] = normalization.kind
    helper.set_model_props(model, properties)
    onnx.checker.check_model(model, full_check=True)
    return model


# -- import ---------------------------------------------------------------------------------


def import_weights(network: Network, path: str | os.PathLike) -> None:
    """Copy the weights in ``path`` (a ``json`` network file, an ``npz`` or a ``csv``) into
    ``network``.

    Every array must match the network's shapes; then all parameters change at once
    (``network.set_parameters``), otherwise none does and ``WeightFileError`` names the file
    and the first problem: a layer-count mismatch, a missing or extra array, a shape mismatch
    such as ``w.npz: layers.1.weight: file has (3, 4), network has (3, 5)``, a value that is
    not finite, or a file that is not a weight file (damaged, foreign, pickled: pickles are
    never unpickled). Only parameters are copied: the network's activations, loss and
    normalisation stay. A ``Trainer`` on this network should be told with
    ``trainer.network_changed()``.
    """
    name = os.fspath(path)
    arrays = read_weight_arrays(path, network)
    vector = _parameter_vector(network, arrays, name)
    network.set_parameters(vector)


def read_weight_arrays(
    path: str | os.PathLike, network: Network | None = None
) -> dict[str, np.ndarray]:
    """The arrays of a ``json`` network file, ``npz`` or ``csv`` export, by their ``npz`` names.

    Validates the container (size cap ``MAX_IMPORT_BYTES``, zip structure, ``.npy`` headers,
    declared sizes, no object arrays, no pickles); with ``network``, also each parameter's
    shape, before any array is read. ``WeightFileError`` (naming the file) if unreadable.
    """
    name = os.fspath(path)
    try:
        raw = read_capped(name, MAX_IMPORT_BYTES, "a weight file")
    except CappedReadError as exc:
        raise WeightFileError(str(exc), name) from None
    expected = None
    if network is not None:
        expected = {key: shape for key, _, shape in network.parameter_slices()}
    return _arrays_from_bytes(raw, name, expected)


def _arrays_from_bytes(
    raw: bytes, name: str, expected: dict[str, tuple[int, ...]] | None = None
) -> dict[str, np.ndarray]:
    if raw[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _read_npz(raw, name, expected)
    text_start = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if text_start.lstrip()[:1] == b"{":
        return _read_network_json(text_start, name)
    if text_start.lstrip()[:1] == b"#" or text_start.lstrip().startswith(CSV_HEADER.encode()):
        return _read_weights_csv(text_start, name, expected)
    if raw[:1] == b"\x80" or raw[:6] == b"\x93NUMPY":
        kind = "a pickle" if raw[:1] == b"\x80" else "a single .npy array"
        raise WeightFileError(
            f"{name}: not a weight file ({kind}; pickled data is never loaded): "
            "expected a BP Studio network file (.json), an .npz archive or a .csv export",
            name,
        )
    raise WeightFileError(
        f"{name}: not a weight file: expected a BP Studio network file (.json), an .npz "
        "archive or a .csv export",
        name,
    )


def _read_network_json(raw: bytes, name: str) -> dict[str, np.ndarray]:
    from bp_studio.io.network_file import network_from_json

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WeightFileError(f"{name}: not a weight file (not UTF-8 text)", name) from None
    try:
        network = network_from_json(text, name)
    except ValueError as exc:
        raise WeightFileError(str(exc), name) from None
    arrays = {
        key: network.parameters[where].reshape(shape).copy()
        for key, where, shape in network.parameter_slices()
    }
    arrays["activations"] = np.array(network.activations, dtype=np.str_)
    arrays["loss"] = np.array(network.loss_name, dtype=np.str_)
    return arrays


def _read_weights_csv(
    raw: bytes, name: str, expected: dict[str, tuple[int, ...]] | None
) -> dict[str, np.ndarray]:
    """The arrays of a ``csv`` export: its table of parameters and its comment lines."""

    def fail(message: str) -> WeightFileError:
        # "w.csv, line 7: ..." as data files say it; "w.csv: ..." for the whole file
        separator = ", " if message.startswith("line ") else ": "
        return WeightFileError(f"{name}{separator}{message}", name)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise fail("not a weight file (not UTF-8 text)") from None
    lines = text.splitlines()
    meta: dict[str, str] = {}
    first = 0
    while first < len(lines) and (lines[first].startswith("#") or not lines[first].strip()):
        key, _, value = lines[first][1:].partition(":")
        meta[key.strip()] = value.strip()
        first += 1
    if first == len(lines) or lines[first].strip() != CSV_HEADER:
        raise fail(f"not a weight file: expected the header {CSV_HEADER} after the # lines")
    limit = sum(math.prod(shape) for shape in expected.values()) if expected else None
    entries: dict[str, dict[tuple[int, ...], float]] = {}
    count = 0
    for number, cells in enumerate(csv.reader(lines[first + 1 :]), start=first + 2):
        if not cells or cells == [""]:
            continue
        where = f"line {number}"
        if len(cells) != 5:
            raise fail(
                f"{where}: expected 5 cells (layer,parameter,to,from,value), got {len(cells)}"
            )
        layer, parameter, to, frm, value = (c.strip() for c in cells)
        if parameter not in ("weight", "bias"):
            raise fail(f"{where}: parameter {parameter!r} is neither weight nor bias")
        index = [layer, to] if parameter == "bias" else [layer, to, frm]
        if parameter == "bias" and frm:
            raise fail(f"{where}: a bias has no 'from' ({frm!r})")
        if not all(part.isdigit() and part.isascii() for part in index):
            raise fail(f"{where}: layer, to and from must be whole numbers from 0")
        try:
            number_value = float(value)
        except ValueError:
            raise fail(f"{where}: value {value!r} is not a number") from None
        if not math.isfinite(number_value):
            raise fail(f"{where}: value {value!r} is not a finite number")
        key = f"layers.{int(layer)}.{parameter}"
        position = tuple(int(part) for part in index[1:])
        values = entries.setdefault(key, {})
        if position in values:
            raise fail(f"{where}: {key}{list(position)} is given twice")
        values[position] = number_value
        count += 1
        if limit is not None and count > limit:
            raise fail(f"{where}: the file has more values than the network's {limit} parameters")
    arrays: dict[str, np.ndarray] = {}
    for key, values in entries.items():
        shape = tuple(max(p[axis] for p in values) + 1 for axis in range(len(next(iter(values)))))
        if expected is not None and key in expected and shape != expected[key]:
            raise fail(f"{key}: file has {shape}, network has {expected[key]}")
        if math.prod(shape) > (limit or MAX_IMPORT_BYTES // 8):
            raise fail(f"{key}: shape {shape} is larger than the file's values")
        array = np.full(shape, np.nan)
        for position, number_value in values.items():
            array[position] = number_value
        missing = np.argwhere(np.isnan(array))
        if missing.size:
            raise fail(f"{key}{[int(i) for i in missing[0]]}: missing from the file")
        arrays[key] = array
    if meta.get("activations"):
        arrays["activations"] = np.array(meta["activations"].split(","), dtype=np.str_)
    if meta.get("loss"):
        arrays["loss"] = np.array(meta["loss"], dtype=np.str_)
    return arrays


_Fail = Callable[[str], Exception]
"""``fail(message)``: the error to raise, naming the file."""
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,  # zipfile's word for an unsupported compression method
    RuntimeError,
    KeyError,
    IndexError,
    OverflowError,
    UnicodeDecodeError,
)


def _read_npz(
    raw: bytes, name: str, expected: dict[str, tuple[int, ...]] | None = None
) -> dict[str, np.ndarray]:
    """The arrays of an ``npz``, checked before any is read (see the module docstring)."""

    def fail(message: str) -> WeightFileError:
        return WeightFileError(f"{name}: {message}", name)

    keys: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
            total = 0
            for info in infos:
                member = info.filename
                if not member.endswith(".npy") or info.is_dir():
                    raise fail(f"not an .npz weight file (it holds {member!r})")
                key = member[: -len(".npy")]
                if key in keys:
                    raise fail(f"{key}: the archive holds it twice")
                if info.flag_bits & 0x1:
                    raise fail(f"{key}: encrypted archive members are not supported")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise fail(f"{key}: unsupported zip compression (use np.savez)")
                total += info.file_size
                if total > MAX_IMPORT_BYTES:
                    raise fail(
                        f"the archive unpacks to more than the {size_text(MAX_IMPORT_BYTES, 2)} "
                        "a weight file may have"
                    )
                keys.append(key)
            for info, key in zip(infos, keys):
                with archive.open(info) as stream:  # reads only the header, a few KiB at most
                    shape, dtype, header_size = _npy_header(stream, key, fail)
                if info.file_size != header_size + math.prod(shape) * dtype.itemsize:
                    raise fail(
                        f"{key}: the array data is damaged (its size does not match shape {shape})"
                    )
                if expected is not None and key in expected and shape != expected[key]:
                    raise fail(f"{key}: file has {shape}, network has {expected[key]}")
        arrays: dict[str, np.ndarray] = {}
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            for key in keys:
                arrays[key] = np.asarray(archive[key])
    except WeightFileError:
        raise
    except _ZIP_ERRORS as exc:
        raise fail(f"not a readable .npz archive ({type(exc).__name__}: {exc})") from None
    return arrays


def _npy_header(member: Any, key: str, fail: _Fail) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and header size of one ``.npy`` member, read from its header alone.

    Object dtypes (pickles), records and sub-arrays are refused here, before anything is read.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "created on Python 2": parsed all the same
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise fail(f"{key}: unsupported .npy version {version}")
            header_size = member.tell()
    except WeightFileError:
        raise
    except Exception as exc:  # numpy's header parser raises many kinds (tokenize, syntax, ...)
        raise fail(f"{key}: not a readable NumPy array ({type(exc).__name__})") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise fail(f"{key}: holds Python objects or records ({dtype}); only plain arrays load")
    if dtype.kind not in "fiuUS" or dtype.itemsize == 0:
        raise fail(f"{key}: unsupported array type {dtype}")
    if any(n < 0 for n in shape):
        raise fail(f"{key}: the array data is damaged (shape {shape})")
    return tuple(int(n) for n in shape), dtype, header_size


def _parameter_vector(network: Network, arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The new parameter vector from ``arrays``; ``WeightFileError`` at the first mismatch."""

    def fail(message: str) -> WeightFileError:
        return WeightFileError(f"{name}: {message}", name)

    parameters: dict[str, np.ndarray] = {}
    indices: list[int] = []
    for key, array in arrays.items():
        parameter = _PARAMETER.fullmatch(key)
        if parameter:
            parameters[key] = array
            indices.append(int(parameter.group(1)))
        elif key not in _METADATA:
            raise fail(
                f"{key}: unexpected array (a weight file holds layers.<i>.weight, "
                f"layers.<i>.bias, {', '.join(_METADATA)})"
            )
        elif array.dtype.kind not in ("fiu" if key.endswith(("offset", "scale")) else "US"):
            raise fail(f"{key}: unexpected array type {array.dtype}")
    file_layers = max(indices) + 1 if indices else 0
    if file_layers != len(network.layers):
        raise fail(f"the file has {file_layers} layer(s), the network has {len(network.layers)}")
    vector = network.parameters.copy()
    expected = {key: (where, shape) for key, where, shape in network.parameter_slices()}
    for index in range(len(network.layers)):
        for part in ("weight", "bias"):
            key = f"layers.{index}.{part}"
            if key not in expected:
                if key in parameters:
                    raise fail(f"{key}: the file has a bias, the network's layer {index} has none")
                continue
            if key not in parameters:
                raise fail(f"{key}: missing from the file")
            where, shape = expected[key]
            array = parameters[key]
            if array.dtype.kind not in "fiu":
                raise fail(f"{key}: expected numbers, the file has {array.dtype}")
            if array.shape != shape:
                raise fail(f"{key}: file has {array.shape}, network has {shape}")
            with np.errstate(over="ignore", invalid="ignore"):
                values = array.astype(np.float64)
            bad = ~np.isfinite(values)
            if bad.any():
                at = tuple(int(i) for i in np.argwhere(bad)[0])
                raise fail(f"{key}{list(at)}: {values[at]} is not a finite number")
            vector[where] = values.reshape(-1)
    extra = sorted(set(parameters) - set(expected))
    if extra:
        raise fail(f"{extra[0]}: not a parameter of the network")
    return vector
