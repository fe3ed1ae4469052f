"""Weight export (json, npz, csv, onnx) and import: exact round trips, formats, clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bp_studio.engine import LOSSES, Network, hidden_activations, output_activations
from bp_studio.engine.normalization import Normalization
from bp_studio.io import export
from bp_studio.io.atomic import AtomicWriteError
from bp_studio.io.export import (
    CSV_HEADER,
    FORMATS,
    ONNX_MISSING_MESSAGE,
    WeightFileError,
    export_weights,
    import_weights,
    npz_arrays,
    weights_bytes,
)
from bp_studio.io.network_file import load_network

from helpers import fuzz_examples


def small(seed: int = 0, bias: bool | list[bool] = True) -> Network:
    return Network.create([3, 5, 4, 2], ["tanh", "leaky_relu", "sigmoid"], seed=seed, bias=bias)


def assert_bit_identical(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert np.asarray(a, dtype=np.float64).tobytes() == np.asarray(b, dtype=np.float64).tobytes()


def awkward(network: Network) -> Network:
    """Values whose text is long or tricky: -0.0, tiny, huge, 0.1 + 0.2."""
    values = network.parameters.copy()
    special = [-0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -1 / 3, 1e-7, 123456789.125]
    values[: len(special)] = special
    network.set_parameters(values)
    return network


# -- json --------------------------------------------------------------------------------------


def test_json_export_is_the_network_file_and_round_trips_exactly(tmp_path: Path) -> None:
    net = awkward(small())
    path = tmp_path / "w.json"
    export_weights(net, path, "json")
    loaded = load_network(path)
    assert_bit_identical(loaded.parameters, net.parameters)
    assert json.loads(path.read_text())["format"] == "bp-studio.network"
    other = small(seed=5)
    import_weights(other, path)
    assert_bit_identical(other.parameters, net.parameters)


def zip_members(data: bytes) -> dict[str, bytes]:
    """Each member of a zip archive by name (an npz: the .npy bytes, without zip timestamps)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_format_comes_from_the_suffix(tmp_path: Path) -> None:
    net = small()
    for fmt in FORMATS:
        path = tmp_path / f"weights.{fmt.upper()}"
        export_weights(net, path)
        if fmt == "npz":  # the zip records the time of writing: compare the members
            assert zip_members(path.read_bytes()) == zip_members(weights_bytes(net, fmt))
        else:
            assert path.read_bytes() == weights_bytes(net, fmt)
    with pytest.raises(ValueError, match="cannot tell the export format"):
        export_weights(net, tmp_path / "weights.txt")
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_weights(net, tmp_path / "weights.json", "xml")


def test_export_is_atomic(tmp_path: Path) -> None:
    with pytest.raises(AtomicWriteError, match="does not exist"):
        export_weights(small(), tmp_path / "missing" / "w.npz", "npz")
    path = tmp_path / "w.csv"
    path.write_text("old")
    export_weights(small(), path, "csv")
    assert CSV_HEADER + "\n" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["w.csv"]


# -- npz ---------------------------------------------------------------------------------------


def test_npz_names_shapes_orientation_and_types(tmp_path: Path) -> None:
    net = small(bias=[True, False, True])
    path = tmp_path / "w.npz"
    export_weights(net, path, "npz")
    with np.load(path, allow_pickle=False) as archive:
        names = set(archive.files)
        assert names == {
            "layers.0.weight",
            "layers.0.bias",
            "layers.1.weight",
            "layers.2.weight",
            "layers.2.bias",
            "activations",
            "loss",
        }
        for index, layer in enumerate(net.layers):
            weight = archive[f"layers.{index}.weight"]
            assert weight.dtype == np.float64
            assert weight.shape == (layer.units, layer.inputs)  # nn.Linear: (out, in)
            assert_bit_identical(weight, layer.weight)
            if layer.bias is not None:
                assert archive[f"layers.{index}.bias"].shape == (layer.units,)
                assert_bit_identical(archive[f"layers.{index}.bias"], layer.bias)
        assert archive["activations"].dtype.kind == "U"
        assert archive["activations"].tolist() == ["tanh", "leaky_relu", "sigmoid"]
        assert archive["loss"].dtype.kind == "U" and archive["loss"].shape == ()
        assert str(archive["loss"]) == "mse"


