"""End-to-end tests of the ``bp-studio`` command (subprocesses) plus faster in-process ones."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from bp_studio import cli
from bp_studio.cli import main
from bp_studio.data.split import split_rows
from bp_studio.engine import (
    ACTIVATIONS,
    LOSSES,
    Network,
    Trainer,
    hidden_activations,
    output_activations,
)
from bp_studio.engine.early_stopping import validation_loss

XOR_CSV = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
FINAL_LOSS = re.compile(
    r"final loss (\S+) after (\d+) epochs? \((\d+) steps?\)(?:, from (\S+) in epoch 1)?"
)


def run_cli(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bp_studio", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_error_line(stderr: str, *fragments: str) -> str:
    """``stderr`` is exactly one ``bp-studio: error:`` line holding every fragment."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("bp-studio: error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def no_files_like(folder: Path, name: str) -> bool:
    """Neither ``name`` nor a temporary file of an atomic write of it is in ``folder``."""
    return not [p for p in os.listdir(folder) if p == name or p.startswith(f".{name}.")]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with xor.csv and net.json (2-4-1 tanh/sigmoid, mse, seed 0)."""
    (tmp_path / "xor.csv").write_text(XOR_CSV)
    Network.create([2, 4, 1], ["tanh", "sigmoid"], "mse", seed=0).save(tmp_path / "net.json")
    return tmp_path


# -- end to end (subprocesses) ----------------------------------------------------------


def test_init_writes_a_valid_network(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        *("init", "--layers", "2,4,1", "--activations", "tanh,sigmoid", "--loss", "mse"),
        *("--no-bias", "--init", "he", "--seed", "3", "--out", "net.json"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("wrote net.json: network 2-4-1 (tanh, sigmoid), mse")
    network = Network.load(tmp_path / "net.json")
    assert network.sizes == [2, 4, 1]
    assert network.activations == ["tanh", "sigmoid"]
    assert network.loss_name == "mse"
    assert all(layer.bias is None for layer in network.layers)
    expected = Network.create([2, 4, 1], ["tanh", "sigmoid"], "mse", bias=False, init="he", seed=3)
    assert np.array_equal(network.parameters, expected.parameters)


def test_train_then_predict_xor(work: Path) -> None:
    result = run_cli(
        work,
        *("train", "net.json", "--data", "xor.csv", "--epochs", "2000", "--lr", "1"),
        *("--batch-size", "full", "--optimizer", "sgd", "--seed", "0", "--out", "trained.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "wrote trained.json"
    match = FINAL_LOSS.fullmatch(lines[0])
    assert match, lines[0]
    final, epochs, steps, first = match.groups()
    assert (epochs, steps) == ("2000", "2000")
    assert float(final) < float(first) / 10

    trained = Network.load(work / "trained.json")
    expected = Network.load(work / "net.json")
    history = expected.train(XOR_X, XOR_Y, epochs=2000, lr=1.0)
    assert np.array_equal(trained.parameters, expected.parameters)
    assert float(final) == pytest.approx(history[-1], rel=1e-5)
    assert np.array_equal(np.round(trained.predict(XOR_X)), XOR_Y)

    result = run_cli(work, "predict", "trained.json", "--data", "xor.csv")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["output_1"]
    values = np.array([[float(cell) for cell in row] for row in rows[1:]])
    assert values.shape == (4, 1)
    assert np.array_equal(values, trained.predict(XOR_X))  # exact, not approximate


def test_help_and_version(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: bp-studio")
    for command in ("init", "train", "predict"):
        assert command in result.stdout
    result = run_cli(tmp_path, "--version")
    assert result.returncode == 0
    assert re.fullmatch(r"bp-studio \d+\.\d+\.\d+\S*\n", result.stdout)


def test_the_commands_do_not_import_qt(work: Path) -> None:
    code = (
        "import sys\n"
        "from bp_studio.cli import main\n"
        "rc = main(['predict', 'net.json', '--data', 'xor.csv'])\n"
        "print(rc, 'PySide6' in sys.modules, 'pyqtgraph' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=work, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 False False"


BAD_INPUTS = {
    "missing data file": (
        {},
        ["train", "net.json", "--data", "missing.csv"],
        ["missing.csv", "file not found"],
    ),
    "missing network file": (
        {},
        ["train", "missing.json", "--data", "xor.csv"],
        ["missing.json", "file not found"],
    ),
    "non-numeric cell": (
        {"text.csv": "x1,x2,y\n0,0,0\n0,abc,1\n"},
        ["train", "net.json", "--data", "text.csv"],
        ["text.csv", "line 3", 'column "x2" (2)', '"abc" is not a number'],
    ),
    "wrong number of cells": (
        {"ragged.csv": "x1,x2,y\n0,0,0\n0,1\n"},
        ["train", "net.json", "--data", "ragged.csv"],
        ["ragged.csv", "line 3", "2 cells", "3 columns"],
    ),
    "empty file": ({"empty.csv": ""}, ["train", "net.json", "--data", "empty.csv"], ["empty.csv"]),
    "patience without validation": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--patience", "5"],
        ["--patience needs --validation SHARE"],
    ),
    "validation share too large": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--validation", "0.95"],
        ["argument --validation: must be at most 0.9, got '0.95'"],
    ),
    "validation share not a number": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--validation", "a fifth"],
        ["argument --validation: expected a number, got 'a fifth'"],
    ),
    "validation holding out nothing": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--validation", "0.1"],
        ["xor.csv: --validation 0.1 of 4 rows holds out no row; choose a larger share"],
    ),
    "patience of zero": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--validation", "0.5", "--patience", "0"],
        ["argument --patience: must be 1 or more, got '0'"],
    ),
    "nan": (
        {"nan.csv": "x1,x2,y\n0,0,0\n0,nan,1\n"},
        ["train", "net.json", "--data", "nan.csv"],
        ["nan.csv", "line 3", 'column "x2" (2)', 'missing value "nan"', "--drop-missing"],
    ),
    "inf": (
        {"inf.csv": "x1,x2,y\n0,0,0\n0,1,1\n1,0,inf\n"},
        ["train", "net.json", "--data", "inf.csv"],
        ["inf.csv", "line 4", 'column "y" (3)', "not a finite number"],
    ),
    "data not matching the network": (
        {"wide.csv": "a,b,c,d\n0,0,0,1\n"},
        ["train", "net.json", "--data", "wide.csv"],
        ["wide.csv has 4 columns", "net.json", "needs 3", "2 inputs then 1 target"],
    ),
    "bad network file": (
        {"bad.json": '{"format": "bp-studio.network", "version": 1,'},
        ["train", "bad.json", "--data", "xor.csv"],
        ["bad.json", "not JSON", "line 1 column"],
    ),
    "learning rate 0": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--lr", "0"],
        ["--lr", "'0'", "above 0"],
    ),
    "negative epochs": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--epochs", "-1"],
        ["--epochs", "'-1'"],
    ),
    "batch size 0": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--batch-size", "0"],
        ["--batch-size", "'0'"],
    ),
    "batch size abc": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--batch-size", "abc"],
        ["--batch-size", "'abc'"],
    ),
    "unknown optimizer": (
        {},
        ["train", "net.json", "--data", "xor.csv", "--optimizer", "foo"],
        ["--optimizer", "'foo'", "sgd"],
    ),
    "diverging run": (
        {},
        ["train", "linear.json", "--data", "xor.csv", "--lr", "1e6", "--epochs", "1000"],
        ["linear.json: loss became inf at step ", "lower the learning rate", "nothing was written"],
    ),
}


END_TO_END = ("missing data file", "non-numeric cell", "diverging run")
"""The bad inputs also run in a subprocess, as a user runs them (all of them run in process)."""


def bad_input(work: Path, case: str) -> tuple[list[str], list[str]]:
    """Write the files of ``BAD_INPUTS[case]`` into ``work``; return its arguments (with
    ``--out out.json``) and the fragments its error line must hold."""
    files, args, fragments = BAD_INPUTS[case]
    for name, text in files.items():
        (work / name).write_text(text)
    Network.create([2, 4, 1], ["tanh", "linear"], "mse", seed=0).save(work / "linear.json")
    return [*args, "--out", "out.json"], fragments


@pytest.mark.parametrize("case", END_TO_END)
def test_bad_input_is_one_line_and_writes_nothing(work: Path, case: str) -> None:
    args, fragments = bad_input(work, case)
    result = run_cli(work, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert_one_error_line(result.stderr, *fragments)
    assert no_files_like(work, "out.json")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_exits_130_and_writes_nothing(work: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bp_studio", "train", "net.json", "--data", "xor.csv"]
        + ["--epochs", "1000000000", "--progress", "--out", "out.json"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # bytes: text mode would turn the bar's \r into \n
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # Unbuffered: communicate() reads the pipe itself, past any buffer of process.stderr.
        first = os.read(process.stderr.fileno(), 1)  # the bar: training has run for 1 s
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = (first + err).decode()
    assert process.returncode == 130, err
    assert out == b""
    assert "Traceback" not in err
    assert err.startswith("\repoch ")
    assert err.splitlines()[-1] == "bp-studio: interrupted (Ctrl+C); nothing was saved"
    assert no_files_like(work, "out.json")


# -- in process -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["init", "train", "predict"])
def test_help_for_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: bp-studio {command} ")
    assert "example:" in out


def test_init_one_activation_for_all_layers(tmp_path: Path, capsys) -> None:
    out = tmp_path / "net.json"
    assert main(["init", "--layers", "3,5,4,2", "--activations", "relu", "--out", str(out)]) == 0
    assert "3-5-4-2 (relu, relu, relu)" in capsys.readouterr().out
    network = Network.load(out)
    assert network.activations == ["relu"] * 3
    assert all(layer.bias is not None for layer in network.layers)
    assert np.array_equal(network.parameters, Network.create([3, 5, 4, 2], "relu").parameters)


@pytest.mark.parametrize(
    ("output", "loss"),
    [(output, loss) for loss in LOSSES for output in output_activations(loss)],
)
def test_init_accepts_every_registry_pairing(
    tmp_path: Path, output: str, loss: str, capsys
) -> None:
    """Every hidden activation (in turn) and every output activation with each loss it pairs
    with: the CLI's choices and help come from the registries."""
    hidden = hidden_activations()
    first = hidden[list(LOSSES).index(loss) % len(hidden)]
    out = tmp_path / "net.json"
    for name in (first, *hidden):
        assert (
            main(
                [
                    "init",
                    "--layers",
                    "2,3,2",
                    "--activations",
                    f"{name},{output}",
                    "--loss",
                    loss,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        assert Network.load(out).activations == [name, output]
    assert main(["init", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(name in help_text for name in ACTIVATIONS)
    assert loss in help_text and " ".join(LOSSES[loss].requirement.split()) in help_text


def test_targets_chooses_the_columns(work: Path, capsys) -> None:
    data = work / "yfirst.csv"
    data.write_text("y,x1,x2\n0,0,0\n1,0,1\n1,1,0\n0,1,1\n")
    out = work / "trained.json"
    args = ["train", str(work / "net.json"), "--data", str(data), "--targets", "y"]
    assert main([*args, "--epochs", "50", "--lr", "0.7", "--out", str(out)]) == 0
    capsys.readouterr()
    expected = Network.load(work / "net.json")
    expected.train(XOR_X, XOR_Y, epochs=50, lr=0.7)
    trained = Network.load(out)
    assert np.array_equal(trained.parameters, expected.parameters)

    assert main(["predict", str(out), "--data", str(data), "--targets", "y"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    values = np.array([[float(cell) for cell in row] for row in rows[1:]])
    assert np.array_equal(values, trained.predict(XOR_X))


def test_predict_with_only_the_input_columns(work: Path, capsys) -> None:
    data = work / "inputs.csv"
    data.write_text("a,b\n0.25,-1.5\n3,0.125\n")
    assert main(["predict", str(work / "net.json"), "--data", str(data)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["output_1"]
    values = np.array([[float(cell) for cell in row] for row in rows[1:]])
    expected = Network.load(work / "net.json").predict(np.array([[0.25, -1.5], [3.0, 0.125]]))
    assert np.array_equal(values, expected)


def test_cross_entropy_accepts_a_column_of_class_numbers(tmp_path: Path, capsys) -> None:
    net = tmp_path / "net.json"
    Network.create([2, 3, 3], ["tanh", "softmax"], "cross_entropy", seed=1).save(net)
    data = tmp_path / "classes.csv"
    data.write_text("x1,x2,class\n0,0,0\n0,1,1\n1,0,2\n1,1,1\n")
    out = tmp_path / "trained.json"
    assert main(["train", str(net), "--data", str(data), "--epochs", "20", "--out", str(out)]) == 0
    assert FINAL_LOSS.match(capsys.readouterr().out)
    assert main(["predict", str(out), "--data", str(data)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["output_1", "output_2", "output_3"]
    assert len(rows) == 5

    data.write_text("x1,x2,class\n0,0,0\n0,1,3\n")
    assert main(["train", str(net), "--data", str(data), "--out", str(out)]) == 2
    assert_one_error_line(capsys.readouterr().err, "classes.csv", "row 2", "class label 3")


def test_the_command_line_reads_what_the_window_reads(tmp_path: Path, capsys) -> None:
    """Text class labels, semicolons and decimal commas, missing values to skip (issue 9)."""
    from bp_studio.data.table_import import read_dataset

    net = tmp_path / "net.json"
    Network.create([2, 3, 3], ["tanh", "softmax"], "cross_entropy", seed=1).save(net)
    data = tmp_path / "iris.csv"
    data.write_text(
        "a;b;species\n5,1;3,5;setosa\n7,0;3,2;versicolor\n6,3;;virginica\n6,4;3,2;versicolor\n"
    )
    out = tmp_path / "trained.json"
    args = ["train", str(net), "--data", str(data), "--epochs", "5", "--out", str(out)]
    assert main(args) == 2
    assert_one_error_line(
        capsys.readouterr().err,
        'iris.csv, line 4, column "b" (2): missing value (empty cell); 1 row has missing '
        "values; add --drop-missing to skip them",
    )
    assert main([*args, "--drop-missing"]) == 0
    assert FINAL_LOSS.match(capsys.readouterr().out)
    window = read_dataset(data, drop_missing=True)
    expected = Network.load(net)
    expected.train(window.X, window.targets_for_loss("cross_entropy"), epochs=5)
    assert np.array_equal(Network.load(out).parameters, expected.parameters)
    assert main(["predict", str(out), "--data", str(data)]) == 2  # predict needs every row
    assert "missing value" in capsys.readouterr().err
    data.write_text("a\tb\tspecies\n5.1\t3.5\tsetosa\n")
    assert main(["predict", str(out), "--data", str(data)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["output_1", "output_2", "output_3"] and len(rows) == 2


def test_train_without_out_saves_nothing_and_says_so(work: Path, capsys) -> None:
    before = sorted(os.listdir(work))
    net = str(work / "net.json")
    assert main(["train", net, "--data", str(work / "xor.csv"), "--epochs", "3"]) == 0
    captured = capsys.readouterr()
    match = FINAL_LOSS.fullmatch(captured.out.strip())
    assert match and match.group(2) == "3"
    assert "add --out FILE" in captured.err
    assert sorted(os.listdir(work)) == before


def test_zero_epochs_reports_the_current_loss(work: Path, capsys) -> None:
    net = str(work / "net.json")
    assert main(["train", net, "--data", str(work / "xor.csv"), "--epochs", "0"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("final loss ") and line.endswith("after 0 epochs (0 steps)")
    history = Network.load(net).train(XOR_X, XOR_Y, epochs=1)
    assert float(line.split()[2]) == pytest.approx(history[0], rel=1e-5)


def in_process_cases(work: Path) -> dict[str, tuple[list[str], list[str]]]:
    net, xor = str(work / "net.json"), str(work / "xor.csv")
    train = ["train", net, "--data", xor]
    return {
        "unknown target column": ([*train, "--targets", "zz"], ['no column "zz"', "xor.csv"]),
        "too many target columns": (
            [*train, "--targets", "x1,y"],
            ["--targets names 2 columns", "1 output"],
        ),
        "penalty without rate": ([*train, "--regularization", "l2"], ["--regularization-rate"]),
        "rate without penalty": ([*train, "--regularization-rate", "0.1"], ["--regularization"]),
        "missing out folder": (
            [*train, "--out", str(work / "nowhere" / "out.json")],
            ["cannot write", "nowhere", "does not exist"],
        ),
        "out is the data file": ([*train, "--out", xor], ["xor.csv is the data file"]),
        "lr not a number": ([*train, "--lr", "fast"], ["--lr", "'fast'"]),
        "lr infinite": ([*train, "--lr", "inf"], ["--lr", "'inf'"]),
        "no data": (["train", net], ["required", "--data"]),
        "predict: columns": (
            ["predict", net, "--data", str(work / "five.csv")],
            ["five.csv has 5 columns", "needs 2 (its inputs) or 3"],
        ),
        "predict: bad network": (["predict", xor, "--data", xor], ["xor.csv", "not JSON"]),
        "init: layers": (["init", "--layers", "2", "--out", "x.json"], ["--layers", "'2'"]),
        "init: size 0": (["init", "--layers", "2,0,1", "--out", "x.json"], ["--layers"]),
        "init: activation": (
            ["init", "--layers", "2,1", "--activations", "nope", "--out", "x.json"],
            ["unknown activation 'nope'"],
        ),
        "init: activation count": (
            ["init", "--layers", "2,3,1", "--activations", "tanh,tanh,tanh", "--out", "x.json"],
            ["2 activation(s), got 3"],
        ),
        "init: loss and output": (
            ["init", "--layers", "2,2", "--loss", "cross_entropy", "--out", "x.json"],
            ["cross_entropy loss needs a softmax output layer"],
        ),
        "init: no out": (["init", "--layers", "2,1"], ["required", "--out"]),
        "unknown command": (["fly"], ["invalid choice: 'fly'"]),
        "window: missing file": ([str(work / "missing.json")], ["missing.json: file not found"]),
        "window: not a network": ([xor], ["xor.csv", "the window opens"]),
    }


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_in_process(work: Path, case: str, capsys, monkeypatch) -> None:
    args, fragments = bad_input(work, case)
    monkeypatch.chdir(work)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_error_line(captured.err, *fragments)
    assert no_files_like(work, "out.json")


def test_more_bad_inputs_in_process(work: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(work)
    (work / "five.csv").write_text("a,b,c,d,e\n1,2,3,4,5\n")
    before = sorted(os.listdir(work))
    for name, (args, fragments) in in_process_cases(work).items():
        assert main(args) == 2, name
        captured = capsys.readouterr()
        assert captured.out == "", name
        assert_one_error_line(captured.err, *fragments)
    assert sorted(os.listdir(work)) == before


def test_ctrl_c_in_process(work: Path, capsys, monkeypatch) -> None:
    def interrupted(self, epochs, callback=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.Trainer, "run_epochs", interrupted)
    out = work / "out.json"
    assert (
        main(["train", str(work / "net.json"), "--data", str(work / "xor.csv"), "--out", str(out)])
        == 130
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "bp-studio: interrupted (Ctrl+C); nothing was saved\n"
    assert no_files_like(work, "out.json")


def test_progress_bar_only_after_a_second(work: Path, capsys, monkeypatch) -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 0.05
        return now[0]

    monkeypatch.setattr(cli, "_clock", clock)
    args = ["train", str(work / "net.json"), "--data", str(work / "xor.csv"), "--epochs", "100"]
    assert main([*args, "--progress"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("\repoch ")
    assert "\repoch 100/100 [####################] loss " in err
    first = err.split("\r")[1]
    assert int(first.split()[1].split("/")[0]) >= 19  # nothing drawn during the first second

    now[0] = 0.0
    assert main([*args, "--epochs", "10", "--progress"]) == 0  # shorter than a second
    assert "epoch" not in capsys.readouterr().err
    assert main(args) == 0  # not a terminal: no bar by default
    assert "epoch" not in capsys.readouterr().err


def test_window_is_opened_lazily(work: Path, capsys, monkeypatch) -> None:
    calls: list[str | None] = []
    fake = types.ModuleType("bp_studio.ui.app")
    fake.run = lambda path=None: calls.append(path) or 7
    monkeypatch.setitem(sys.modules, "bp_studio.ui.app", fake)
    assert main([]) == 7
    net = str(work / "net.json")
    assert main([net]) == 7
    session = work / "lesson.BPSESSION"
    session.write_text("{}")
    assert main([str(session)]) == 7
    assert calls == [None, net, str(session)]

    monkeypatch.setitem(sys.modules, "bp_studio.ui.app", None)  # import fails, as without Qt
    assert main([net]) == 2
    assert_one_error_line(capsys.readouterr().err, "cannot open the window", "--help")


def test_export_every_format_in_process(tmp_path, capsys):
    import onnxruntime

    from bp_studio.io.export import read_weight_arrays

    net = Network.create([2, 3, 2], ["tanh", "sigmoid"], "mse", seed=5)
    source = tmp_path / "net.json"
    net.save(source)
    for fmt in ("json", "npz", "csv", "onnx"):
        out = tmp_path / f"w.{fmt}"
        assert main(["export", str(source), "--format", fmt, "--out", str(out)]) == 0
        assert f"wrote {out}" in capsys.readouterr().out
    assert np.array_equal(Network.load(tmp_path / "w.json").parameters, net.parameters)
    arrays = read_weight_arrays(str(tmp_path / "w.npz"))
    assert np.array_equal(arrays["layers.1.weight"], net.layers[1].weight)
    X = np.random.default_rng(0).normal(size=(5, 2))
    session = onnxruntime.InferenceSession(str(tmp_path / "w.onnx"))
    (outputs,) = session.run(None, {"X": X})
    assert np.allclose(outputs, net.predict(X), rtol=0, atol=1e-9)


def test_export_bad_input(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.json"), "--format", "csv", "--out", "x"]) == 2
    assert "missing.json: file not found" in capsys.readouterr().err
    net = tmp_path / "net.json"
    Network.create([2, 2, 1]).save(net)
    assert main(["export", str(net), "--format", "xml", "--out", "x"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
    assert main(["export", str(net), "--format", "csv", "--out", str(tmp_path / "no/x.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_init_refuses_a_network_beyond_the_limit_in_one_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "big.json"
    assert main(["init", "--layers", "100000,100000,1", "--out", str(out)]) == 2
    line = assert_one_error_line(
        capsys.readouterr().err, "cannot create the network", "10,000,200,001 parameters"
    )
    assert "2,000,000" in line and "MemoryError" not in line
    assert not out.exists()


# -- writes that fail, checked before the work (issue 13, points 8 to 11) --------------------


class _FullDisk(io.TextIOBase):
    """A standard output on a full disk: every write fails with ENOSPC."""

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        pass


class _ShortWrites(io.RawIOBase):
    """A raw standard output that takes a few bytes at a time, then reports a full disk."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.taken = b""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        import errno

        room = self.capacity - len(self.taken)
        if room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        chunk = bytes(data[: min(room, 7)])
        self.taken += chunk
        return len(chunk)


def test_predict_into_a_full_disk_exits_2_with_one_line(work: Path, capsys, monkeypatch) -> None:
    args = ["predict", str(work / "net.json"), "--data", str(work / "xor.csv")]
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "bp-studio: error: could not write the predictions: no space left on device\n"
    )
    short = _ShortWrites(40)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(short), "utf-8"))
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "bp-studio: error: could not write the predictions: no space left on device\n"
    )
    assert len(short.taken) == 40


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_predict_into_dev_full(work: Path) -> None:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "bp_studio", "predict", "net.json", "--data", "xor.csv"],
            cwd=work,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr == (
        "bp-studio: error: could not write the predictions: no space left on device\n"
    )


def test_train_checks_the_output_before_training(work: Path, capsys, monkeypatch) -> None:
    def never(*args, **kwargs):
        raise AssertionError("training ran although the output cannot be written")

    monkeypatch.setattr(cli.Trainer, "run_epochs", never)
    train = ["train", str(work / "net.json"), "--data", str(work / "xor.csv")]
    protected = work / "trained.json"
    protected.write_text("keep me")
    protected.chmod(0o444)
    assert main([*train, "--out", str(protected)]) == 2
    assert_one_error_line(capsys.readouterr().err, f"cannot write {protected}", "write-protected")
    protected.chmod(0o644)
    assert protected.read_text() == "keep me"

    from bp_studio.io import atomic

    def read_only(*args, **kwargs):
        import errno

        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    assert main([*train, "--out", str(work / "new.json")]) == 2
    assert_one_error_line(capsys.readouterr().err, "new.json", "the file system is read-only")
    assert main(["init", "--layers", "2,1", "--out", str(work / "init.json")]) == 2
    assert_one_error_line(capsys.readouterr().err, "init.json", "read-only")
    export = ["export", str(work / "net.json"), "--format", "csv", "--out", str(work / "w.csv")]
    assert main(export) == 2
    assert_one_error_line(capsys.readouterr().err, "w.csv", "read-only")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGTERM")
def test_sigterm_is_handled_like_ctrl_c(work: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bp_studio", "train", "net.json", "--data", "xor.csv"]
        + ["--epochs", "1000000000", "--progress", "--out", "out.json"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = os.read(process.stderr.fileno(), 1)  # the bar: training has run for 1 s
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = (first + err).decode()
    assert process.returncode == 143, err
    assert out == b""
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "bp-studio: terminated (SIGTERM); nothing was saved"
    assert no_files_like(work, "out.json")


def test_sigterm_during_a_save_removes_the_temporary_file(work: Path, capsys, monkeypatch) -> None:
    from bp_studio.io import atomic

    def terminated(fd):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises first

    import time

    def unhandled(signum, frame):
        raise AssertionError("main did not handle SIGTERM")

    monkeypatch.setattr(atomic.os, "fsync", terminated)
    previous = signal.signal(signal.SIGTERM, unhandled)  # a regression must not kill pytest
    try:
        out = work / "out.json"
        args = ["train", str(work / "net.json"), "--data", str(work / "xor.csv")]
        assert main([*args, "--out", str(out), "--epochs", "2"]) == 143
        err = capsys.readouterr().err
        assert err.endswith("bp-studio: terminated (SIGTERM); nothing was saved\n")
        assert no_files_like(work, "out.json")
        assert signal.getsignal(signal.SIGTERM) is unhandled  # main puts the old handler back
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_refused_as_data_network_or_window_file(work: Path, capsys, time_limit) -> None:
    os.mkfifo(work / "pipe.csv")
    os.mkfifo(work / "pipe.json")
    with time_limit(30):
        assert main(["predict", str(work / "net.json"), "--data", str(work / "pipe.csv")]) == 2
        assert_one_error_line(capsys.readouterr().err, "pipe.csv: not a regular file")
        assert main(["predict", str(work / "pipe.json"), "--data", str(work / "xor.csv")]) == 2
        assert_one_error_line(capsys.readouterr().err, "pipe.json: not a regular file")
        assert main([str(work / "pipe.json")]) == 2
        assert_one_error_line(capsys.readouterr().err, "pipe.json: not a regular file")


def test_split_columns_keeps_the_layout_rules_for_tables(work: Path) -> None:
    """Commands that read a Table (numbers only) lay it out as train and predict do."""
    from bp_studio.data.csv_table import read_csv

    network = Network.load(work / "net.json")
    data = work / "yfirst.csv"
    data.write_text("y,x1,x2\n0,0,0\n1,0,1\n")
    table = read_csv(data)
    X, T = cli._split_columns(table, network, "net.json", ["y"], with_targets=True)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1]])
    np.testing.assert_array_equal(T, [[0], [1]])
    X, T = cli._split_columns(
        read_csv(work / "xor.csv"), network, "net.json", None, with_targets=False
    )
    np.testing.assert_array_equal(X, XOR_X)
    assert T is None
    with pytest.raises(cli.CliError, match="has 3 columns, the network net.json"):
        cli._split_columns(table, Network.create([3, 1]), "net.json", None, with_targets=True)
    with pytest.raises(OSError, match="does not exist"):
        cli._check_out_folder(str(work / "nowhere" / "x.json"))


# -- validation and early stopping -----------------------------------------------------------

EARLY_STOP = re.compile(
    r"stopped early after epoch (\d+): the validation loss had not improved for (\d+) epochs"
)
BEST = re.compile(
    r"best validation loss (\S+) in epoch (\d+) \((\d+) rows held out\); "
    r"the network has that epoch's weights"
)


@pytest.fixture
def sine(tmp_path: Path) -> Path:
    """80 noisy samples of sin(x) and a 1-32-32-1 tanh network that overfits them."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (80, 1))
    T = np.sin(X) + rng.normal(0, 0.3, (80, 1))
    lines = ["x,y"] + [f"{float(x)!r},{float(t)!r}" for x, t in zip(X[:, 0], T[:, 0])]
    (tmp_path / "sine.csv").write_text("\n".join(lines) + "\n")
    Network.create([1, 32, 32, 1], ["tanh", "tanh", "linear"], seed=0).save(tmp_path / "net.json")
    return tmp_path


def test_train_with_validation_and_patience_keeps_the_best_epoch(sine: Path, capsys) -> None:
    args = ["train", str(sine / "net.json"), "--data", str(sine / "sine.csv"), "--epochs", "5000"]
    args += ["--optimizer", "adam", "--lr", "0.01", "--validation", "0.8", "--patience", "20"]
    assert main([*args, "--seed", "3", "--out", str(sine / "best.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    match = FINAL_LOSS.fullmatch(lines[0])
    assert match, lines
    stop = EARLY_STOP.fullmatch(lines[1])
    assert stop, lines[1]
    best = BEST.fullmatch(lines[2])
    assert best, lines[2]
    assert lines[3] == f"wrote {sine / 'best.json'}"
    stopped_epoch, best_epoch = int(stop.group(1)), int(best.group(2))
    assert stop.group(2) == "20" and stopped_epoch == best_epoch + 20
    assert int(match.group(2)) == stopped_epoch < 5000
    assert best.group(3) == "64"
    # The saved network is the run replayed in Python, stopped at its best epoch.
    table = np.loadtxt(sine / "sine.csv", delimiter=",", skiprows=1)
    X, T = table[:, :1], table[:, 1:]
    kept, held_out = split_rows(80, 0.8, 3)
    assert len(held_out) == 64
    expected = Network.load(sine / "net.json")
    Trainer(expected, X[kept], T[kept], lr=0.01, optimizer="adam", seed=3).run_epochs(best_epoch)
    saved = Network.load(sine / "best.json")
    assert np.array_equal(saved.parameters, expected.parameters)
    loss = validation_loss(saved, X[held_out], T[held_out])
    assert float(best.group(1)) == pytest.approx(loss, rel=1e-5)


def test_train_with_validation_prints_its_loss(sine: Path, capsys) -> None:
    args = ["train", str(sine / "net.json"), "--data", str(sine / "sine.csv"), "--epochs", "30"]
    assert main([*args, "--lr", "0.05", "--validation", "0.25"]) == 0
    lines = capsys.readouterr().out.splitlines()
    kept, held_out = split_rows(80, 0.25, 0)
    table = np.loadtxt(sine / "sine.csv", delimiter=",", skiprows=1)
    expected = Network.load(sine / "net.json")
    Trainer(expected, table[kept, :1], table[kept, 1:], lr=0.05).run_epochs(30)
    loss = validation_loss(expected, table[held_out, :1], table[held_out, 1:])
    assert lines[1] == f"validation loss {loss:.6g} (20 rows held out)"


def test_class_targets_are_held_out_by_class(tmp_path: Path, capsys) -> None:
    """30 rows of class 0 and 10 of class 1 (labels for a 2-output softmax): a quarter held
    out is 7 or 8 of class 0 and 2 or 3 of class 1, never all of one class."""
    rng = np.random.default_rng(2)
    labels = np.array([0] * 30 + [1] * 10)
    X = rng.normal(0, 1, (40, 2)) + labels[:, None]
    lines = ["a,b,class"] + [f"{float(a)!r},{float(b)!r},{c}" for (a, b), c in zip(X, labels)]
    (tmp_path / "classes.csv").write_text("\n".join(lines) + "\n")
    Network.create([2, 4, 2], ["tanh", "softmax"], "cross_entropy").save(tmp_path / "net.json")
    args = ["train", str(tmp_path / "net.json"), "--data", str(tmp_path / "classes.csv")]
    assert main([*args, "--validation", "0.25", "--patience", "5", "--epochs", "20"]) == 0
    assert "(10 rows held out)" in capsys.readouterr().out
    _, held_out = split_rows(40, 0.25, 0, labels)
    assert sorted(np.bincount(labels[held_out]).tolist()) in ([2, 8], [3, 7])
