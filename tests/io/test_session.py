"""Session files: closing and going on is bit for bit the same; damaged files are refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bp_studio.engine import Network, Regularization, Trainer, TrainingDiverged
from bp_studio.engine.history import TrainingHistory, rewind
from bp_studio.engine.normalization import Normalization
from bp_studio.io import session as session_module
from bp_studio.io.session import (
    FORMAT,
    VERSION,
    Session,
    SessionFileError,
    load_session,
    save_session,
    session_from_json,
    session_to_json,
)

from helpers import fuzz_examples

OPTIMIZERS = ["sgd", "momentum", "adam"]


def data(samples: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(6)
    X = rng.normal(2.0, 3.0, size=(samples, 2))
    T = rng.integers(0, 3, samples)  # class labels
    return X, T


def make(optimizer: str = "adam", batch_size: int | None = 3, shuffle: bool = True) -> Trainer:
    X, T = data()
    net = Network.create([2, 5, 3], ["tanh", "softmax"], "cross_entropy", seed=4)
    net.normalization = Normalization.fit("standardize", X)
    net.input_names = ("x1", "x2")
    return Trainer(
        net,
        X,
        T,
        lr=0.1,
        batch_size=batch_size,
        shuffle=shuffle,
        optimizer=optimizer,
        seed=3,
        regularization=Regularization("l2", 0.01),
    )


def rows() -> dict[str, Any]:
    X, T = data()
    return {
        "rows": {
            "X": X,
            "T": T,
            "input_names": ["x1", "x2"],
            "target_names": ["class"],
            "classes": ["a", "b", "c"],
        }
    }


SETTINGS = {"speed": 0.25, "view": {"show_gradients": True, "zoom": 1.5}, "seed": 3}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(
    ("batch_size", "shuffle"), [(3, True), (1, True), (None, True), (4, False)]
)
def test_close_and_go_on_is_bit_identical(
    tmp_path: Path, optimizer: str, batch_size: int | None, shuffle: bool
) -> None:
    uninterrupted = make(optimizer, batch_size, shuffle)
    uninterrupted.run_steps(100)

    first = make(optimizer, batch_size, shuffle)
    history = TrainingHistory()
    history.record(first)
    for _ in range(50):
        first.run_steps(1)
        history.record(first)
    path = tmp_path / "run.bpsession"
    save_session(path, Session.capture(first, SETTINGS, rows(), history))

    loaded = load_session(path)
    assert loaded.settings == SETTINGS
    assert loaded.step_count == 50 and loaded.history.last_step == 50
    trainer = loaded.make_trainer()
    trainer.run_steps(50)
    assert trainer.network.parameters.tobytes() == uninterrupted.network.parameters.tobytes()
    assert trainer.step_losses == uninterrupted.step_losses
    assert trainer.epoch_losses == uninterrupted.epoch_losses
    assert trainer.epoch_end_steps == uninterrupted.epoch_end_steps
    for key, value in uninterrupted.optimizer.state().items():
        assert np.asarray(trainer.optimizer.state()[key]).tobytes() == np.asarray(value).tobytes()
    # The loaded history still rewinds exactly.
    reference = make(optimizer, batch_size, shuffle)
    reference.run_steps(37)
    rewind(trainer, loaded.history, 37)
    assert trainer.network.parameters.tobytes() == reference.network.parameters.tobytes()
    assert trainer.step_losses == reference.step_losses


def test_the_file_format(tmp_path: Path) -> None:
    trainer = make("momentum")
    trainer.run_steps(7)
    path = tmp_path / "s.bpsession"
    save_session(path, Session.capture(trainer, SETTINGS, {"generator": "xor", "params": {"n": 4}}))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == FORMAT == "bp-studio.session"
    assert document["version"] == VERSION == 1
    assert set(document) == {
        "format",
        "version",
        "network",
        "trainer",
        "losses",
        "settings",
        "data",
        "history",
    }
    assert document["network"]["format"] == "bp-studio.network"
    assert document["network"]["normalization"]["kind"] == "standardize"
    assert "parameters" not in document["trainer"]
    assert document["trainer"]["step_count"] == 7
    velocity = trainer.optimizer.state()["velocity"]
    assert np.array(document["trainer"]["optimizer_state"]["velocity"]).tobytes() == (
        velocity.tobytes()
    )
    assert document["trainer"]["rng_state"]["bit_generator"] == "PCG64"
    assert document["losses"]["step_losses"] == list(trainer.step_losses)
    assert document["data"] == {"generator": "xor", "params": {"n": 4}}
    assert document["history"] is None
    loaded = load_session(path)
    assert loaded.data == {"generator": "xor", "params": {"n": 4}}
    with pytest.raises(ValueError, match="pass X and T"):
        loaded.make_trainer()
    again = loaded.make_trainer(*data())
    assert again.network.input_names == ("x1", "x2")
    assert again.network.normalization.kind == "standardize"


def test_rows_come_back_as_arrays(tmp_path: Path) -> None:
    trainer = make()
    path = tmp_path / "s.bpsession"
    save_session(path, Session.capture(trainer, {}, rows()))
    loaded = load_session(path)
    X, T = data()
    assert loaded.data["rows"]["X"].tobytes() == X.tobytes()
    assert loaded.data["rows"]["T"].tolist() == T.tolist()
    assert loaded.data["rows"]["classes"] == ["a", "b", "c"]


def test_snapshots_are_thinned_when_saved(tmp_path: Path) -> None:
    trainer = make()
    history = TrainingHistory()
    history.record(trainer)
    for _ in range(200):
        trainer.run_steps(1)
        history.record(trainer)
    path = tmp_path / "s.bpsession"
    save_session(path, Session.capture(trainer, {}, rows(), history), max_snapshot_bytes=50_000)
    loaded = load_session(path)
    assert loaded.history.nbytes <= 50_000
    assert loaded.history.last_step == 200 and len(loaded.history) < 201
    assert len(history) == 201  # the session's own history is untouched
    save_session(path, Session.capture(trainer, {}, rows(), history), max_snapshot_bytes=0)
    assert load_session(path).history is None


def test_save_refuses_what_cannot_be_written(tmp_path: Path) -> None:
    trainer = make()
    path = tmp_path / "s.bpsession"
    with pytest.raises(ValueError, match="settings"):
        save_session(path, Session.capture(trainer, {"f": object()}))
    with pytest.raises(ValueError, match="settings"):
        save_session(path, Session.capture(trainer, {"x": float("nan")}))
    with pytest.raises(ValueError, match="data"):
        save_session(path, Session.capture(trainer, {}, {"rows": {"X": [[1.0]]}}))
    session = Session.capture(trainer)
    session.network.set_weight(0, 0, 0, 123.0)
    with pytest.raises(ValueError, match="not the network's weights"):
        save_session(path, session)
    assert not path.exists()


# -- refusing damaged files ------------------------------------------------------------------


def valid_session_text() -> str:
    trainer = make("adam", 3, True)
    history = TrainingHistory()
    history.record(trainer)
    for _ in range(4):
        trainer.run_steps(1)
        history.record(trainer)
    X, T = data()
    small = {"rows": {"X": X, "T": T, "input_names": ["a", "b"], "classes": [0, 1, 2]}}
    session = Session.capture(trainer, {"speed": 1, "names": ["a"]}, small, history)
    return session_to_json(session, max_snapshot_bytes=4000)


VALID_TEXT = valid_session_text()
VALID = json.loads(VALID_TEXT)


def refused(text: str, field: str | None = None, match: str | None = None) -> SessionFileError:
    with pytest.raises(SessionFileError) as caught:
        session_from_json(text, "s.bpsession")
    if field is not None:
        assert caught.value.field == field, str(caught.value)
    if match is not None:
        assert match in str(caught.value), str(caught.value)
    return caught.value


def edited(path: list, value: Any = ...) -> str:
    document = copy.deepcopy(VALID)
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(document)


def test_the_valid_text_loads() -> None:
    session = session_from_json(VALID_TEXT)
    assert session.history is not None and len(session.history) >= 2
    session.make_trainer().run_steps(3)


def test_refusals_name_the_field() -> None:
    refused(edited(["version"], 2), "version", "newer than this BP Studio reads")
    refused(edited(["format"], "bp-studio.network"), "format", "not a BP Studio session file")
    refused(json.dumps({"format": "bp-studio.network", "version": 1}), "format")
    refused(edited(["trainer"]), "trainer", "missing")
    refused(edited(["trainer", "lr"], "fast"), "trainer.lr", "expected a number")
    refused(edited(["trainer", "optimizer_state", "m"], [1.0]), "trainer.optimizer_state.m")
    refused(edited(["trainer", "order"], [0, 1]), "trainer.order")
    refused(edited(["trainer", "epoch_samples"], 7), "trainer.epoch_samples")
    refused(edited(["losses", "step_losses"], [0.5]), "losses.step_losses")
    refused(edited(["network", "layers", 0, "weight"], [[1.0]]), "network")
    refused(edited(["settings"], []), "settings", "expected an object")
    refused(edited(["data", "rows", "X", 0, 0], "x"), "data.rows.X")
    refused(edited(["data", "rows", "input_names"], ["a"]), "data.rows.input_names")
    refused(edited(["history", "snapshots", 1, "state", "lr"], -1), "history.snapshots[1].state.lr")
    refused(
        edited(["history", "snapshots", 0, "state", "step_count"], 99),
        "history.snapshots[1].step_count",
    )
    refused(VALID_TEXT.replace("0.1", "NaN", 1), None, "finite")
    refused(VALID_TEXT[: len(VALID_TEXT) // 2], None, "truncated")
    refused("[" * 100_000, None)


def test_file_level_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.bpsession"
    path.write_text(VALID_TEXT)
    assert load_session(path).step_count == 4
    monkeypatch.setattr(session_module, "MAX_BYTES", 1000)
    with pytest.raises(SessionFileError, match="MB a session file may have"):
        load_session(path)
    monkeypatch.undo()
    with pytest.raises(SessionFileError, match="file not found"):
        load_session(tmp_path / "missing.bpsession")
    with pytest.raises(SessionFileError, match="is a folder"):
        load_session(tmp_path)
    path.write_bytes(b"\x80\x04\x95 pickle")
    with pytest.raises(SessionFileError, match="not UTF-8"):
        load_session(path)
    path.write_bytes(b"\xef\xbb\xbf" + VALID_TEXT.encode())  # a BOM is fine
    assert load_session(path).step_count == 4


# -- fuzz: mutations of a valid file ---------------------------------------------------------


def all_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths += all_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:6]):  # the first few items of long lists
            paths += all_paths(child, (*prefix, index))
    return paths


PATHS = all_paths(VALID)
FUZZ = settings(
    max_examples=fuzz_examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=10,
)


def loads_or_refuses(text: str) -> None:
    try:
        session = session_from_json(text, "fuzz.bpsession")
    except SessionFileError:
        return
    assert isinstance(session, Session)
    try:
        trainer = session.make_trainer()
    except ValueError:
        return  # data without rows, or settings the data cannot take
    try:
        trainer.run_steps(1)
    except TrainingDiverged:
        pass  # a valid file with extreme numbers (say m = 1e308) trains into infinity


def set_at(document: Any, path: tuple, value: Any) -> Any:
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@FUZZ
@given(st.sampled_from(PATHS))
def test_fuzz_deleted_keys(path: tuple) -> None:
    loads_or_refuses(json.dumps(set_at(copy.deepcopy(VALID), path, ...)))


@FUZZ
@given(st.sampled_from(PATHS), json_values)
def test_fuzz_wrong_values(path: tuple, value: Any) -> None:
    loads_or_refuses(json.dumps(set_at(copy.deepcopy(VALID), path, value)))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=2, max_size=5))
def test_fuzz_several_changes(changes) -> None:
    document = copy.deepcopy(VALID)
    for path, value in changes:
        try:
            set_at(document, path, value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the place
    loads_or_refuses(json.dumps(document))


@FUZZ
@given(st.integers(0, len(VALID_TEXT)), st.text(max_size=6))
def test_fuzz_truncated_and_spliced_text(position: int, insert: str) -> None:
    loads_or_refuses(VALID_TEXT[:position])
    loads_or_refuses(VALID_TEXT[:position] + insert + VALID_TEXT[position + 1 :])


@FUZZ
@given(json_values)
def test_fuzz_random_json(value: Any) -> None:
    loads_or_refuses(json.dumps(value))
    loads_or_refuses(json.dumps({"format": FORMAT, "version": 1, "network": value}))
    wrapped = copy.deepcopy(VALID)
    wrapped["data"] = value
    loads_or_refuses(json.dumps(wrapped))


@FUZZ
@given(st.sampled_from(PATHS), st.sampled_from([0, -1, 2**64, 1e308, -0.0, "", [], {}, True, None]))
def test_fuzz_boundary_values(path: tuple, value: Any) -> None:
    loads_or_refuses(json.dumps(set_at(copy.deepcopy(VALID), path, value)))