def test_npz_first_layer_is_w_x_plus_b(tmp_path: Path) -> None:
    """What a PyTorch nn.Linear does with the arrays: z = W x + b, no transposes."""
    net = small(seed=3)
    path = tmp_path / "w.npz"
    export_weights(net, path, "npz")
    X = np.random.default_rng(0).normal(size=(6, 3))
    z_engine = net.forward(X).layers[0].z
    with np.load(path, allow_pickle=False) as archive:
        W, b = archive["layers.0.weight"], archive["layers.0.bias"]
    for row, x in enumerate(X):
        np.testing.assert_allclose(W @ x + b, z_engine[row], rtol=0, atol=1e-15)


def test_npz_with_normalization_and_input_names(tmp_path: Path) -> None:
    net = small()
    X = np.random.default_rng(1).normal(3.0, 2.0, size=(40, 3))
    net.normalization = Normalization.fit("standardize", X)
    net.input_names = ("a", "b", "c")
    path = tmp_path / "w.npz"
    export_weights(net, path, "npz")
    with np.load(path, allow_pickle=False) as archive:
        assert str(archive["normalization_kind"]) == "standardize"
        assert_bit_identical(archive["normalization_offset"], net.normalization.offset)
        assert_bit_identical(archive["normalization_scale"], net.normalization.scale)
        assert archive["input_names"].tolist() == ["a", "b", "c"]
    other = small(seed=9)
    import_weights(other, path)
    assert_bit_identical(other.parameters, net.parameters)


def test_npz_round_trip_is_exact(tmp_path: Path) -> None:
    net = awkward(small())
    path = tmp_path / "w.npz"
    export_weights(net, path, "npz")
    other = small(seed=1)
    revision = other.revision
    import_weights(other, path)
    assert_bit_identical(other.parameters, net.parameters)
    assert other.revision == revision + 1  # one set_parameters call: all at once


# -- csv ---------------------------------------------------------------------------------------


def test_csv_is_one_long_exact_table(tmp_path: Path) -> None:
    net = awkward(small(bias=[True, False, True]))
    path = tmp_path / "w.csv"
    export_weights(net, path, "csv")
    text = path.read_text()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    assert lines[: len(comments)] == comments  # the comment lines come first
    rows = list(csv.reader(io.StringIO("".join(lines[len(comments) :]))))
    assert ",".join(rows[0]) == "layer,parameter,to,from,value"
    rows = rows[1:]
    assert len(rows) == net.parameters.size
    rebuilt = [np.full(layer.weight.shape, np.nan) for layer in net.layers]
    biases = [None if layer.bias is None else np.full(layer.units, np.nan) for layer in net.layers]
    order = []
    for layer, parameter, to, frm, value in rows:
        number = float(value)
        assert repr(number) == value  # repr-exact text
        if parameter == "weight":
            rebuilt[int(layer)][int(to), int(frm)] = number
        else:
            assert parameter == "bias" and frm == ""
            biases[int(layer)][int(to)] = number
        order.append(number)
    for index, layer in enumerate(net.layers):
        assert_bit_identical(rebuilt[index], layer.weight)
        if layer.bias is None:
            assert biases[index] is None
        else:
            assert_bit_identical(biases[index], layer.bias)
    # Rows follow the parameter vector: layer by layer, weight (row-major) then bias.
    assert_bit_identical(np.array(order), net.parameters)


