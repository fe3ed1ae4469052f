"""Generated NumPy code: the scripts run with numpy alone and agree with predict and train.

The scripts run in a subprocess whose ``sys.path`` holds the standard library, the script's
folder and a folder with only numpy in it (``python -S``, ``PYTHONPATH`` = that folder); a
test checks that ``bp_studio`` cannot be imported there. To keep the suite fast, one
subprocess (``RUNNER``) runs many scripts, each with its own ``sys.argv``, through ``runpy``.

The training grid is the full product of networks (loss and activation pairs, with and
without biases, normalisation, class labels, one and several outputs and layers) x
optimisers x batch sizes (full, 1, a size with a remainder) x shuffling x regularisation.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bp_studio.cli import main
from bp_studio.engine import ACTIVATIONS, LOSSES, OPTIMIZERS, REGULARIZATIONS, Network
from bp_studio.engine.normalization import Normalization
from bp_studio.io.codegen import (
    NUMPY_CODE,
    TrainingOptions,
    predict_script,
    step_lines,
    training_script,
)
from bp_studio.io.export import export_weights

STANDARD_MODULES = {"csv", "io", "json", "math", "os", "re", "sys"}

RUNNER = r'''
"""Run scripts given as JSON [script, [args...], stdout file, stderr file] in this process."""
import contextlib
import json
import runpy
import sys

results = []
for script, args, out, err in json.load(open(sys.argv[1])):
    sys.argv = [script, *args]
    code = 0
    with open(out, "w") as stdout, open(err, "w") as stderr:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    results.append(code)
print(json.dumps(results))
'''


@pytest.fixture(scope="module")
def numpy_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only numpy (symbolic links to the installed package)."""
    folder = tmp_path_factory.mktemp("numpy_only")
    site = Path(np.__file__).resolve().parent.parent
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            (folder / name).symlink_to(site / name)
    return folder


