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
from bp_studio.engine import Network

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
    "nan": (
        {"nan.csv": "x1,x2,y\n0,0,0\n0,nan,1\n"},
        ["train", "net.json", "--data", "nan.csv"],
        ["nan.csv", "line 3", 'column "x2" (2)', "not a finite number"],
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