def _predict_from_csv(text: str, X: np.ndarray) -> np.ndarray:
    """``predict`` computed from the CSV export alone, with formulas written out here."""
    meta: dict[str, str] = {}
    table = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
        else:
            table.append(line)
    activations = meta["activations"].split(",")
    if "normalization" in meta:
        offset = np.array([float(v) for v in meta["normalization_offset"].split(",")])
        scale = np.array([float(v) for v in meta["normalization_scale"].split(",")])
        X = (X - offset) / scale
    rows = list(csv.reader(table))[1:]
    layers = len(activations)
    shapes = [[0, 0] for _ in range(layers)]
    for layer, parameter, to, frm, _ in rows:
        if parameter == "weight":
            shape = shapes[int(layer)]
            shape[0], shape[1] = max(shape[0], int(to) + 1), max(shape[1], int(frm) + 1)
    weights = [np.zeros(shape) for shape in shapes]
    biases = [np.zeros(shape[0]) for shape in shapes]
    for layer, parameter, to, frm, value in rows:
        if parameter == "weight":
            weights[int(layer)][int(to), int(frm)] = float(value)
        else:
            biases[int(layer)][int(to)] = float(value)
    functions = {
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "linear": lambda z: z,
        "softmax": lambda z: (
            np.exp(z - z.max(1, keepdims=True))
            / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)
        ),
    }
    a = X
    for W, b, name in zip(weights, biases, activations):
        a = functions[name](a @ W.T + b)
    return a


@pytest.mark.parametrize("normalization", [None, "standardize", "minmax"])
def test_csv_alone_reproduces_predict(tmp_path: Path, normalization: str | None) -> None:
    net = Network.create([3, 5, 4, 3], ["tanh", "leaky_relu", "softmax"], "cross_entropy", seed=2)
    X = np.random.default_rng(5).normal(2.0, 3.0, size=(30, 3))
    if normalization:
        net.normalization = Normalization.fit(normalization, X)
    net.input_names = ("length, cm", "width", 'say "hi"')
    path = tmp_path / "w.csv"
    export_weights(net, path, "csv")
    text = path.read_text()
    assert text.startswith(
        "# bp-studio weights: network 3-5-4-3 (tanh, leaky_relu, softmax), cross_entropy\n"
        "# activations: tanh,leaky_relu,softmax\n# loss: cross_entropy\n"
    )
    np.testing.assert_allclose(_predict_from_csv(text, X), net.predict(X), rtol=1e-12, atol=1e-15)
    # and importing it gives the same parameters, bit for bit
    other = Network.create([3, 5, 4, 3], ["tanh", "leaky_relu", "softmax"], "cross_entropy", seed=7)
    import_weights(other, path)
    assert_bit_identical(other.parameters, net.parameters)


def test_csv_import_round_trip_and_mismatches(tmp_path: Path) -> None:
    net = awkward(small(bias=[True, False, True]))
    path = tmp_path / "w.csv"
    export_weights(net, path, "csv")
    other = small(seed=4, bias=[True, False, True])
    import_weights(other, path)
    assert_bit_identical(other.parameters, net.parameters)
    wrong = Network.create(
        [3, 6, 4, 2], ["tanh", "leaky_relu", "sigmoid"], seed=0, bias=[True, False, True]
    )
    assert_refused(
        wrong,
        path,
        "layers.0.weight: file has (5, 3), network has (6, 3)",
    )
    lines = path.read_text().splitlines(keepends=True)
    damaged = tmp_path / "damaged.csv"
    damaged.write_text("".join(line for line in lines if not line.startswith("0,weight,2,1,")))
    assert_refused(
        small(bias=[True, False, True]), damaged, "layers.0.weight[2, 1]: missing from the file"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines).replace(",weight,0,0,", ",weight,0,0,x", 1))
    with pytest.raises(WeightFileError, match=r"bad.csv, line \d+: value .* is not a number"):
        import_weights(small(bias=[True, False, True]), bad)


# -- onnx --------------------------------------------------------------------------------------


def run_onnx(path: Path, X: np.ndarray) -> np.ndarray:
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {"X": X})
    return output


