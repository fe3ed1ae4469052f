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
from bp_studio.io.json_arrays import decode_array, is_encoded_array
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

LISTS_FILE = Path(__file__).parent / "data" / "lists_layout.bpsession"
"""A session written by the list-layout writer (before the encoded arrays): 2-5-3, adam,
batches of 3 of 10 shuffled rows, 12 steps with a snapshot after each."""

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
    assert document["version"] == VERSION == 2
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
    stored = document["trainer"]["optimizer_state"]["velocity"]
    assert stored.keys() == {"dtype", "shape", "base64"}
    assert stored["dtype"] == "<f8" and stored["shape"] == [velocity.size]
    assert decode_array(stored, "velocity").tobytes() == velocity.tobytes()
    assert document["trainer"]["rng_state"]["bit_generator"] == "PCG64"
    assert document["trainer"]["order"]["dtype"] == "<i8"
    assert decode_array(document["trainer"]["order"], "order").tolist() == list(trainer._order)
    step_losses = decode_array(document["losses"]["step_losses"], "losses")
    assert step_losses.tolist() == list(trainer.step_losses)
    assert decode_array(document["losses"]["epoch_end_steps"], "ends").dtype == np.int64
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
    stored = json.loads(path.read_text())["data"]["rows"]
    assert stored["X"]["shape"] == [10, 2] and stored["T"]["shape"] == [10]
    assert list(stored) == ["X", "T", "input_names", "target_names", "classes"]


def test_every_float_keeps_its_bits(tmp_path: Path) -> None:
    X = np.array([[0.1, -0.0], [5e-324, 1.7976931348623157e308], [-2.2250738585072014e-308, 1 / 3]])
    T = np.array([[0.0], [1.0], [0.5]])
    network = Network.create([2, 3, 1], ["tanh", "sigmoid"], "mse", seed=0)
    trainer = Trainer(network, X, T, lr=0.1, batch_size=2, shuffle=True, seed=1)
    path = tmp_path / "s.bpsession"
    save_session(path, Session.capture(trainer, {}, {"rows": {"X": X, "T": T}}))
    loaded = load_session(path)
    assert loaded.data["rows"]["X"].tobytes() == X.tobytes()
    assert loaded.data["rows"]["T"].tobytes() == T.tobytes()
    assert np.signbit(loaded.data["rows"]["X"][0, 1])  # -0.0 stays negative


def test_any_text_in_the_rows_is_written_as_it_is(tmp_path: Path) -> None:
    # The writer puts a mark where each array goes; a name that is that mark still works.
    trainer = make()
    session = Session.capture(trainer, {}, rows())
    session.data["rows"]["input_names"] = ["\x00array\x00", '"\\u0000array\\u0000"']
    path = tmp_path / "s.bpsession"
    save_session(path, session)
    loaded = load_session(path)
    assert loaded.data["rows"]["input_names"] == session.data["rows"]["input_names"]
    assert loaded.data["rows"]["X"].tobytes() == data()[0].tobytes()


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


def test_a_save_that_fails_while_writing_keeps_the_old_file(tmp_path: Path) -> None:
    trainer = make()
    path = tmp_path / "s.bpsession"
    save_session(path, Session.capture(trainer, {}, rows()))
    before = path.read_bytes()
    trainer.run_steps(2)
    states = [trainer.get_state(include_losses=False)]
    states[0].parameters[3] = np.nan  # (a history never holds one: this one is made up)
    history = TrainingHistory.from_states(states)
    # Everything but the snapshots is checked before the file is opened; a snapshot's
    # problem comes while the file is written: the save stops and the old file stays.
    with pytest.raises(ValueError, match=r"history\.snapshots\[0\]\.state\.parameters: holds"):
        save_session(path, Session.capture(trainer, {}, rows(), history))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bpsession"]  # no temporary file
    session = Session.capture(trainer, {}, rows())
    session.trainer_state.step_losses[0] = np.inf
    other = tmp_path / "other.bpsession"
    with pytest.raises(ValueError, match=r"losses\.step_losses: holds a value that is not"):
        save_session(other, session)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bpsession"]


# -- refusing damaged files ------------------------------------------------------------------