def isolated(numpy_only: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -S ARGS`` with only the standard library, ``cwd`` and numpy importable."""
    env = {"PYTHONPATH": str(numpy_only), "PATH": os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_scripts(numpy_only: Path, folder: Path, runs: list[tuple[str, list[str]]]) -> list[dict]:
    """Run each ``(script, args)`` in one isolated subprocess; exit code, stdout, stderr each."""
    plan = []
    for index, (script, args) in enumerate(runs):
        plan.append(
            [script, args, str(folder / f"out{index}.txt"), str(folder / f"err{index}.txt")]
        )
    (folder / "plan.json").write_text(json.dumps(plan))
    (folder / "runner.py").write_text(RUNNER)
    result = isolated(numpy_only, folder, "runner.py", "plan.json")
    assert result.returncode == 0, result.stderr
    codes = json.loads(result.stdout.splitlines()[-1])
    return [
        {"code": code, "stdout": Path(out).read_text(), "stderr": Path(err).read_text()}
        for code, (_, _, out, err) in zip(codes, plan)
    ]


def cli(*args: str) -> tuple[int, str]:
    """``bp-studio ARGS`` in this process: exit status and stdout (stderr if it failed)."""
    buffer, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(errors):
        status = main(list(args))
    return status, buffer.getvalue() if status == 0 else errors.getvalue()


def write_csv(path: Path, columns: list[str], values: np.ndarray) -> None:
    rows = [",".join(columns)] + [",".join(repr(float(v)) for v in row) for row in values]
    path.write_text("\n".join(rows) + "\n")


# -- the table --------------------------------------------------------------------------------


def test_every_registry_entry_has_numpy_code() -> None:
    assert set(NUMPY_CODE["activation"]) == set(ACTIVATIONS)
    assert set(NUMPY_CODE["loss"]) == set(LOSSES)
    assert set(NUMPY_CODE["optimizer"]) == set(OPTIMIZERS)
    assert set(NUMPY_CODE["regularization"]) == set(REGULARIZATIONS)


def test_the_isolated_interpreter_has_numpy_and_not_bp_studio(
    numpy_only: Path, tmp_path: Path
) -> None:
    result = isolated(numpy_only, tmp_path, "-c", "import numpy; import bp_studio")
    assert result.returncode != 0
    assert "No module named 'bp_studio'" in result.stderr
    assert isolated(numpy_only, tmp_path, "-c", "import numpy").returncode == 0


def imported_modules(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or "").split(".")[0])
    return found


# -- networks of the grid ---------------------------------------------------------------------


def grid_networks(folder: Path) -> dict[str, tuple[Network, list[str]]]:
    """Networks saved in ``folder`` with their data files, one per loss/activation family.

    Each value is ``(network, extra train arguments)``; the data is ``<name>.csv``.
    """
    rng = np.random.default_rng(7)
    X = rng.normal(size=(7, 3))
    labels = rng.integers(0, 3, size=7)
    nets = {}

    net = Network.create([3, 4, 1], ["tanh", "sigmoid"], "mse", seed=1)
    write_csv(folder / "mse.csv", ["a", "b", "c", "y"], np.c_[X, (X[:, :1] > 0)])
    nets["mse"] = (net, [])

    # the glossary's kind: no biases, linear output, two outputs, normalised named inputs
    net = Network.create([3, 5, 2], ["relu", "linear"], "mse", bias=False, seed=2)
    net.normalization = Normalization.fit("standardize", 3 * X + 1)
    net.input_names = ("a", "b", "c")
    write_csv(
        folder / "linear.csv", ["a", "b", "c", "y1", "y2"], np.c_[3 * X + 1, np.tanh(X[:, :2])]
    )
    nets["linear"] = (net, [])

    net = Network.create(
        [3, 4, 3, 2], ["leaky_relu", "tanh", "sigmoid"], "binary_cross_entropy", seed=3
    )
    net.layers[1].bias[...] = 0.1
    write_csv(
        folder / "bce.csv", ["y1", "a", "b", "c", "y2"], np.c_[X[:, :1] > 0, X, X[:, 1:2] > 0]
    )
    nets["bce"] = (net, ["--targets", "y1,y2"])

    net = Network.create(
        [3, 4, 3], ["sigmoid", "softmax"], "cross_entropy", bias=[False, True], seed=4
    )
    write_csv(folder / "ce.csv", ["a", "b", "c", "label"], np.c_[X, labels])
    nets["ce"] = (net, [])
    for name, (network, _) in nets.items():
        network.save(folder / f"{name}.json")
    return nets


OPTIMIZER_NAMES = list(OPTIMIZERS)
BATCH_SIZES = [None, 1, 3]
SHUFFLES = [False, True]
PENALTIES = [("none", 0.0), ("l1", 0.003), ("l2", 0.02)]


def test_training_scripts_write_what_train_writes_across_the_grid(
    numpy_only: Path, tmp_path: Path
) -> None:
    nets = grid_networks(tmp_path)
    runs = []
    expected = []
    grid = itertools.product(nets, OPTIMIZER_NAMES, BATCH_SIZES, SHUFFLES, PENALTIES)
    for index, (name, optimizer, batch, shuffle, (penalty, rate)) in enumerate(grid):
        network, extra = nets[name]
        options = TrainingOptions(
            epochs=4,
            lr=0.03,
            batch_size=batch,
            optimizer=optimizer,
            shuffle=shuffle,
            seed=11,
            regularization=penalty,
            regularization_rate=rate,
        )
        targets = extra[1].split(",") if extra else None
        script = tmp_path / f"train{index}.py"
        script.write_text(
            training_script(network, options, source=f"{name}.json", target_columns=targets)
        )
        runs.append((str(script), [f"{name}.csv", f"script{index}.json"]))
        args = [f"{name}.json", "--data", str(tmp_path / f"{name}.csv"), *extra]
        args += ["--epochs", "4", "--lr", "0.03", "--optimizer", optimizer, "--seed", "11"]
        args += ["--batch-size", "full" if batch is None else str(batch)]
        args += ["--shuffle"] if shuffle else []
        if penalty != "none":
            args += ["--regularization", penalty, "--regularization-rate", str(rate)]
        out = tmp_path / f"cli{index}.json"
        with contextlib.chdir(tmp_path):
            status, stdout = cli("train", *args, "--out", str(out))
        assert status == 0, stdout
        expected.append((out, stdout.splitlines()[0], (name, optimizer, batch, shuffle, penalty)))
    assert len(runs) == 4 * 3 * 3 * 2 * 3

    results = run_scripts(numpy_only, tmp_path, runs)
    for index, (result, (cli_file, cli_line, case)) in enumerate(zip(results, expected)):
        assert result["code"] == 0, (case, result["stderr"])
        assert result["stdout"].splitlines() == [cli_line, f"wrote script{index}.json"], case
        mine = json.loads((tmp_path / f"script{index}.json").read_text())
        theirs = json.loads(cli_file.read_text())
        assert {k: v for k, v in mine.items() if k != "layers"} == {
            k: v for k, v in theirs.items() if k != "layers"
        }, case
        for got, want in zip(mine["layers"], theirs["layers"]):
            assert got["activation"] == want["activation"]
            np.testing.assert_allclose(got["weight"], want["weight"], rtol=0, atol=1e-12)
            assert (got["bias"] is None) == (want["bias"] is None), case
            if want["bias"] is not None:
                np.testing.assert_allclose(got["bias"], want["bias"], rtol=0, atol=1e-12)
        # Bit for bit, in fact: the same file, and it loads in bp-studio.
        assert (tmp_path / f"script{index}.json").read_text() == cli_file.read_text(), case
        Network.load(tmp_path / f"script{index}.json")


def test_prediction_scripts_print_what_predict_prints(numpy_only: Path, tmp_path: Path) -> None:
    nets = grid_networks(tmp_path)
    runs, expected = [], []
    for name, (network, extra) in nets.items():
        network.layers[0].weight[...] *= 3.0  # something other than the initial weights
        network.save(tmp_path / f"{name}.json")
        script = tmp_path / f"model_{name}.py"
        export_weights(network, script, "py")
        assert script.read_text() == predict_script(network)
        assert imported_modules(script.read_text()) == STANDARD_MODULES - {"json"} | {"numpy"}
        for args in ([f"{name}.csv", *extra],):
            runs.append((str(script), args))
            with contextlib.chdir(tmp_path):
                status, stdout = cli("predict", f"{name}.json", "--data", *args)
            assert status == 0, stdout
            expected.append(stdout)
        # the inputs alone
        inputs = tmp_path / f"{name}_inputs.csv"
        write_csv(inputs, ["p", "q", "r"], np.random.default_rng(0).normal(size=(5, 3)))
        runs.append((str(script), [inputs.name]))
        with contextlib.chdir(tmp_path):
            expected.append(cli("predict", f"{name}.json", "--data", inputs.name)[1])
    results = run_scripts(numpy_only, tmp_path, runs)
    for result, text in zip(results, expected):
        assert result["code"] == 0, result["stderr"]
        assert result["stdout"] == text
    assert expected[0].startswith("output_1\n")
    assert expected[2].startswith("output_1,output_2\n")


def test_predict_is_importable_and_exact(numpy_only: Path, tmp_path: Path) -> None:
    network = Network.create([2, 3, 2], ["tanh", "softmax"], "cross_entropy", seed=5)
    (tmp_path / "model.py").write_text(predict_script(network))
    X = np.random.default_rng(1).normal(size=(4, 2))
    np.save(tmp_path / "x.npy", X)
    code = (
        "import numpy as np; from model import predict; np.save('y.npy', predict(np.load('x.npy')))"
    )
    result = isolated(numpy_only, tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), network.predict(X))


# -- only what the options need ---------------------------------------------------------------


def test_a_script_holds_only_what_its_options_need() -> None:
    network = Network.create([2, 3, 1], ["sigmoid", "linear"], "mse", bias=False, seed=0)
    plain = training_script(network, TrainingOptions(batch_size=1))
    for absent in (
        "BETA1",
        "Adam",
        "velocity",
        "MOMENTUM",
        "REGULARIZATION_RATE",
        "np.random",
        "SEED",
        "one_hot",
        "INPUT_OFFSET",
        "b1",
        "softmax",
        "tanh",
        "LEAKY_SLOPE",
    ):
        assert absent not in plain, absent
    assert imported_modules(plain) == STANDARD_MODULES | {"numpy"}
    steps = [plain.index(f"# Step {k}: ") for k in (1, 2, 3, 4)]
    assert steps == sorted(steps)
    # the glossary network in the seed's terms, done right
    assert "z1 = a0 @ W1.T  #" in plain
    assert "a1 = sigmoid(z1)" in plain
    assert "a2 = z2  # the predictions o" in plain
    assert "error = targets - a2" in plain
    assert "delta2 = -error\n" in plain  # linear output: f'(z) = 1
    assert "delta1 = (delta2 @ W2) * (a1 * (1.0 - a1))" in plain
    assert "W2 -= LEARNING_RATE * dW2" in plain
    assert plain.index("W2 -= LEARNING_RATE") < plain.index("W1 -= LEARNING_RATE")

    adam = training_script(
        network,
        TrainingOptions(
            optimizer="adam", shuffle=True, regularization="l2", regularization_rate=0.1
        ),
    )
    for present in (
        "BETA1 = 0.9",
        "BETA2 = 0.999",
        "EPS = 1e-08",
        "t += 1",
        "rng.permutation",
        "REGULARIZATION_RATE * W1",
    ):
        assert present in adam, present
    assert "velocity" not in adam
    momentum = training_script(network, TrainingOptions(optimizer="momentum"))
    assert "MOMENTUM = 0.9" in momentum and "BETA1" not in momentum


def test_step_lines_frame_each_step() -> None:
    network = Network.create([2, 3, 2, 1], ["tanh", "relu", "sigmoid"], "mse", seed=0)
    script = training_script(network, TrainingOptions(optimizer="adam"))
    lines = script.splitlines()
    where = step_lines(script)
    assert list(where) == [1, 2, 3, 4]
    for step, (first, last) in where.items():
        assert lines[first - 1].strip().startswith(f"# Step {step}: ")
        assert lines[last - 1].strip()
    assert lines[where[1][1] - 1].strip() == "a3 = sigmoid(z3)  # the predictions o"
    assert lines[where[2][1] - 1].strip() == 'stop_if_not_finite("loss", [loss], step)'
    assert lines[where[3][1] - 1].strip() == "db1 = delta1.sum(axis=0) * (1.0 / n)"
    assert (
        lines[where[4][1] - 1].strip()
        == 'stop_if_not_finite("weights", [W3, b3, W2, b2, W1, b1], step)'
    )
    assert where[1][1] < where[2][0] and where[3][1] < where[4][0]


def test_a_network_with_an_unknown_registry_name_is_refused() -> None:
    network = Network.create([2, 1], ["sigmoid"], "mse", seed=0)
    with pytest.raises(ValueError, match="no numpy code for the optimizer 'rmsprop'"):
        training_script(network, TrainingOptions(optimizer="rmsprop"))


def test_file_names_cannot_break_the_script() -> None:
    network = Network.create([2, 1], ["sigmoid"], "mse", seed=0)
    text = training_script(
        network, TrainingOptions(), source='C:\\Users\\a"""b\n.json', target_columns=['y"\\']
    )
    ast.parse(text)