def _activation_cases() -> list[tuple[list[str], str]]:
    """From the registries: every (output activation, loss) pair, with the hidden activations
    in turn before them, so that every activation is exported as a hidden layer (if it may be
    one) and as an output layer with every loss it pairs with."""
    hidden = hidden_activations()
    pairs = [(output, loss) for loss in LOSSES for output in output_activations(loss)]
    count = max(len(pairs), len(hidden))
    return [
        ([hidden[i % len(hidden)], pairs[i % len(pairs)][0]], pairs[i % len(pairs)][1])
        for i in range(count)
    ]


ACTIVATION_CASES = _activation_cases()


@pytest.mark.parametrize(
    ("activations", "loss"),
    ACTIVATION_CASES,
    ids=[f"{'-'.join(activations)}-{loss}" for activations, loss in ACTIVATION_CASES],
)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("normalization", [None, "standardize", "minmax"])
def test_onnx_runtime_equals_predict(
    tmp_path: Path, activations: list[str], loss: str, bias: bool, normalization: str | None
) -> None:
    pytest.importorskip("onnx")
    net = Network.create([4, 7, 3], activations, loss, bias=bias, seed=2, init="he")
    rng = np.random.default_rng(11)
    if bias:
        net.set_parameters(net.parameters + rng.normal(0, 0.5, net.parameters.size))
    X = rng.normal(1.5, 4.0, size=(257, 4))
    if normalization is not None:
        net.normalization = Normalization.fit(normalization, X[:50])
    path = tmp_path / "net.onnx"
    export_weights(net, path, "onnx")
    got = run_onnx(path, X)
    expected = net.predict(X)
    assert got.dtype == np.float64 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    single = run_onnx(path, X[:1])  # any batch size
    np.testing.assert_allclose(single, expected[:1], rtol=1e-9, atol=1e-9)