def valid_session_text() -> str:
    trainer = make("adam", 3, True)
    history = TrainingHistory()
    history.record(trainer)
    for _ in range(6):  # an epoch of 4 steps, and 2 of the next (with one order)
        trainer.run_steps(1)
        history.record(trainer)
    X, T = data()
    small = {"rows": {"X": X, "T": T, "input_names": ["a", "b"], "classes": [0, 1, 2]}}
    session = Session.capture(trainer, {"speed": 1, "names": ["a"]}, small, history)
    return session_to_json(session, max_snapshot_bytes=10_000)


def list_layout(document: Any) -> Any:
    """``document`` (decoded JSON) as the list-layout writer wrote it: every encoded array a
    list of numbers, and every snapshot with its own order."""

    def lists(value: Any) -> Any:
        if is_encoded_array(value):
            return decode_array(value, "test").tolist()
        if isinstance(value, dict):
            return {key: lists(item) for key, item in value.items()}
        if isinstance(value, list):
            return [lists(item) for item in value]
        return value

    out = lists(document)
    order = None
    for snapshot in (out.get("history") or {}).get("snapshots", []):
        state = snapshot["state"]
        if state["order"] == "previous":
            state["order"] = order
        order = state["order"]
    return out


VALID_TEXT = valid_session_text()
VALID = json.loads(VALID_TEXT)
VALID_LISTS = list_layout(VALID)


def refused(text: str, field: str | None = None, match: str | None = None) -> SessionFileError:
    with pytest.raises(SessionFileError) as caught:
        session_from_json(text, "s.bpsession")
    if field is not None:
        assert caught.value.field == field, str(caught.value)
    if match is not None:
        assert match in str(caught.value), str(caught.value)
    return caught.value


def edited(path: list, value: Any = ..., document: Any = VALID) -> str:
    document = copy.deepcopy(document)
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
    assert "previous" in VALID_TEXT  # a snapshot in the epoch of the one before
    old = session_from_json(json.dumps(VALID_LISTS))
    assert old.history.steps == session.history.steps
    assert old.history.nbytes == session.history.nbytes  # orders shared the same way
    for a, b in zip(old.history.snapshots(), session.history.snapshots()):
        assert a.parameters.tobytes() == b.parameters.tobytes()
        assert a.optimizer_state["v"].tobytes() == b.optimizer_state["v"].tobytes()
        assert np.array_equal(a.order, b.order) and a.rng_state == b.rng_state