# -- bad input --------------------------------------------------------------------------------


def test_scripts_reject_bad_data_in_one_line(numpy_only: Path, tmp_path: Path) -> None:
    network = Network.create([2, 3, 3], ["tanh", "softmax"], "cross_entropy", seed=0)
    (tmp_path / "model.py").write_text(predict_script(network))
    (tmp_path / "train.py").write_text(training_script(network, TrainingOptions(epochs=2)))
    files = {
        "wide.csv": "a,b,c,d,e,f\n1,2,3,4,5,6\n",
        "text.csv": "a,b\n1,2\n3,x\n",
        "nan.csv": "a,b\n1,nan\n",
        "ragged.csv": "a,b\n1,2,3\n",
        "headless.csv": "1,2\n3,4\n",
        "empty.csv": "",
        "header_only.csv": "a,b\n",
        "twice.csv": "a,a\n1,2\n",
        "label.csv": "a,b,label\n1,2,0\n3,4,7\n",
        "ok.csv": "a,b,label\n1,2,0\n3,4,2\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    runs = [
        ("model.py", ["wide.csv"]),
        ("model.py", ["text.csv"]),
        ("model.py", ["nan.csv"]),
        ("model.py", ["ragged.csv"]),
        ("model.py", ["headless.csv"]),
        ("model.py", ["empty.csv"]),
        ("model.py", ["header_only.csv"]),
        ("model.py", ["twice.csv"]),
        ("model.py", ["missing.csv"]),
        ("model.py", ["ok.csv", "--targets", "nope"]),
        ("model.py", []),
        ("train.py", ["wide.csv", "out.json"]),
        ("train.py", ["label.csv", "out.json"]),
        ("train.py", ["ok.csv", "no/such/folder/out.json"]),
        ("train.py", ["ok.csv"]),
    ]
    results = run_scripts(numpy_only, tmp_path, [(str(tmp_path / s), a) for s, a in runs])
    expected = [
        "model.py: error: wide.csv has 6 columns, the network (2-3-3 (tanh, softmax), "
        "cross_entropy) needs 2 (its inputs) or 5 (inputs then targets); --targets names "
        "columns to leave out",
        'model.py: error: text.csv, line 3, column "b" (2): "x" is not a number',
        'model.py: error: nan.csv, line 2, column "b" (2): "nan" is not a finite number',
        "model.py: error: ragged.csv, line 2 has 3 cells, the header has 2 columns",
        "model.py: error: headless.csv, line 1: no header row (the first line names the columns)",
        "model.py: error: empty.csv: the file is empty",
        "model.py: error: header_only.csv: no data rows (the file has only the header line)",
        'model.py: error: twice.csv, line 1: the column name "a" is used twice',
        "model.py: error: missing.csv: file not found",
        'model.py: error: ok.csv: no column "nope" (the columns are "a", "b", "label")',
        "model.py: error: usage: python model.py DATA.csv [--targets COLUMNS]",
        "train.py: error: wide.csv has 6 columns, the network (2-3-3 (tanh, softmax), "
        "cross_entropy) needs 5: 2 inputs then 3 targets (or 3, with one column of class "
        "numbers)",
        "train.py: error: label.csv: target row 2: class label 7.0 is not one of 0 .. 2",
        "train.py: error: cannot write no/such/folder/out.json: folder no/such/folder does not "
        "exist",
        "train.py: error: usage: python train.py DATA.csv OUT.json",
    ]
    for result, line in zip(results, expected):
        assert result["code"] == 2
        assert result["stdout"] == ""
        assert result["stderr"].splitlines() == [line]
    assert not (tmp_path / "out.json").exists()


def test_a_diverging_script_stops_as_train_does(numpy_only: Path, tmp_path: Path) -> None:
    network = Network.create([2, 3, 1], ["linear", "linear"], "mse", seed=0)
    network.save(tmp_path / "net.json")
    write_csv(tmp_path / "big.csv", ["a", "b", "y"], np.array([[1e3, 2e3, 1e6], [3e3, 1e3, -1e6]]))
    options = TrainingOptions(epochs=50, lr=10.0)
    (tmp_path / "train.py").write_text(training_script(network, options))
    result = isolated(numpy_only, tmp_path, "train.py", "big.csv", "out.json")
    buffer = io.StringIO()
    with contextlib.chdir(tmp_path), contextlib.redirect_stderr(buffer):
        status = main(
            [
                "train",
                "net.json",
                "--data",
                "big.csv",
                "--epochs",
                "50",
                "--lr",
                "10",
                "--out",
                "cli.json",
            ]
        )
    assert status == 2
    cli_message = buffer.getvalue().strip().removeprefix("bp-studio: error: net.json: ")
    assert result.returncode == 2
    assert result.stderr.strip() == f"train.py: error: {cli_message}"
    assert "lower the learning rate; nothing was written" in cli_message
    assert not (tmp_path / "out.json").exists()