def test_onnx_graph_is_standard(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    net = Network.create([3, 5, 4, 2], ["leaky_relu", "tanh", "softmax"], "cross_entropy", seed=0)
    net.normalization = Normalization.fit("minmax", np.arange(12.0).reshape(4, 3))
    path = tmp_path / "net.onnx"
    export_weights(net, path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    ops = [node.op_type for node in model.graph.node]
    assert ops == ["Sub", "Div", "Gemm", "PRelu", "Gemm", "Tanh", "Gemm", "Softmax"]
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["Y"]
    x_type = model.graph.input[0].type.tensor_type
    assert x_type.elem_type == onnx.TensorProto.DOUBLE
    assert [d.dim_param or d.dim_value for d in x_type.shape.dim] == ["batch", 3]
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for index, layer in enumerate(net.layers):
        assert inits[f"layers.{index}.weight"].shape == (layer.units, layer.inputs)
        assert_bit_identical(inits[f"layers.{index}.weight"], layer.weight)
        assert_bit_identical(inits[f"layers.{index}.bias"], layer.bias)
    assert inits["layers.0.leaky_relu_slope"].tolist() == [0.01]
    assert all(array.dtype == np.float64 for array in inits.values())
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    assert all({a.name: a.i for a in n.attribute} == {"transB": 1} for n in gemms)
    softmax = model.graph.node[-1]
    assert {a.name: a.i for a in softmax.attribute} == {"axis": 1}
    assert model.opset_import[0].version == export.ONNX_OPSET


def test_onnx_without_the_package_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    path = tmp_path / "net.onnx"
    with pytest.raises(ImportError) as caught:
        export_weights(small(), path, "onnx")
    assert str(caught.value) == ONNX_MISSING_MESSAGE
    assert str(caught.value) == (
        "ONNX export needs the onnx package: pip install 'bp-studio[onnx]'"
    )
    assert not path.exists()


# -- import errors -------------------------------------------------------------------------------


def save_npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def arrays_of(net: Network) -> dict[str, np.ndarray]:
    return npz_arrays(net)


def assert_refused(net: Network, path: Path, message: str) -> None:
    before = net.parameters.copy()
    revision = net.revision
    with pytest.raises(WeightFileError) as caught:
        import_weights(net, path)
    assert str(caught.value) == f"{path}: {message}"  # the file is named
    assert_bit_identical(net.parameters, before)  # nothing changed
    assert net.revision == revision


def test_shape_mismatch_is_named_exactly(tmp_path: Path) -> None:
    net = Network.create([2, 5, 3], "sigmoid", seed=0)
    arrays = {
        "layers.0.weight": np.zeros((5, 2)),
        "layers.0.bias": np.ones(5),
        "layers.1.weight": np.zeros((3, 4)),
        "layers.1.bias": np.zeros(3),
    }
    path = save_npz(tmp_path / "w.npz", **arrays)
    assert_refused(net, path, "layers.1.weight: file has (3, 4), network has (3, 5)")


def test_every_kind_of_mismatch(tmp_path: Path) -> None:
    net = Network.create([2, 5, 3], "sigmoid", seed=0, bias=[True, False])
    good = arrays_of(net)

    def case(name: str, message: str, **changes) -> None:
        arrays = {**good, **changes}
        for key in [k for k, v in changes.items() if v is None]:
            del arrays[key]
        assert_refused(net, save_npz(tmp_path / f"{name}.npz", **arrays), message)

    case("missing", "layers.0.bias: missing from the file", **{"layers.0.bias": None})
    case(
        "extra_bias",
        "layers.1.bias: the file has a bias, the network's layer 1 has none",
        **{"layers.1.bias": np.zeros(3)},
    )
    case(
        "bias_shape",
        "layers.0.bias: file has (4,), network has (5,)",
        **{"layers.0.bias": np.zeros(4)},
    )
    case(
        "layers",
        "the file has 3 layer(s), the network has 2",
        **{"layers.2.weight": np.zeros((1, 3))},
    )
    case(
        "foreign",
        "model.fc.weight: unexpected array (a weight file holds layers.<i>.weight, "
        "layers.<i>.bias, activations, loss, normalization_kind, normalization_offset, "
        "normalization_scale, input_names)",
        **{"model.fc.weight": np.zeros(2)},
    )
    bad = good["layers.0.weight"].copy()
    bad[3, 1] = np.inf
    case("inf", "layers.0.weight[3, 1]: inf is not a finite number", **{"layers.0.weight": bad})
    case(
        "text",
        "layers.0.weight: expected numbers, the file has <U1",
        **{"layers.0.weight": np.full((5, 2), "x")},
    )
    case(
        "leading_zero",
        "layers.01.weight: not a parameter of the network",
        **{"layers.01.weight": np.zeros((5, 2))},
    )
    # Integer arrays are numbers too.
    ints = {**good, "layers.0.weight": np.arange(10).reshape(5, 2)}
    import_weights(net, save_npz(tmp_path / "ints.npz", **ints))
    assert net.layers[0].weight[4, 1] == 9.0


def test_json_mismatch_and_foreign_json(tmp_path: Path) -> None:
    net = Network.create([2, 4, 1], "sigmoid", seed=0)
    other = Network.create([2, 3, 1], "sigmoid", seed=0)
    path = tmp_path / "other.json"
    export_weights(other, path, "json")
    assert_refused(net, path, "layers.0.weight: file has (3, 2), network has (4, 2)")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"format": "something.else", "version": 1}')
    with pytest.raises(WeightFileError, match="not a BP Studio network file"):
        import_weights(net, foreign)


def test_pickles_are_refused_and_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "w.npz"
    path.write_bytes(pickle.dumps(Evil()))
    net = small()
    with pytest.raises(WeightFileError, match="pickle"):
        import_weights(net, path)
    # An .npz holding a pickled object array.
    buffer = io.BytesIO()
    np.savez(buffer, **{"layers.0.weight": np.array([Evil()], dtype=object)})
    path.write_bytes(buffer.getvalue())
    with pytest.raises(WeightFileError, match="holds Python objects"):
        import_weights(net, path)
    assert not marker.exists()


def test_foreign_and_damaged_files(tmp_path: Path) -> None:
    net = small()
    zipped = tmp_path / "notes.npz"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(WeightFileError, match="not an .npz weight file"):
        import_weights(net, zipped)
    text_path = tmp_path / "w.txt"
    text_path.write_text("hello, world\n")
    with pytest.raises(WeightFileError, match="not a weight file"):
        import_weights(net, text_path)
    good = weights_bytes(net, "npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(WeightFileError, match="not a readable .npz archive"):
        import_weights(net, truncated)
    with pytest.raises(WeightFileError, match="file not found"):
        import_weights(net, tmp_path / "nope.npz")
    with pytest.raises(WeightFileError, match="is a folder"):
        import_weights(net, tmp_path)
    binary = tmp_path / "w.json"
    binary.write_bytes(b"{\xff\xfe")
    with pytest.raises(WeightFileError, match="not UTF-8"):
        import_weights(net, binary)


def test_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = small()
    path = tmp_path / "w.npz"
    export_weights(net, path, "npz")
    monkeypatch.setattr(export, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(WeightFileError, match="MiB a weight file may have"):
        import_weights(net, path)


def test_zip_bomb_is_refused_before_unpacking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = Network.create([2, 1], "sigmoid", seed=0)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{"layers.0.weight": np.zeros((1, 200_000))})
    path = tmp_path / "bomb.npz"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 10_000
    monkeypatch.setattr(export, "MAX_IMPORT_BYTES", 1_000_000)
    with pytest.raises(
        WeightFileError,
        match=r"bomb.npz: the archive unpacks to more than the "
        r"0.95 MiB a weight file may have",
    ):
        import_weights(net, path)


def _crafted_bomb(path: Path, declared: np.ndarray, inflated_bytes: int) -> None:
    """An npz whose member declares a small array but whose compressed data inflates to
    ``inflated_bytes``: the zip headers give the small size and the CRC of the small part."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, declared)
    small_part = buffer.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("layers.0.weight.npy", "w", force_zip64=True) as member:
            member.write(small_part)
            zeros = bytes(1 << 20)
            for _ in range(inflated_bytes >> 20):
                member.write(zeros)
    import struct
    import zlib

    raw = bytearray(path.read_bytes())
    crc = zlib.crc32(small_part)
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 14, crc)
    struct.pack_into("<I", raw, central + 16, crc)
    # The uncompressed size: 32 bits in the central directory (what zipfile reads), and the
    # first value of the zip64 extra field (id 1) after the name in the local header.
    struct.pack_into("<I", raw, central + 24, len(small_part))
    (name_length,) = struct.unpack_from("<H", raw, local + 26)
    extra = local + 30 + name_length
    assert struct.unpack_from("<H", raw, extra)[0] == 1
    struct.pack_into("<Q", raw, extra + 4, len(small_part))
    path.write_bytes(bytes(raw))


def test_a_member_that_inflates_beyond_its_declared_size_is_not_inflated(tmp_path: Path) -> None:
    """Issue 13, point 6: a 4 MB file that declares a small array used to inflate to 2 GB."""
    import tracemalloc

    net = Network.create([2, 1], "sigmoid", seed=0, bias=False)
    declared = np.array([[0.25, -0.5]])
    path = tmp_path / "bomb.npz"
    _crafted_bomb(path, declared, 256 << 20)
    assert path.stat().st_size < 2 << 20
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].file_size < 200  # the zip says: small
    tracemalloc.start()
    try:
        try:
            import_weights(net, path)
        except WeightFileError as exc:
            assert str(exc).startswith(f"{path}: ")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB used to import a {declared.nbytes}-byte array"


def test_declared_shapes_are_checked_against_the_network_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = Network.create([2, 4, 1], "sigmoid", seed=0)
    arrays = npz_arrays(net)
    arrays["layers.0.weight"] = np.zeros((4000, 2))
    path = save_npz(tmp_path / "w.npz", **arrays)
    read = []
    original = np.lib.format.read_array
    monkeypatch.setattr(
        np.lib.format, "read_array", lambda *a, **k: read.append(1) or original(*a, **k)
    )
    assert_refused(net, path, "layers.0.weight: file has (4000, 2), network has (4, 2)")
    assert read == []  # refused from its header: no array was read


def test_npz_is_loaded_by_numpy_without_pickles(tmp_path: Path, monkeypatch) -> None:
    """The arrays are read by np.load(allow_pickle=False), not by a hand-written parser."""
    net = small()
    path = tmp_path / "w.npz"
    export_weights(net, path, "npz")
    calls = []
    original = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return original(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    other = small(seed=3)
    import_weights(other, path)
    assert calls == [False]
    assert_bit_identical(other.parameters, net.parameters)


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ_DIR = tempfile.mkdtemp(prefix="bp-weights-fuzz-")
FUZZ_NET = Network.create([2, 3, 2], ["tanh", "softmax"], "cross_entropy", seed=0)
VALID_NPZ = weights_bytes(FUZZ_NET, "npz")
VALID_JSON = weights_bytes(FUZZ_NET, "json")
with zipfile.ZipFile(io.BytesIO(VALID_NPZ)) as _archive:
    VALID_MEMBERS = {info.filename: _archive.read(info) for info in _archive.infolist()}


def try_import(data: bytes) -> None:
    path = os.path.join(FUZZ_DIR, "fuzz.bin")
    with open(path, "wb") as handle:
        handle.write(data)
    net = Network.create([2, 3, 2], ["tanh", "softmax"], "cross_entropy", seed=1)
    before = net.parameters.copy()
    try:
        import_weights(net, path)
    except WeightFileError:
        assert_bit_identical(net.parameters, before)
        return
    assert np.all(np.isfinite(net.parameters))


def mutate(data: bytes, position: int, kind: int, payload: bytes) -> bytes:
    position %= len(data) + 1
    if kind == 0:  # overwrite
        return data[:position] + payload + data[position + len(payload) :]
    if kind == 1:  # insert
        return data[:position] + payload + data[position:]
    if kind == 2:  # delete
        return data[:position] + data[position + len(payload) + 1 :]
    return data[:position]  # truncate


mutations = st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.binary(min_size=1, max_size=8))
FUZZ = settings(
    max_examples=fuzz_examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    try_import(data)
    try_import(b"PK\x03\x04" + data)
    try_import(b"{" + data)


@FUZZ
@given(st.lists(mutations, min_size=1, max_size=4))
def test_fuzz_mutated_npz_archive(changes) -> None:
    data = VALID_NPZ
    for position, kind, payload in changes:
        data = mutate(data, position, kind, payload)
    try_import(data)


@FUZZ
@given(st.sampled_from(sorted(VALID_MEMBERS)), st.lists(mutations, min_size=1, max_size=3))
def test_fuzz_mutated_npy_members(member: str, changes) -> None:
    """Damage inside a member, with a correct zip around it (so the CRC does not catch it)."""
    content = VALID_MEMBERS[member]
    for position, kind, payload in changes:
        content = mutate(content, position % 140, kind, payload)  # mostly the header
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in VALID_MEMBERS.items():
            archive.writestr(name, content if name == member else data)
    try_import(buffer.getvalue())


@FUZZ
@given(st.lists(mutations, min_size=1, max_size=4))
def test_fuzz_mutated_json(changes) -> None:
    data = VALID_JSON
    for position, kind, payload in changes:
        data = mutate(data, position, kind, payload)
    try_import(data)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "loss", "x"]
        ),
        st.sampled_from(
            [
                np.zeros((3, 2)),
                np.zeros(3),
                np.zeros((2, 3)),
                np.zeros(2),
                np.array("mse"),
                np.array([np.nan]),
                np.zeros((3, 2), dtype=np.int8),
                np.zeros((3, 2), dtype=np.complex128),
                np.zeros((3, 2), dtype=bool),
                np.zeros((0,)),
                np.array(b"bytes"),
            ]
        ),
    )
)
def test_fuzz_arrays(arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try_import(buffer.getvalue())
