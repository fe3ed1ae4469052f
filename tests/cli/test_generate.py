"""``bp-studio code``, ``bp-studio worksheet`` and ``export --format py`` on the command line.

The scripts' agreement with ``train`` and ``predict`` over the whole option grid is tested
in ``tests/io/test_codegen.py``; here: the commands end to end, and every bad input gives one
line, exit status 2 and no file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bp_studio.cli import main
from bp_studio.data.examples import WORKED_EXAMPLE_BIASES, WORKED_EXAMPLE_WEIGHTS
from bp_studio.engine import Network

XOR_CSV = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
MAZUR_CSV = "i1,i2,o1,o2\n0.05,0.1,0.01,0.99\n"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder (the current one) with xor.csv, net.json, mazur.csv and mazur.json."""
    (tmp_path / "xor.csv").write_text(XOR_CSV)
    (tmp_path / "mazur.csv").write_text(MAZUR_CSV)
    Network.create([2, 4, 1], ["tanh", "sigmoid"], "mse", seed=0).save(tmp_path / "net.json")
    Network(WORKED_EXAMPLE_WEIGHTS, WORKED_EXAMPLE_BIASES, ["sigmoid", "sigmoid"], "mse").save(
        tmp_path / "mazur.json"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def numpy_only_env(folder: Path) -> dict[str, str]:
    """Environment for ``python -S``: only numpy (linked into ``folder``) besides the stdlib."""
    site = Path(np.__file__).resolve().parent.parent
    folder.mkdir(exist_ok=True)
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists() and not (folder / name).exists():
            (folder / name).symlink_to(site / name)
    return {"PYTHONPATH": str(folder), "PATH": os.environ.get("PATH", "")}


def test_code_end_to_end(work: Path) -> None:
    args = ["--epochs", "300", "--lr", "1", "--batch-size", "3", "--optimizer", "adam"]
    args += ["--shuffle", "--seed", "4", "--regularization", "l2", "--regularization-rate", "0.001"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = [sys.executable, "-m", "bp_studio"]
    made = subprocess.run(
        [*run, "code", "net.json", "--data", "xor.csv", *args, "--out", "train.py"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout == (
        "wrote train.py: trains 2-4-1 (tanh, sigmoid), mse (adam, 300 epochs); "
        "run: python train.py xor.csv trained.json\n"
    )
    ran = subprocess.run(
        [sys.executable, "-S", "train.py", "xor.csv", "mine.json"],
        capture_output=True,
        text=True,
        env=numpy_only_env(work / "numpy_only"),
    )
    assert ran.returncode == 0, ran.stderr
    trained = subprocess.run(
        [*run, "train", "net.json", "--data", "xor.csv", *args, "--out", "theirs.json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ran.stdout.splitlines()[0] == trained.stdout.splitlines()[0]
    mine, theirs = Network.load(work / "mine.json"), Network.load(work / "theirs.json")
    np.testing.assert_allclose(mine.parameters, theirs.parameters, rtol=0, atol=1e-12)
    assert not np.allclose(mine.parameters, Network.load(work / "net.json").parameters)


def test_export_py(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "net.json", "--format", "py", "--out", "model.py"]) == 0
    assert capsys.readouterr().out == "wrote model.py: 2-4-1 (tanh, sigmoid), mse as py\n"
    ran = subprocess.run(
        [sys.executable, "-S", "model.py", "xor.csv"],
        capture_output=True,
        text=True,
        env=numpy_only_env(work / "numpy_only"),
    )
    assert main(["predict", "net.json", "--data", "xor.csv"]) == 0
    assert ran.stdout == capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["md", "html", "tex"])
def test_worksheet_of_mazurs_example(work: Path, fmt: str, capsys) -> None:
    out = f"step.{fmt}"
    assert (
        main(
            ["worksheet", "mazur.json", "--data", "mazur.csv", "--digits", "8"]
            + ["--format", fmt, "--out", out]
        )
        == 0
    )
    assert capsys.readouterr().out == (
        f"wrote {out}: one step of 2-2-2 (sigmoid, sigmoid), mse on data row 1\n"
    )
    text = (work / out).read_text(encoding="utf-8")
    assert "0.35891648" in text
    assert "mazur.csv" in text
    assert sorted(p.name for p in work.iterdir() if p.name.startswith("step")) == [out]


def test_worksheet_exercise_and_answer_key(work: Path, capsys) -> None:
    base = ["worksheet", "mazur.json", "--data", "mazur.csv", "--digits", "8", "--format", "md"]
    assert main([*base, "--blanks", "delta,update", "--out", "sheet.md"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "wrote sheet.md: one step of 2-2-2 (sigmoid, sigmoid), mse on data row 1",
        "wrote sheet-answers.md: the answer key",
    ]
    sheet, key = (work / "sheet.md").read_text(), (work / "sheet-answers.md").read_text()
    assert "0.35891648" not in sheet and "0.35891648" in key
    # delta of output node 1: blank in its equation, given where the gradients use it
    assert "δ = (o − t) · f′(z)\\\n&emsp;= \\[2\\] \\_\\_" in sheet
    assert "&emsp;= \\[2\\] **0.13849856**" in key
    assert "0.59326999" in sheet  # the forward pass is given
    assert main([*base, "--blanks", "--answers", "key.md", "--out", "all.md"]) == 0
    assert (work / "key.md").exists() and not (work / "all-answers.md").exists()
    assert "\\[1\\]" in (work / "all.md").read_text()


def test_worksheet_rows_and_optimizer(work: Path) -> None:
    assert (
        main(
            [
                "worksheet",
                "net.json",
                "--data",
                "xor.csv",
                "--rows",
                "4,2",
                "--optimizer",
                "momentum",
                "--format",
                "html",
                "--out",
                "w.html",
            ]
        )
        == 0
    )
    text = (work / "w.html").read_text()
    assert "batch: data rows 4, 2 of xor.csv (2 samples)" in text
    assert "Sample 2 (data row 2)" in text
    assert "v ← " in text  # the momentum rule


# -- bad input -------------------------------------------------------------------------------


def bad_cases(work: Path) -> dict[str, tuple[list[str], list[str]]]:
    big = Network.create([64, 32, 10], ["tanh", "softmax"], "cross_entropy", seed=0)
    big.save(work / "big.json")
    (work / "many.csv").write_text("x1,x2,y\n" + "0.5,0.25,1\n" * 40)
    (work / "wide.csv").write_text("a,b,c,d\n1,2,3,4\n")
    (work / "labels.csv").write_text("x1,x2,label\n0,0,0\n1,1,7\n")
    (work / "huge.csv").write_text("x1,x2,y\n1e200,1e200,1e300\n")
    Network.create([2, 3], ["softmax"], "cross_entropy", seed=0).save(work / "ce.json")
    Network.create([2, 1], ["linear"], "mse", seed=0).save(work / "lin.json")
    (work / "broken.json").write_text('{"format": "bp-studio.network"')
    code = ["code", "net.json", "--data", "xor.csv"]
    sheet = ["worksheet", "net.json", "--data", "xor.csv", "--format", "md"]
    return {
        "code: rate without penalty": (
            [*code, "--regularization-rate", "0.1", "--out", "t.py"],
            ["--regularization-rate needs --regularization l1 or l2"],
        ),
        "code: penalty without rate": (
            [*code, "--regularization", "l1", "--out", "t.py"],
            ["--regularization l1 needs a --regularization-rate above 0"],
        ),
        "code: columns": (
            ["code", "net.json", "--data", "wide.csv", "--out", "t.py"],
            ["wide.csv has 4 columns", "net.json", "needs 3: 2 inputs then 1 target"],
        ),
        "code: class label": (
            ["code", "ce.json", "--data", "labels.csv", "--out", "t.py"],
            ["labels.csv: target row 2: class label 7.0 is not one of 0 .. 2"],
        ),
        "code: missing folder": (
            [*code, "--out", "nowhere/t.py"],
            ["cannot write nowhere/t.py: folder nowhere does not exist"],
        ),
        "code: out is the data": ([*code, "--out", "xor.csv"], ["--out xor.csv is the data file"]),
        "code: out is the network": (
            [*code, "--out", "net.json"],
            ["--out net.json is the network file"],
        ),
        "code: broken network": (
            ["code", "broken.json", "--data", "xor.csv", "--out", "t.py"],
            ["broken.json: not JSON"],
        ),
        "code: no --out": (code, ["the following arguments are required: --out"]),
        "worksheet: row beyond the data": (
            [*sheet, "--rows", "5", "--out", "w.md"],
            ["xor.csv has 4 data rows; --rows names row 5"],
        ),
        "worksheet: row 0": ([*sheet, "--rows", "0", "--out", "w.md"], ["counted from 1"]),
        "worksheet: row twice": (
            [*sheet, "--rows", "1,1", "--out", "w.md"],
            ["named more than once"],
        ),
        "worksheet: rows and batch size": (
            [*sheet, "--rows", "1", "--batch-size", "2", "--out", "w.md"],
            ["--rows chooses the batch; leave out --batch-size and --shuffle"],
        ),
        "worksheet: digits 0": ([*sheet, "--digits", "0", "--out", "w.md"], ["--digits", "'0'"]),
        "worksheet: digits 18": (
            [*sheet, "--digits", "18", "--out", "w.md"],
            ["--digits", "17 or less"],
        ),
        "worksheet: format": (
            ["worksheet", "net.json", "--data", "xor.csv", "--format", "pdf", "--out", "w.pdf"],
            ["--format", "'pdf'"],
        ),
        "worksheet: unknown blank": (
            [*sheet, "--blanks", "weights", "--out", "w.md"],
            ["--blanks: unknown quantity 'weights'"],
        ),
        "worksheet: answers without blanks": (
            [*sheet, "--answers", "k.md", "--out", "w.md"],
            ["--answers needs --blanks"],
        ),
        "worksheet: answers are the sheet": (
            [*sheet, "--blanks", "--answers", "w.md", "--out", "w.md"],
            ["--answers w.md is the worksheet itself"],
        ),
        "worksheet: answers in a missing folder": (
            [*sheet, "--blanks", "--answers", "nowhere/k.md", "--out", "w.md"],
            ["cannot write nowhere/k.md: folder nowhere does not exist"],
        ),
        "worksheet: too many parameters": (
            ["worksheet", "big.json", "--data", "xor.csv", "--format", "md", "--out", "w.md"],
            ["big.json: the network has 2410 parameters", "at most 400"],
        ),
        "worksheet: batch too large": (
            ["worksheet", "net.json", "--data", "many.csv", "--format", "md", "--out", "w.md"],
            ["the step's batch has 40 rows", "at most 32", "--rows or --batch-size"],
        ),
        "worksheet: diverging step": (
            ["worksheet", "lin.json", "--data", "huge.csv", "--format", "md", "--out", "w.md"],
            ["lin.json: loss became inf at step 1: lower the learning rate; nothing was written"],
        ),
        "worksheet: out is the data": (
            [*sheet, "--out", "xor.csv"],
            ["--out xor.csv is the data file"],
        ),
        "worksheet: epochs is not an option": (
            [*sheet, "--epochs", "3", "--out", "w.md"],
            ["unrecognized arguments: --epochs 3"],
        ),
    }


def test_bad_input_is_one_line_and_writes_nothing(work: Path, capsys) -> None:
    cases = bad_cases(work)
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    for name, (args, fragments) in cases.items():
        assert main(args) == 2, name
        captured = capsys.readouterr()
        assert captured.out == "", name
        lines = captured.err.splitlines()
        assert len(lines) == 1, (name, captured.err)
        assert lines[0].startswith("bp-studio: error: "), name
        for fragment in fragments:
            assert fragment in lines[0], (name, fragment, lines[0])
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before
    assert json.loads((work / "net.json").read_text())["format"] == "bp-studio.network"