@pytest.mark.parametrize("document", [VALID, VALID_LISTS], ids=["arrays", "lists"])
def test_refusals_name_the_field(document: Any) -> None:
    def edit(path: list, value: Any = ...) -> str:
        return edited(path, value, document)

    refused(edit(["version"], VERSION + 1), "version", "newer than this BP Studio reads")
    refused(edit(["format"], "bp-studio.network"), "format", "not a BP Studio session file")
    refused(json.dumps({"format": "bp-studio.network", "version": 1}), "format")
    refused(edit(["trainer"]), "trainer", "missing")
    refused(edit(["trainer", "lr"], "fast"), "trainer.lr", "expected a number")
    refused(edit(["trainer", "optimizer_state", "m"], [1.0]), "trainer.optimizer_state.m")
    refused(edit(["trainer", "order"], [0, 1]), "trainer.order")
    refused(edit(["trainer", "order"], "previous"), "trainer.order", "expected a list")
    refused(edit(["trainer", "epoch_samples"], 7), "trainer.epoch_samples")
    refused(edit(["losses", "step_losses"], [0.5]), "losses.step_losses")
    refused(edit(["network", "layers", 0, "weight"], [[1.0]]), "network")
    refused(edit(["settings"], []), "settings", "expected an object")
    refused(edit(["data", "rows", "X"], [[1.0, "x"]]), "data.rows.X", "value 2 is not a number")
    refused(edit(["data", "rows", "input_names"], ["a"]), "data.rows.input_names")
    refused(edit(["history", "snapshots", 1, "state", "lr"], -1), "history.snapshots[1].state.lr")
    refused(
        edit(["history", "snapshots", 0, "state", "step_count"], 99),
        "history.snapshots[1].step_count",
    )
    refused(
        edit(["history", "snapshots", 0, "state", "order"], "previous"),
        "history.snapshots[0].state.order",
        "the snapshot before has no order",
    )
    text = json.dumps(document)
    refused(text.replace("0.1", "NaN", 1), None, "finite")
    refused(text[: len(text) // 2], None, "truncated")
    refused("[" * 100_000, None)
    refused(text[:-1] + ', "history": null}', "history", "given twice")


def test_list_layout_refusals() -> None:
    refused(edited(["data", "rows", "X", 0, 0], "x", VALID_LISTS), "data.rows.X")
    refused(edited(["data", "rows", "X", 1], [1.0], VALID_LISTS), "data.rows.X[1]", "has 1 values")
    refused(edited(["losses", "epoch_end_steps", 0], 1.5, VALID_LISTS), "losses.epoch_end_steps[0]")


def test_encoded_array_refusals() -> None:
    m = VALID["trainer"]["optimizer_state"]["m"]
    refused(
        edited(["trainer", "optimizer_state", "m", "base64"], m["base64"][:-4]),
        "trainer.optimizer_state.m.base64",
        "characters, but the shape",
    )
    refused(
        edited(["trainer", "optimizer_state", "m", "base64"], "!" + m["base64"][1:]),
        "trainer.optimizer_state.m.base64",
        "not base64",
    )
    refused(
        edited(["trainer", "optimizer_state", "m", "dtype"], "<f4"),
        "trainer.optimizer_state.m.dtype",
        'expected "<f8" or "<i8"',
    )
    refused(edited(["losses", "step_losses", "shape"], [-1]), "losses.step_losses.shape[0]")
    refused(edited(["losses", "step_losses", "shape"], "4"), "losses.step_losses.shape")
    refused(edited(["losses", "step_losses", "extra"], 1), "losses.step_losses.extra")
    refused(edited(["losses", "step_losses", "base64"]), "losses.step_losses.base64", "missing")
    refused(edited(["losses", "step_losses", "shape"], [2, 3]), "losses.step_losses", "flat")
    refused(edited(["losses", "epoch_end_steps", "dtype"], "<f8"), "losses.epoch_end_steps")
    refused(edited(["trainer", "order", "dtype"], "<f8"), "trainer.order")
    nan = {"dtype": "<f8", "shape": [1], "base64": "AAAAAAAA+H8="}  # one NaN
    refused(
        edited(["trainer", "optimizer_state", "m"], nan),
        "trainer.optimizer_state.m[0]",
        "nan is not a finite number",
    )
    refused(edited(["data", "rows", "X"], nan), "data.rows.X", "a non-empty table")
    nan["shape"] = [1, 1]
    refused(edited(["data", "rows", "X"], nan), "data.rows.X", "not a finite number")


def test_a_declared_array_larger_than_its_text_is_refused_before_allocating() -> None:
    # 2**40 float64 values would be 8 TiB: refused from the lengths alone (an allocation
    # would end in MemoryError, not in this message).
    huge = {"dtype": "<f8", "shape": [2**20, 2**20], "base64": "AAAAAAAAAAA="}
    refused(
        edited(["data", "rows", "X"], huge), "data.rows.X.base64", "the shape [1048576, 1048576]"
    )
    refused(
        edited(["history", "snapshots", 1, "state", "parameters"], huge),
        "history.snapshots[1].state.parameters.base64",
    )


def test_a_file_in_another_field_order_still_loads() -> None:
    # Written by hand or by another tool: the history first, snapshots before max_bytes.
    document = copy.deepcopy(VALID)
    history = document.pop("history")
    reordered = {"history": {"snapshots": history["snapshots"], "max_bytes": 10**9}}
    reordered.update(document)
    loaded = session_from_json(json.dumps(reordered))
    assert loaded.history.steps == session_from_json(VALID_TEXT).history.steps
    assert loaded.history.max_bytes == 10**9


def test_a_list_layout_file_opens_and_goes_on_bit_for_bit(tmp_path: Path) -> None:
    loaded = load_session(LISTS_FILE)
    assert loaded.step_count == 12 and loaded.history.steps == list(range(13))
    assert loaded.settings == {"note": "written by the list-layout writer"}
    raw = json.loads(LISTS_FILE.read_text())
    assert raw["losses"]["step_losses"] == loaded.step_losses.tolist()  # read exactly
    stored_v = raw["history"]["snapshots"][5]["state"]["optimizer_state"]["v"]
    assert (
        np.array(stored_v).tobytes() == loaded.history.snapshot_at(5).optimizer_state["v"].tobytes()
    )
    # Saved again, it is in the new layout and holds the same bits.
    path = tmp_path / "again.bpsession"
    save_session(path, loaded)
    again = load_session(path)
    assert '"base64"' in path.read_text() and path.stat().st_size < LISTS_FILE.stat().st_size
    first, second = loaded.make_trainer(), again.make_trainer()
    first.run_steps(20)
    second.run_steps(20)
    assert first.network.parameters.tobytes() == second.network.parameters.tobytes()
    assert first.step_losses == second.step_losses
    # The loaded history rewinds to where the file's snapshots say the trainer was.
    rewind(second, again.history, 7)
    assert second.network.parameters.tobytes() == (
        loaded.history.snapshot_at(7).parameters.tobytes()
    )
    assert second.step_losses == first.step_losses[:7]


def test_orders_are_written_once_per_epoch(tmp_path: Path) -> None:
    trainer = make("sgd", 1, True)  # epochs of 10 steps
    history = TrainingHistory()
    history.record(trainer)
    for _ in range(30):
        trainer.run_steps(1)
        history.record(trainer)
    text = session_to_json(Session.capture(trainer, {}, rows(), history))
    snapshots = json.loads(text)["history"]["snapshots"]
    orders = [s["state"]["order"] for s in snapshots]
    # Step 1 draws an epoch's order, the 10th step of the epoch ends it (no order until the
    # next step draws one): an order is written once per epoch.
    kinds = ["array" if isinstance(order, dict) else order for order in orders]
    assert kinds == ([None, "array"] + ["previous"] * 8) * 3 + [None]
    loaded = session_from_json(text)
    assert loaded.history.nbytes == history.nbytes
    for step in (5, 10, 15, 30):
        assert np.array_equal(
            loaded.history.snapshot_at(step).order, history.snapshot_at(step).order
        )


def test_a_list_layout_file_too_large_for_memory_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Digit-like rows: "3.0, " is 5 characters of text but 40 bytes while it is read.
    X = np.random.default_rng(0).integers(0, 17, (2000, 8)).astype(float)
    T = np.arange(2000) % 3
    net = Network.create([8, 5, 3], ["tanh", "softmax"], "cross_entropy", seed=4)
    trainer = Trainer(net, X, T, lr=0.1, batch_size=30, shuffle=True, seed=3)
    trainer.run_steps(40)
    session = Session.capture(trainer, {}, {"rows": {"X": X, "T": T}})
    compact = tmp_path / "compact.bpsession"
    save_session(compact, session)
    lists = tmp_path / "lists.bpsession"
    lists.write_text(json.dumps(list_layout(json.loads(compact.read_text()))))
    monkeypatch.setattr(session_module, "MIN_MEMORY_BUDGET", 0)
    with pytest.raises(SessionFileError) as caught:
        load_session(lists)
    message = str(caught.value)
    assert message.startswith(f"{lists}: not opened: this ") and "\n" not in message
    assert "numbers written as text (the layout of earlier BP Studio versions)" in message
    assert "5 times the file's size" in message and "MiB of memory" in message
    need, budget = session_module.reading_memory(lists.stat().st_size, 0, 0)
    assert need == 0 and budget == 5 * lists.stat().st_size
    loaded = load_session(compact)  # the same session in binary: no numbers as text
    assert loaded.step_losses.tobytes() == session.step_losses.tobytes()
    monkeypatch.undo()
    assert load_session(lists).step_count == 40  # small files are never refused


def test_file_level_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.bpsession"
    path.write_text(VALID_TEXT)
    assert load_session(path).step_count == 6
    monkeypatch.setattr(session_module, "MAX_BYTES", 1000)
    with pytest.raises(SessionFileError, match="MiB a session file may have"):
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
    assert load_session(path).step_count == 6


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
LIST_PATHS = all_paths(VALID_LISTS)
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
@given(st.sampled_from(LIST_PATHS), json_values)
def test_fuzz_wrong_values_in_the_list_layout(path: tuple, value: Any) -> None:
    loads_or_refuses(json.dumps(set_at(copy.deepcopy(VALID_LISTS), path, value)))


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
