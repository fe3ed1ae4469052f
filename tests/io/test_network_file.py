"""The network file: exact round trips, the documented format, and clear errors."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bp_studio.engine import Network
from bp_studio.io import network_file
from bp_studio.io.network_file import (
    FORMAT,
    VERSION,
    NetworkFileError,
    load_network,
    network_from_dict,
    network_from_json,
    network_to_dict,
    network_to_json,
    save_network,
)

from helpers import fuzz_examples


def mazur() -> Network:
    return Network(
        [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        [[0.35, 0.35], [0.60, 0.60]],
        ["sigmoid", "sigmoid"],
        "mse",
    )


def assert_same_network(actual: Network, expected: Network) -> None:
    """Same architecture and bit-identical parameters (``-0.0`` and ``0.0`` differ here)."""
    assert actual.loss_name == expected.loss_name
    assert actual.activations == expected.activations
    assert actual.sizes == expected.sizes
    assert [layer.has_bias for layer in actual.layers] == [
        layer.has_bias for layer in expected.layers
    ]
    assert np.array_equal(actual.parameters, expected.parameters)
    assert actual.parameters.tobytes() == expected.parameters.tobytes()


def valid_dict() -> dict:
    return {
        "format": FORMAT,
        "version": 1,
        "loss": "mse",
        "layers": [
            {"activation": "tanh", "weight": [[0.1, 0.2], [0.3, 0.4]], "bias": [0.0, 0.5]},
            {"activation": "linear", "weight": [[1.0, -1.0]], "bias": None},
        ],
    }


def error_for(data, source: str = "net.json") -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(NetworkFileError) as info:
        network_from_json(text, source)
    message = str(info.value)
    assert message.startswith(f"{source}: ")
    assert "\n" not in message
    return message


# -- round trips ----------------------------------------------------------------------------


def test_mazur_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mazur.json"
    net = mazur()
    net.save(path)
    assert_same_network(Network.load(path), net)
    assert_same_network(load_network(str(path)), net)


def test_round_trip_with_bias_free_layers(tmp_path: Path) -> None:
    net = Network.create(
        [3, 5, 4, 2],
        ["relu", "tanh", "softmax"],
        "cross_entropy",
        bias=[False, True, False],
        seed=4,
    )
    net.layers[1].bias[...] = [0.1, -0.2, 1e-300, -0.0]
    path = tmp_path / "net.json"
    save_network(net, path)
    loaded = load_network(path)
    assert_same_network(loaded, net)
    assert [layer.bias is None for layer in loaded.layers] == [True, False, True]
    assert json.loads(path.read_text())["layers"][0]["bias"] is None


def test_save_overwrites_and_round_trips_after_training(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.save(path)
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    net.train(X, [[1.0], [0.0]], epochs=5, lr=0.7)
    net.save(path)
    assert_same_network(Network.load(path), net)


FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def networks(draw) -> Network:
    depth = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    loss = draw(st.sampled_from(["mse", "binary_cross_entropy", "cross_entropy"]))
    hidden = st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
    activations = [draw(hidden) for _ in range(depth - 1)]
    if loss == "mse":
        activations.append(draw(hidden))
    else:
        activations.append("sigmoid" if loss == "binary_cross_entropy" else "softmax")
    if activations[-1] == "softmax":
        sizes[-1] = max(sizes[-1], 2)  # softmax needs two units
    weights, biases = [], []
    for inputs, units in zip(sizes[:-1], sizes[1:]):
        weights.append(
            draw(
                st.lists(
                    st.lists(FINITE, min_size=inputs, max_size=inputs),
                    min_size=units,
                    max_size=units,
                )
            )
        )
        with_bias = draw(st.booleans())
        biases.append(draw(st.lists(FINITE, min_size=units, max_size=units)) if with_bias else None)
    return Network(weights, biases, activations, loss)


@settings(max_examples=fuzz_examples(150), deadline=None)
@given(networks())
def test_round_trip_is_exact_for_any_float64(net: Network) -> None:
    assert_same_network(network_from_json(network_to_json(net)), net)
    assert_same_network(network_from_dict(json.loads(json.dumps(network_to_dict(net)))), net)


@settings(
    max_examples=fuzz_examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(networks())
def test_round_trip_through_a_file(tmp_path: Path, net: Network) -> None:
    path = tmp_path / "net.json"
    save_network(net, path)
    assert_same_network(load_network(path), net)


def test_extreme_values_round_trip() -> None:
    values = [
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -0.0,
        0.1 + 0.2,
        1 / 3,
        -1e-100,
    ]
    net = Network([[[v] for v in values]], [values], ["linear"], "mse")
    assert_same_network(network_from_json(network_to_json(net)), net)


# -- the documented format ------------------------------------------------------------------


def documented_example() -> dict:
    match = re.search(r"```json\n(.*?)```", network_file.__doc__, re.DOTALL)
    assert match, "the module docstring shows an example file"
    return json.loads(match.group(1))


def test_written_file_matches_the_documented_example() -> None:
    text = network_to_json(mazur())
    assert json.loads(text) == documented_example()
    data = json.loads(text)
    assert data["format"] == "bp-studio.network" == FORMAT
    assert data["version"] == 1 == VERSION
    assert [sorted(layer) for layer in data["layers"]] == [["activation", "bias", "weight"]] * 2


def test_written_text_layout() -> None:
    assert network_to_json(mazur()) == (
        '{"format": "bp-studio.network", "version": 1, "loss": "mse",\n'
        ' "layers": [\n'
        '   {"activation": "sigmoid", "weight": [[0.15, 0.2], [0.25, 0.3]], '
        '"bias": [0.35, 0.35]},\n'
        '   {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": [0.6, 0.6]}]}\n'
    )


def test_documented_example_loads_as_the_mazur_network() -> None:
    match = re.search(r"```json\n(.*?)```", network_file.__doc__, re.DOTALL)
    assert_same_network(network_from_json(match.group(1)), mazur())


def test_unknown_extra_fields_are_ignored() -> None:
    data = valid_dict()
    data["comment"] = "trained on XOR"
    data["metadata"] = {"created": "today", "nested": [1, 2, {"x": None}]}
    data["optimizer"] = {"name": "adam", "m": [0.0, 1.0]}
    data["layers"][0]["name"] = "hidden"
    data["layers"][1]["dropout"] = 0.5
    loaded = network_from_json(json.dumps(data))
    assert_same_network(loaded, network_from_dict(valid_dict()))


# -- every bad input names the problem -------------------------------------------------------


def test_not_json() -> None:
    assert "not JSON" in error_for('{"format": "bp-studio.network", ')
    assert "not JSON" in error_for("")
    assert "not JSON" in error_for("hello")


def test_not_an_object() -> None:
    message = error_for("[1, 2, 3]")
    assert "not a BP Studio network file" in message and "JSON object" in message


def test_wrong_format() -> None:
    data = valid_dict()
    data["format"] = "keras"
    message = error_for(data)
    assert message == (
        "net.json: not a BP Studio network file (format is 'keras', expected 'bp-studio.network')"
    )
    del data["format"]
    assert "format is None" in error_for(data)


def test_newer_version() -> None:
    data = valid_dict()
    data["version"] = 2
    message = error_for(data)
    assert "version 2 is newer" in message
    assert "update BP Studio" in message


@pytest.mark.parametrize("version", ["1", 1.0, True, 0, -1, None])
def test_bad_version(version) -> None:
    data = valid_dict()
    data["version"] = version
    assert error_for(data).startswith("net.json: version: expected a whole number")


def test_missing_or_bad_loss() -> None:
    data = valid_dict()
    del data["loss"]
    assert error_for(data).startswith("net.json: loss: expected a name")
    data["loss"] = "hinge"
    message = error_for(data)
    assert "unknown loss 'hinge'" in message and "mse" in message


def test_bad_layers() -> None:
    data = valid_dict()
    data["layers"] = []
    assert error_for(data) == "net.json: layers: expected a non-empty list of layers"
    data["layers"] = {"0": {}}
    assert error_for(data).startswith("net.json: layers: ")
    data["layers"] = [valid_dict()["layers"][0], 7]
    assert error_for(data).startswith("net.json: layers[1]: expected an object")


def test_missing_activation_and_weight() -> None:
    data = valid_dict()
    del data["layers"][1]["activation"]
    assert error_for(data).startswith("net.json: layers[1].activation: expected a name")
    data = valid_dict()
    del data["layers"][1]["weight"]
    assert error_for(data) == "net.json: layers[1].weight: missing"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        ([], "layers[0].weight: expected a non-empty list of rows (one per unit)"),
        ("0.5", "layers[0].weight: expected a non-empty list of rows (one per unit)"),
        ([[]], "layers[0].weight[0]: a row needs at least one number"),
        ([[0.1, 0.2], 0.3], "layers[0].weight[1]: expected a list of numbers, got float"),
        ([[0.1, "x"], [0.3, 0.4]], "layers[0].weight[0][1]: expected a number, got 'x'"),
        ([[0.1, 0.2], [True, 0.4]], "layers[0].weight[1][0]: expected a number, got True"),
        ([[0.1, 0.2], [0.3, None]], "layers[0].weight[1][1]: expected a number, got None"),
    ],
)
def test_bad_weight_values(weight, expected: str) -> None:
    data = valid_dict()
    data["layers"][0]["weight"] = weight
    assert error_for(data) == f"net.json: {expected}"


def test_ragged_matrix() -> None:
    data = valid_dict()
    data["layers"][0]["weight"] = [[0.1, 0.2], [0.3, 0.4, 0.5]]
    assert error_for(data) == (
        "net.json: layers[0].weight[1]: ragged matrix: row 0 has 2 numbers, row 1 has 3"
    )


def test_column_mismatch() -> None:
    data = valid_dict()
    data["layers"][1]["weight"] = [[1.0, -1.0, 0.5]]
    assert error_for(data) == (
        "net.json: layers[1].weight: expected 2 columns (the units of layers[0]), got 3"
    )


def test_unknown_activation() -> None:
    data = valid_dict()
    data["layers"][1]["activation"] = "swish"
    message = error_for(data)
    assert message.startswith("net.json: layers[1].activation: unknown activation 'swish'")
    assert "sigmoid" in message  # lists the known ones


def test_softmax_not_on_the_output_layer() -> None:
    data = valid_dict()
    data["loss"] = "cross_entropy"
    data["layers"][0]["activation"] = "softmax"
    data["layers"][1]["activation"] = "softmax"
    assert error_for(data) == "net.json: layers[0]: softmax is only allowed on the output layer"


def test_output_activation_must_fit_the_loss() -> None:
    data = valid_dict()
    data["loss"] = "cross_entropy"
    message = error_for(data)
    assert message.startswith("net.json: layers[1]: the cross_entropy loss needs a softmax")


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_name_the_field(word: str) -> None:
    text = json.dumps(valid_dict()).replace("0.4]", f"{word}]", 1)
    assert word in text
    message = error_for(text)
    assert message.startswith(f"net.json: layers[0].weight[1][1]: {word} is not a finite number")


def test_non_finite_constant_in_the_bias_names_the_field() -> None:
    text = json.dumps(valid_dict()).replace("[0.0, 0.5]", "[0.0, NaN]", 1)
    assert error_for(text).startswith("net.json: layers[0].bias[1]: NaN is not a finite number")


def test_non_finite_constant_anywhere_is_refused() -> None:
    text = json.dumps(valid_dict())[:-1] + ', "extra": {"x": [1, Infinity]}}'
    assert error_for(text).startswith("net.json: extra.x[1]: Infinity is not a finite number")


def test_overflowing_numbers_name_the_field() -> None:
    text = json.dumps(valid_dict()).replace("0.3,", "1e999,", 1)
    assert error_for(text) == "net.json: layers[0].weight[1][0]: inf is not a finite number"
    data = valid_dict()
    data["layers"][1]["weight"] = [[10**400, 1.0]]
    message = error_for(data)
    assert message.startswith("net.json: layers[1].weight[0][0]: ")
    assert "too large" in message
    assert len(message) < 200


def test_bias_of_wrong_length() -> None:
    data = valid_dict()
    data["layers"][0]["bias"] = [0.0, 0.5, 1.0]
    assert error_for(data) == (
        "net.json: layers[0].bias: expected 2 values (one per unit), got shape (3,)"
    )
    data["layers"][0]["bias"] = "zero"
    assert error_for(data) == "net.json: layers[0].bias: expected a list of numbers, got str"


def test_deeply_nested_json() -> None:
    text = "[" * 100_000 + "]" * 100_000
    message = error_for(text)
    assert message == "net.json: not a network file (nested too deeply)"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(NetworkFileError, match=re.escape(f"{path}: file not found")):
        load_network(path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="is a folder"):
        load_network(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(valid_dict()).replace("tanh", "tänh").encode("latin-1"))
    with pytest.raises(NetworkFileError, match=re.escape(f"{path}: not a network file (not UTF-8")):
        load_network(path)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    data = valid_dict()
    data["layers"][1]["weight"] = [[1.0, -1.0, 0.5]]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(NetworkFileError) as info:
        load_network(path)
    assert str(info.value) == (
        f"{path}: layers[1].weight: expected 2 columns (the units of layers[0]), got 3"
    )


def test_too_large_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(valid_dict()), encoding="utf-8")
    monkeypatch.setattr(network_file, "MAX_BYTES", 10)
    with pytest.raises(NetworkFileError, match=r"big.json: the file is 0.000\d+ MiB, more than"):
        load_network(path)


def test_error_is_a_value_error() -> None:
    assert issubclass(NetworkFileError, ValueError)


# -- anything at all: a Network or a NetworkFileError, nothing else ------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
NUMBERS = st.integers(-3, 3) | st.floats(allow_nan=True, allow_infinity=True)
ROWS = st.lists(st.lists(NUMBERS | JSON_SCALARS, max_size=3), max_size=3)
LAYERS = st.lists(
    st.dictionaries(
        st.sampled_from(["activation", "weight", "bias", "other"]),
        st.sampled_from(["sigmoid", "tanh", "relu", "linear", "softmax", "nope"])
        | ROWS
        | st.lists(NUMBERS, max_size=3)
        | JSON_VALUES,
    ),
    max_size=3,
)
NEAR_FILES = st.fixed_dictionaries(
    {
        "format": st.just(FORMAT) | JSON_VALUES,
        "version": st.just(1) | st.integers(-1, 3) | JSON_VALUES,
        "loss": st.sampled_from(["mse", "binary_cross_entropy", "cross_entropy"]) | JSON_VALUES,
        "layers": LAYERS | JSON_VALUES,
    }
)


SMALL = st.floats(-2.0, 2.0) | st.integers(-2, 2)
SHAPED_LAYERS = st.lists(
    st.fixed_dictionaries(
        {
            "activation": st.sampled_from(["sigmoid", "tanh", "linear", "softmax", "nope"]),
            "weight": st.lists(st.lists(SMALL, min_size=1, max_size=2), min_size=1, max_size=2)
            | ROWS,
            "bias": st.none() | st.lists(SMALL, min_size=1, max_size=2) | JSON_SCALARS,
        }
    ),
    min_size=1,
    max_size=3,
)
SHAPED_FILES = st.fixed_dictionaries(
    {
        "format": st.just(FORMAT),
        "version": st.just(1),
        "loss": st.sampled_from(["mse", "cross_entropy", "binary_cross_entropy"]),
        "layers": SHAPED_LAYERS,
    }
)


def _network_or_file_error(text: str) -> bool:
    """True for a network, False for a file error; fails on anything else."""
    try:
        result = network_from_json(text)
    except NetworkFileError as exc:
        assert str(exc).startswith("network file: ")
        return False
    assert isinstance(result, Network)
    assert np.all(np.isfinite(result.parameters))
    return True


@settings(max_examples=fuzz_examples(150), deadline=None)
@given(JSON_VALUES)
def test_any_json_value_gives_a_network_or_a_file_error(value) -> None:
    _network_or_file_error(json.dumps(value))


@settings(max_examples=fuzz_examples(150), deadline=None)
@given(NEAR_FILES)
def test_almost_valid_files_give_a_network_or_a_file_error(value) -> None:
    _network_or_file_error(json.dumps(value))


@settings(max_examples=fuzz_examples(150), deadline=None)
@given(SHAPED_FILES)
def test_shaped_files_give_a_network_or_a_file_error(value) -> None:
    loaded = _network_or_file_error(json.dumps(value))
    if loaded:  # a valid file reads back as what it says
        net = network_from_json(json.dumps(value))
        assert [layer.weight.tolist() for layer in net.layers] == [
            layer["weight"] for layer in value["layers"]
        ]


def test_shaped_files_include_valid_ones() -> None:
    """The fuzzer above reaches valid networks, not only the first error."""
    outcomes = []

    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(SHAPED_FILES)
    def collect(value) -> None:
        outcomes.append(_network_or_file_error(json.dumps(value)))

    collect()
    assert True in outcomes and False in outcomes


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.text())
def test_any_text_gives_a_network_or_a_file_error(text: str) -> None:
    _network_or_file_error(text)


@settings(
    max_examples=fuzz_examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=200))
def test_any_bytes_in_a_file_give_a_network_or_a_file_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(raw)
    with pytest.raises(NetworkFileError):
        load_network(path)


# -- optional fields: input normalisation and input names ---------------------------------


def normalized_network(kind: str = "standardize") -> tuple[Network, np.ndarray]:
    """A 3-input network with a fitted normalisation, and raw inputs far from [0, 1]."""
    from bp_studio.engine.normalization import Normalization

    rng = np.random.default_rng(4)
    X = rng.normal([100.0, -3.0, 0.001], [25.0, 0.5, 0.0003], size=(40, 3))
    net = Network.create([3, 4, 2], ["tanh", "softmax"], "cross_entropy", seed=2)
    net.normalization = Normalization.fit(kind, X)
    net.input_names = ("height", "x2^2", "µ")
    return net, X


@pytest.mark.parametrize("kind", ["standardize", "minmax"])
def test_normalization_round_trip_gives_identical_predictions(tmp_path: Path, kind: str) -> None:
    net, X = normalized_network(kind)
    path = tmp_path / "norm.json"
    save_network(net, path)
    loaded = load_network(path)
    assert_same_network(loaded, net)
    assert loaded.normalization is not None
    assert loaded.normalization.kind == kind
    assert loaded.normalization.offset.tobytes() == net.normalization.offset.tobytes()
    assert loaded.normalization.scale.tobytes() == net.normalization.scale.tobytes()
    assert loaded.input_names == ("height", "x2^2", "µ")
    assert loaded.predict(X).tobytes() == net.predict(X).tobytes()
    assert not np.array_equal(loaded.predict(X), predict_without_normalization(loaded, X))


def predict_without_normalization(net: Network, X: np.ndarray) -> np.ndarray:
    """Predictions of ``net`` without its normalisation (to show that it matters)."""
    plain = net.copy()
    plain.normalization = None
    return plain.predict(X)


def test_optional_fields_are_written_only_when_set() -> None:
    data = network_to_dict(mazur())
    assert "normalization" not in data and "input_names" not in data
    net, _ = normalized_network()
    data = network_to_dict(net)
    assert list(data) == ["format", "version", "loss", "input_names", "normalization", "layers"]
    assert data["input_names"] == ["height", "x2^2", "µ"]
    assert data["normalization"]["kind"] == "standardize"
    assert data["normalization"]["offset"] == net.normalization.offset.tolist()
    assert data["normalization"]["scale"] == net.normalization.scale.tolist()
    assert json.loads(network_to_json(net)) == data


def test_optional_fields_layout() -> None:
    from bp_studio.engine.normalization import Normalization

    net = mazur()
    net.input_names = ("i1", "i2")
    net.normalization = Normalization("minmax", [0.5, 1.0], [2.0, 0.25])
    lines = network_to_json(net).splitlines()
    assert lines[0] == '{"format": "bp-studio.network", "version": 1, "loss": "mse",'
    assert lines[1] == ' "input_names": ["i1", "i2"],'
    assert lines[2] == (
        ' "normalization": {"kind": "minmax", "offset": [0.5, 1.0], "scale": [2.0, 0.25]},'
    )
    assert lines[3] == ' "layers": ['
    only_names = mazur()
    only_names.input_names = ("a", "b")
    assert network_to_json(only_names).splitlines()[1] == ' "input_names": ["a", "b"],'


def test_documented_optional_fields_load() -> None:
    data = valid_dict()
    data["input_names"] = ["x1", "x2"]
    data["normalization"] = {"kind": "standardize", "offset": [0.5, 1.0], "scale": [2.0, 0.25]}
    net = network_from_dict(data)
    assert net.input_names == ("x1", "x2")
    np.testing.assert_array_equal(net.normalization.apply(np.array([[2.5, 1.5]])), [[1.0, 2.0]])


def test_null_optional_fields_mean_not_set() -> None:
    data = valid_dict()
    data["input_names"] = None
    data["normalization"] = None
    net = network_from_dict(data)
    assert net.input_names is None and net.normalization is None


def with_normalization(**fields) -> dict:
    data = valid_dict()
    data["normalization"] = {"kind": "standardize", "offset": [0.0, 1.0], "scale": [1.0, 2.0]}
    data["normalization"].update(fields)
    return data


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"scale": [1.0, 2.0, 3.0]},
            "normalization.scale: expected 2 values (the network's inputs), got 3",
        ),
        (
            {"offset": [1.0]},
            "normalization.offset: expected 2 values (the network's inputs), got 1",
        ),
        ({"scale": [1.0, 0.0]}, "normalization.scale[1]: must be positive, got 0.0"),
        ({"scale": [-2, 1.0]}, "normalization.scale[0]: must be positive, got -2.0"),
        ({"scale": [1.0, "2"]}, "normalization.scale[1]: expected a number, got '2'"),
        ({"offset": "zero"}, "normalization.offset: expected a list of numbers, got str"),
        ({"offset": [True, 1.0]}, "normalization.offset[0]: expected a number, got True"),
        (
            {"kind": "zscore"},
            "normalization.kind: expected 'standardize' or 'minmax', got 'zscore'",
        ),
        ({"kind": None}, "normalization.kind: expected 'standardize' or 'minmax', got None"),
    ],
)
def test_bad_normalization_names_the_field(fields: dict, expected: str) -> None:
    assert error_for(with_normalization(**fields)) == f"net.json: {expected}"


def test_bad_normalization_shapes() -> None:
    data = with_normalization()
    del data["normalization"]["scale"]
    assert error_for(data) == "net.json: normalization.scale: missing"
    data["normalization"] = [1, 2]
    assert error_for(data) == (
        "net.json: normalization: expected an object with kind, offset and scale, got list"
    )
    text = json.dumps(with_normalization()).replace("[1.0, 2.0]", "[1.0, NaN]")
    assert error_for(text).startswith("net.json: normalization.scale[1]: NaN is not a finite")
    text = json.dumps(with_normalization()).replace("[0.0, 1.0]", "[0.0, 1e999]")
    assert error_for(text) == "net.json: normalization.offset[1]: inf is not a finite number"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["a"], "input_names: expected 2 names (the network's inputs), got 1"),
        (["a", "b", "c"], "input_names: expected 2 names (the network's inputs), got 3"),
        (["a", 2], "input_names[1]: expected a text name, got 2"),
        ("ab", "input_names: expected a list of 2 names (one per input), got str"),
    ],
)
def test_bad_input_names(names, expected: str) -> None:
    data = valid_dict()
    data["input_names"] = names
    assert error_for(data) == f"net.json: {expected}"


def test_saving_mismatched_optional_fields_is_refused() -> None:
    from bp_studio.engine.normalization import Normalization

    net = mazur()
    net.normalization = Normalization("minmax", [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="normalization has 3 inputs but the network has 2"):
        network_to_json(net)
    net = mazur()
    net.input_names = ("only one",)
    with pytest.raises(ValueError, match="input_names has 1 names but the network has 2"):
        network_to_json(net)


@settings(max_examples=fuzz_examples(60), deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2),
    st.lists(st.floats(1e-300, 1e300), min_size=2, max_size=2),
    st.sampled_from(["standardize", "minmax"]),
)
def test_any_normalization_round_trips_exactly(offset, scale, kind) -> None:
    from bp_studio.engine.normalization import Normalization

    net = mazur()
    net.normalization = Normalization(kind, offset, scale)
    loaded = network_from_json(network_to_json(net))
    assert loaded.normalization.offset.tobytes() == net.normalization.offset.tobytes()
    assert loaded.normalization.scale.tobytes() == net.normalization.scale.tobytes()
    X = np.array([[0.3, -2.0], [1e3, 4.0]])
    assert loaded.predict(X).tobytes() == net.predict(X).tobytes()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_given_as_network_file_is_refused_at_once(tmp_path, time_limit) -> None:
    pipe = tmp_path / "net.json"
    os.mkfifo(pipe)
    with time_limit(20), pytest.raises(NetworkFileError) as info:
        Network.load(pipe)
    assert str(info.value) == (
        f"{pipe}: not a regular file (a pipe, device or socket), not a network file"
    )


def test_a_utf8_bom_is_accepted_as_csv_session_and_weight_files_accept_it(tmp_path) -> None:
    net = mazur()
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + network_to_json(net).encode("utf-8"))
    loaded = Network.load(path)
    assert loaded.parameters.tobytes() == net.parameters.tobytes()


@pytest.mark.parametrize("scale", [5e-324, 1e-310, 2.2250738585072e-308])
def test_a_normalization_scale_that_is_not_a_normal_number_is_refused(scale: float) -> None:
    assert error_for(with_normalization(scale=[1.0, scale])) == (
        f"net.json: normalization.scale[1]: {scale!r} is too small to divide by "
        "(below 2.2250738585072014e-308, the smallest normal float64)"
    )
    smallest = network_from_json(json.dumps(with_normalization(scale=[2.2250738585072014e-308, 1])))
    assert smallest.normalization.scale[0] == np.finfo(np.float64).tiny
