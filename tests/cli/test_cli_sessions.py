"""The commands read a session (.bpsession) wherever they read a network file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bp_studio.cli import main
from bp_studio.engine import Network
from bp_studio.studio import Studio

XOR = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"


@pytest.fixture
def session(tmp_path: Path) -> Path:
    studio = Studio()
    studio.run(200)
    studio.next_phase()  # saved mid-step: the network is the weights of step 200
    path = tmp_path / "run.bpsession"
    studio.save(path)
    (tmp_path / "xor.csv").write_text(XOR)
    return path


def test_predict_from_a_session(session: Path, capsys) -> None:
    assert main(["predict", str(session), "--data", str(session.parent / "xor.csv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = Studio.open(session).network.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))
    assert lines[0] == "output_1"
    assert [float(line) for line in lines[1:]] == expected[:, 0].tolist()


def test_export_and_train_from_a_session(session: Path, capsys) -> None:
    out = session.parent / "net.json"
    assert main(["export", str(session), "--format", "json", "--out", str(out)]) == 0
    weights = Studio.open(session).parameters
    assert np.array_equal(Network.load(out).parameters, weights)
    trained = session.parent / "trained.json"
    data = str(session.parent / "xor.csv")
    assert (
        main(["train", str(session), "--data", data, "--epochs", "5", "--out", str(trained)]) == 0
    )
    reference = Network.load(out)
    reference.train(
        np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0.0], [1], [1], [0]]), epochs=5
    )
    assert np.array_equal(Network.load(trained).parameters, reference.parameters)
    capsys.readouterr()


def test_a_damaged_session_is_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.bpsession"
    bad.write_text('{"format": "bp-studio.session", "version": 2, "network": 3}')
    (tmp_path / "xor.csv").write_text(XOR)
    assert main(["predict", str(bad), "--data", str(tmp_path / "xor.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.bpsession" in err and err.startswith("bp-studio: error:")
