#!/usr/bin/env python
"""BP Studio benchmarks.

Run ``.venv/bin/python scripts/bench.py [--quick] [--json PATH] [--only NAME]``
(``--repeats N`` and ``--seconds S`` override how long it measures).

Sections (``SECTIONS``, name -> function taking ``Settings`` and returning a JSON-able dict):

- ``engine``: training steps per second of the fast path (sgd, no shuffle, no
  regularisation) against a minimal hand-written numpy step and, when ``import torch`` works,
  a PyTorch CPU step, all measured in the same run, interleaved:

  - ``full_batch``: ``Trainer.run_steps`` on one batch (one step = the whole data);
  - ``mini_batch``: ``Network.train(X, Y, epochs=1, batch_size=B)`` on 10,240 rows, at each
    network's batch and online (``B = 1``), against the same epoch of slices in numpy
    (best of 5 epochs; an epoch's time over its number of steps).

  ``slowdown = BP Studio time per step / minimal numpy time per step`` (target <= 1.2);
  ``speedup over torch = torch time per step / BP Studio time per step`` (target > 1).
- ``gui`` (Qt, offscreen unless ``QT_QPA_PLATFORM`` says otherwise; ``--repeats`` and
  ``--seconds`` do not apply, ``--quick`` shortens it to well under a minute):

  - ``canvas_redraw``: milliseconds of ``set_moment`` + ``viewport().repaint()`` on a
    1280 x 800 canvas for 2-4-1, 2-8-8-1, 64-32-10, 784-128-10 and 2-32-32-32-1, for a phase
    step (same weights) and for changed weights (what the window does 30 times a second while
    training runs); target: median <= 16 ms (``ratio_to_budget <= 1``).
  - ``canvas_big_network``: the changed-weights frame of 784-128-10 over that of 64-32-10,
    medians of the same run (target <= 2: an image-sized network stays live).
  - ``window_throughput``: training steps per second at "As fast as possible" with the
    window showing, as a share of headless ``Trainer.run_steps`` on the same network and data,
    the two taking turns (target >= 0.8); XOR 2-3-1 and 64-32-10 on 64-feature, 10-class rows;
    64-32-10 again with the diagnostics dock showing its gradient curves, then its histograms
    (target >= 0.7).
  - ``launch``: seconds from just before a fresh ``python`` starts to the first paint of the
    main window, BP Studio against a bare PySide6 window with one pyqtgraph ``PlotWidget``,
    alternating (target: ratio <= 2).

- ``csv``: the CSV readers (``read_csv``, the command line's, and ``read_dataset``, the
  window's), each in a fresh process: peak memory above the interpreter's baseline in MiB per
  MiB of file (target <= 5) and seconds per MiB, for ~20 MiB files of floats and of small
  integers and a ~100 MiB file, with ``np.loadtxt`` on the same file as the reference.
- ``session``: opening (``load_session``, ``Studio.open``) and saving (``save_session``,
  ``Studio.save``) session files, each in a fresh process: peak memory above what the process
  held before, in MiB per MiB of file (target <= 5), and seconds per MiB, for sessions of
  about 20, 50, 200 and 480 MiB (``--quick``: 4 and 16) and their copies in the list layout
  of earlier versions (read, or refused before parsing).

The figures go to ``bench.json`` in the current directory (or ``--json PATH``) as
``{"engine": {"full_batch": {"2-4-1": {"batch": 4, "bp_studio_steps_per_s": ..., ...}, ...},
"mini_batch": {"2-4-1 b4": {...}, "2-4-1 b1": {...}, ...}}, "gui": {...}}``.

Timing is ``timeit.repeat`` style: each subject's step count per timing is calibrated so one
timing lasts about ``Settings.target_s``, the garbage collector is off while timing, the
subjects take turns within every repeat (order alternating between repeats), and the figures
are the best (min) per-step times; the median paired ratio is printed beside them as a check
on noise. BLAS threads are left as numpy has them (``OPENBLAS_CORETYPE`` and friends are read,
never changed); torch, if present, gets as many threads as numpy's OpenBLAS reports.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LR = 0.05
"""Learning rate of every subject: small enough that no network diverges while timed."""

SLOWDOWN_TARGET = 1.2
"""BP Studio's time per step may be at most this many times the minimal numpy step's."""

MINI_BATCH_ROWS = 10_240
"""Rows of the large ``X`` that the mini-batch and online timings slice (``--quick``: 1,024)."""

NOISY = 1.2
"""Best-timing and median ratios further apart than this factor mark a row as noisy."""


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``repeats`` timings per subject of about ``target_s`` seconds each."""

    quick: bool
    repeats: int
    target_s: float
    epoch_repeats: int = 5
    """Timings per subject of the engine's mini-batch epochs (each lasts about an epoch)."""
    mini_batch_rows: int = MINI_BATCH_ROWS
    cpu_time: bool = False
    """Engine timings in CPU time of the process (``time.process_time``), not wall time."""


# -- timing ----------------------------------------------------------------------------------

Runner = Callable[[int], object]
"""``run(count)`` does ``count`` training steps."""


def _time_once(run: Runner, count: int, clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    run(count)
    return clock() - start


def _calibrate(run: Runner, target_s: float, clock: Callable[[], float]) -> int:
    """A step count whose timing lasts at least ``target_s`` (``timeit.autorange`` style)."""
    count = 1
    while True:
        elapsed = _time_once(run, count, clock)
        if elapsed >= target_s:
            return count
        if elapsed <= 0.0:
            count *= 10
        else:
            count = max(count * 2, math.ceil(count * 1.2 * target_s / elapsed))


def measure(subjects: dict[str, Runner], settings: Settings) -> dict[str, list[float]]:
    """Seconds per step of each subject, one figure per repeat; the subjects are interleaved."""
    names = list(subjects)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        clock = time.process_time if settings.cpu_time else time.perf_counter
        counts = {name: _calibrate(subjects[name], settings.target_s, clock) for name in names}
        per_step: dict[str, list[float]] = {name: [] for name in names}
        for repeat in range(settings.repeats):
            order = names if repeat % 2 == 0 else names[::-1]
            for name in order:
                elapsed = _time_once(subjects[name], counts[name], clock)
                per_step[name].append(elapsed / counts[name])
    finally:
        if gc_was_enabled:
            gc.enable()
    return per_step


def _paired_median_ratio(numerator: list[float], denominator: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(numerator, denominator))


# -- environment -----------------------------------------------------------------------------


def _openblas() -> tuple[int | None, str | None]:
    """(threads, core name) of the OpenBLAS numpy has loaded, or ``None`` where unknown."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        threads = corename = None
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if getter is not None and threads is None:
                    getter.restype = ctypes.c_int
                    threads = int(getter())
                namer = getattr(lib, f"{prefix}_get_corename{suffix}", None)
                if namer is not None and corename is None:
                    namer.restype = ctypes.c_char_p
                    corename = namer().decode()
        if threads is not None or corename is not None:
            return threads, corename
    return None, None


BLAS_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
)


def describe_environment() -> tuple[str, int | None]:
    """A line on Python, numpy and its BLAS (read, never changed); and the BLAS threads."""
    threads, corename = _openblas()
    variables = {name: os.environ[name] for name in BLAS_VARIABLES if name in os.environ}
    line = (
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
        f"OpenBLAS threads {threads or 'unknown'} (left as numpy has them), "
        f"core {corename or 'unknown'}, {variables or 'no BLAS variables set'}"
    )
    return line, threads


# -- engine: the cases -----------------------------------------------------------------------


@dataclass(frozen=True)
class EngineCase:
    name: str
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    batch: int


ENGINE_CASES = (
    EngineCase("2-4-1", (2, 4, 1), ("sigmoid", "sigmoid"), "mse", 4),
    EngineCase("2-16-16-1", (2, 16, 16, 1), ("tanh", "tanh", "sigmoid"), "mse", 64),
    EngineCase("64-32-10", (64, 32, 10), ("tanh", "softmax"), "cross_entropy", 128),
    EngineCase("784-128-10", (784, 128, 10), ("tanh", "softmax"), "cross_entropy", 128),
)


def engine_data(case: EngineCase, samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(samples, inputs)`` and targets ``(samples, outputs)`` (one-hot for softmax).

    ``samples=None`` is one batch of ``case.batch`` rows (XOR's four for 2-4-1).
    """
    rng = np.random.default_rng(1)
    inputs, outputs = case.sizes[0], case.sizes[-1]
    n = case.batch if samples is None else samples
    if case.name == "2-4-1" and samples is None:
        return np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array(
            [[0.0], [1.0], [1.0], [0.0]]
        )
    if case.loss == "cross_entropy":
        X = rng.uniform(0.0, 1.0, size=(n, inputs))
        T = np.zeros((n, outputs))
        T[np.arange(n), rng.integers(0, outputs, size=n)] = 1.0
        return X, T
    X = rng.normal(size=(n, inputs))
    T = (X[:, :1] * X[:, 1:2] > 0.0).astype(np.float64)
    return X, T


# -- engine: the subjects --------------------------------------------------------------------


class NumpyReference:
    """The minimal step, the obvious way in plain numpy: forward, loss, backward, sgd.

    ``hidden`` is ``sigmoid`` or ``tanh`` (every hidden layer); ``output`` is ``sigmoid``
    (with mse ``1/n sum 1/2 (o - t)^2``) or ``softmax`` (with cross-entropy). Gradients are
    batch means computed from the pre-update weights; the loss value is computed every step
    (BP Studio does too). Calling it with ``count`` runs ``count`` epochs and returns the last
    step's loss: with ``batch=None`` an epoch is one full-batch step on ``X``; else it is the
    mini-batches ``X[start : start + batch]`` in order (the last holds the remainder), sliced
    in the loop as ``Trainer`` does without shuffling.

    The sigmoid is the textbook ``1 / (1 + exp(-z))`` (BP Studio's is an overflow-free form:
    the same function to rounding). Every intermediate is a fresh array, as in the obvious
    code; at 784-128-10 the fresh 800 KB gradient arrays cost page faults each step that BP
    Studio, writing gradients into one preallocated vector, avoids.
    """

    def __init__(
        self,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        hidden: str,
        output: str,
        X: np.ndarray,
        T: np.ndarray,
        lr: float,
        batch: int | None = None,
    ) -> None:
        self.Ws = [w.copy() for w in weights]
        self.bs = [b.copy() for b in biases]
        self.X, self.T, self.lr = X, T, lr
        self.batch = X.shape[0] if batch is None else batch
        self.sigmoid_hidden = hidden == "sigmoid"
        self.softmax = output == "softmax"

    def parameters(self) -> np.ndarray:
        """Every weight and bias, flat, in BP Studio's order."""
        return np.concatenate([p.ravel() for w, b in zip(self.Ws, self.bs) for p in (w, b)])

    def __call__(self, count: int) -> float:
        Ws, bs, X_all, T_all, lr = self.Ws, self.bs, self.X, self.T, self.lr
        sigmoid_hidden, softmax = self.sigmoid_hidden, self.softmax
        size, samples = self.batch, X_all.shape[0]
        last = len(Ws) - 1
        loss = math.nan
        for _ in range(count):
            for start in range(0, samples, size):
                if size >= samples:
                    X, T = X_all, T_all
                else:
                    X, T = X_all[start : start + size], T_all[start : start + size]
                inv_n = 1.0 / X.shape[0]
                # 1. forward: z = a W^T + b, a = f(z)
                a = X
                acts = [X]
                for layer in range(last):
                    z = a @ Ws[layer].T + bs[layer]
                    a = 1.0 / (1.0 + np.exp(-z)) if sigmoid_hidden else np.tanh(z)
                    acts.append(a)
                z = a @ Ws[last].T + bs[last]
                # 2. output, loss and the output delta dL_s/dz
                if softmax:
                    shifted = z - z.max(axis=1, keepdims=True)
                    e = np.exp(shifted)
                    total = e.sum(axis=1, keepdims=True)
                    o = e / total
                    loss = -float(np.sum(T * (shifted - np.log(total)))) * inv_n
                    delta = o - T
                else:
                    o = 1.0 / (1.0 + np.exp(-z))
                    err = o - T
                    loss = 0.5 * float(np.sum(err * err)) * inv_n
                    delta = err * (o * (1.0 - o))
                # 3. backward (batch-mean gradients) and 4. sgd, layer by layer from the
                # output; the next delta is taken from W before W is updated.
                for layer in range(last, -1, -1):
                    W = Ws[layer]
                    grad_w = (delta.T @ acts[layer]) * inv_n
                    grad_b = delta.sum(axis=0) * inv_n
                    if layer:
                        a = acts[layer]
                        derivative = a * (1.0 - a) if sigmoid_hidden else 1.0 - a * a
                        delta = (delta @ W) * derivative
                    W -= lr * grad_w
                    bs[layer] -= lr * grad_b
        return loss


def torch_reference(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    hidden: str,
    output: str,
    X: np.ndarray,
    T: np.ndarray,
    lr: float,
    batch: int | None = None,
) -> Runner:
    """The PyTorch CPU step (float64): ``nn.Linear`` layers, the loss, ``backward``, SGD.

    ``run(count)`` runs ``count`` epochs, sliced like ``NumpyReference``.
    """
    import torch

    layers = []
    for w, b in zip(weights, biases):
        linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
    hidden_f = torch.sigmoid if hidden == "sigmoid" else torch.tanh
    params = [p for linear in layers for p in linear.parameters()]
    optimizer = torch.optim.SGD(params, lr=lr)
    x_all = torch.from_numpy(np.ascontiguousarray(X))
    softmax = output == "softmax"
    target_all = torch.from_numpy(T.argmax(axis=1)) if softmax else torch.from_numpy(T)
    samples = X.shape[0]
    size = samples if batch is None else batch
    functional = torch.nn.functional

    def run(count: int) -> float:
        loss_value = math.nan
        for _ in range(count):
            for start in range(0, samples, size):
                if size >= samples:
                    x, target = x_all, target_all
                else:
                    x = x_all[start : start + size]
                    target = target_all[start : start + size]
                optimizer.zero_grad(set_to_none=True)
                a = x
                for linear in layers[:-1]:
                    a = hidden_f(linear(a))
                z = layers[-1](a)
                if softmax:
                    loss = functional.cross_entropy(z, target)
                else:
                    squared = functional.mse_loss(torch.sigmoid(z), target, reduction="sum")
                    loss = squared * (0.5 / x.shape[0])
                loss.backward()
                optimizer.step()
                loss_value = loss.item()
        return loss_value

    return run


def _torch_threads(blas_threads: int | None) -> str | None:
    """Import torch and match numpy's BLAS threads; ``None`` if torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if blas_threads:
        torch.set_num_threads(blas_threads)
        return f"torch {torch.__version__}, set_num_threads({blas_threads}) as numpy's OpenBLAS"
    return f"torch {torch.__version__}, default {torch.get_num_threads()} threads"


def _check_same(label: str, name: str, ours: float, theirs: float, tol: float) -> None:
    if not math.isclose(ours, theirs, rel_tol=tol, abs_tol=tol):
        raise AssertionError(
            f"{label}: BP Studio loss {ours!r} != {name} loss {theirs!r} on the same weights"
        )


def _engine_result(
    batch: int, steps: int, times: dict[str, list[float]], with_torch: bool
) -> dict[str, object]:
    """Per-step figures from ``measure``'s per-run times (one run = ``steps`` steps)."""
    best = {name: min(values) / steps for name, values in times.items()}
    slowdown = best["bp_studio"] / best["numpy"]
    median = _paired_median_ratio(times["bp_studio"], times["numpy"])
    result: dict[str, object] = {
        "batch": batch,
        "bp_studio_steps_per_s": 1.0 / best["bp_studio"],
        "numpy_steps_per_s": 1.0 / best["numpy"],
        "slowdown_vs_numpy": slowdown,
        "slowdown_vs_numpy_median": median,
        "noisy": max(slowdown, median) > NOISY * min(slowdown, median),
        "torch_steps_per_s": None,
        "speedup_vs_torch": None,
    }
    if with_torch:
        result["torch_steps_per_s"] = 1.0 / best["torch"]
        result["speedup_vs_torch"] = best["torch"] / best["bp_studio"]
    return result


def engine_case(case: EngineCase, settings: Settings, with_torch: bool) -> dict[str, object]:
    """Full batch: ``Trainer.run_steps`` on one batch of ``case.batch`` rows."""
    from bp_studio.engine import Network, Trainer

    X, T = engine_data(case)
    network = Network.create(list(case.sizes), list(case.activations), case.loss, seed=0)
    weights = [layer.weight.copy() for layer in network.layers]
    biases = [layer.bias.copy() for layer in network.layers]
    hidden, output = case.activations[0], case.activations[-1]
    trainer = Trainer(network, X, T, lr=LR, batch_size=None, shuffle=False, optimizer="sgd")
    reference = NumpyReference(weights, biases, hidden, output, X, T, LR)

    # Honesty check: the same loss from the same weights, and the same weights after the step.
    trainer.run_steps(1)
    _check_same(case.name, "numpy", trainer.step_losses[-1], reference(1), 1e-12)
    drift = float(np.max(np.abs(network.parameters - reference.parameters())))
    if drift > 1e-12:
        raise AssertionError(f"{case.name}: weights differ by {drift} after one step")

    subjects: dict[str, Runner] = {"bp_studio": trainer.run_steps, "numpy": reference}
    if with_torch:
        subjects["torch"] = torch_reference(weights, biases, hidden, output, X, T, LR)
        _check_same(case.name, "torch", trainer.step_losses[0], subjects["torch"](1), 1e-12)

    times = measure(subjects, settings)
    if not math.isfinite(reference(1)):
        raise AssertionError(f"{case.name}: the numpy reference diverged while timed")
    return _engine_result(case.batch, 1, times, with_torch)


def engine_epoch_case(
    case: EngineCase, batch: int, settings: Settings, with_torch: bool
) -> dict[str, object]:
    """Mini-batches of ``batch`` rows sliced from a large ``X``: ``Network.train(X, Y,
    epochs=1, batch_size=batch)`` against the same epoch in minimal numpy (and torch)."""
    from bp_studio.engine import Network

    rows = settings.mini_batch_rows
    X, T = engine_data(case, rows)
    network = Network.create(list(case.sizes), list(case.activations), case.loss, seed=0)
    weights = [layer.weight.copy() for layer in network.layers]
    biases = [layer.bias.copy() for layer in network.layers]
    hidden, output = case.activations[0], case.activations[-1]
    reference = NumpyReference(weights, biases, hidden, output, X, T, LR, batch)
    label = f"{case.name} batch {batch}"

    def bp_studio(count: int) -> float:
        for _ in range(count):
            losses = network.train(X, T, epochs=1, lr=LR, batch_size=batch)
        return losses[-1]

    # Honesty check: one epoch from the same weights ends on nearly the same weights (the
    # sigmoids differ in rounding, so the thousands of steps may drift apart by a few ulps).
    bp_studio(1)
    reference(1)
    drift = float(np.max(np.abs(network.parameters - reference.parameters())))
    if drift > 1e-9:
        raise AssertionError(f"{label}: weights differ by {drift} after one epoch")

    subjects: dict[str, Runner] = {"bp_studio": bp_studio, "numpy": reference}
    if with_torch:
        subjects["torch"] = torch_reference(weights, biases, hidden, output, X, T, LR, batch)
    times = measure(subjects, replace(settings, repeats=settings.epoch_repeats))
    if not math.isfinite(reference(1)):
        raise AssertionError(f"{label}: the numpy reference diverged while timed")
    return _engine_result(batch, -(-rows // batch), times, with_torch)


def bench_engine(settings: Settings) -> dict[str, dict[str, object]]:
    """Steps per second of the fast path, BP Studio against minimal numpy (and torch):
    full batch (``full_batch``), then mini-batches and online (``mini_batch``)."""
    line, blas_threads = describe_environment()
    torch_note = _torch_threads(blas_threads)
    with_torch = torch_note is not None
    print(f"engine: {line}")
    print(f"        {torch_note or 'torch not installed'}")
    clock = "CPU time of the process" if settings.cpu_time else "wall time"
    print(
        f"        float64, sgd lr {LR}, {clock}; full batch: best of {settings.repeats} "
        f"interleaved timings of ~{settings.target_s:g} s each"
    )
    full = {case.name: engine_case(case, settings, with_torch) for case in ENGINE_CASES}
    _print_engine_table(full)
    print(
        f"\n        mini-batches sliced in order from {settings.mini_batch_rows:,} rows, "
        f"Network.train(X, Y, epochs=1, batch_size=B) per epoch; best of "
        f"{settings.epoch_repeats} interleaved epochs (or runs of epochs lasting "
        f"~{settings.target_s:g} s)"
    )
    mini: dict[str, dict[str, object]] = {}
    for case in ENGINE_CASES:
        for batch in (case.batch, 1):
            mini[f"{case.name} b{batch}"] = engine_epoch_case(case, batch, settings, with_torch)
    _print_engine_table(mini)
    return {"full_batch": full, "mini_batch": mini}


def _print_engine_table(results: dict[str, dict[str, object]]) -> None:
    header = (
        f"{'network':<16} {'batch':>5} {'BP Studio/s':>12} {'numpy/s':>12} {'slowdown':>9} "
        f"{'(median)':>9} {'torch/s':>10} {'vs torch':>9}  note"
    )
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        torch_rate = row["torch_steps_per_s"]
        torch_cells = (
            f"{torch_rate:>10,.0f} {row['speedup_vs_torch']:>8.2f}x"
            if torch_rate is not None
            else f"{'-':>10} {'-':>9}"
        )
        notes = []
        if row["slowdown_vs_numpy"] > SLOWDOWN_TARGET:
            notes.append(f"over {SLOWDOWN_TARGET}")
        if torch_rate is not None and row["speedup_vs_torch"] < 1.0:
            notes.append("slower than torch")
        if row["noisy"]:
            notes.append("noisy")
        line = (
            f"{name:<16} {row['batch']:>5} {row['bp_studio_steps_per_s']:>12,.0f} "
            f"{row['numpy_steps_per_s']:>12,.0f} {row['slowdown_vs_numpy']:>9.2f} "
            f"{row['slowdown_vs_numpy_median']:>9.2f} {torch_cells}  {', '.join(notes)}"
        )
        print(line.rstrip())
    print(
        f"slowdown = BP Studio time per step / minimal numpy time per step "
        f"(target <= {SLOWDOWN_TARGET}), from the best timings;\n"
        f"(median) = median of the per-repeat ratios; noisy = the two differ by over "
        f"{NOISY:g}x (busy cores or BLAS threads contending: rerun, or set "
        f"OPENBLAS_NUM_THREADS=1);\n"
        f"vs torch = torch time per step / BP Studio time per step (> 1: BP Studio faster)."
    )


# -- gui: shared -----------------------------------------------------------------------------

FRAME_BUDGET_MS = 16.0
"""A canvas redraw (``set_moment`` + a full repaint at 1280 x 800) should take at most this."""

WINDOW_FRACTION_TARGET = 0.8
"""Training with the window showing should keep at least this share of the headless speed."""

LAUNCH_RATIO_TARGET = 2.0
"""Launch to the first painted window: at most this many times a bare PySide6 + pyqtgraph one."""

CANVAS_SIZE = (1280, 800)


@dataclass(frozen=True)
class GuiPlan:
    """How long the gui section measures (``--quick``: the whole section in well under 60 s)."""

    canvas_rounds: int
    canvas_frames: int
    throughput_rounds: int
    throughput_seconds: float
    launch_repeats: int


def gui_plan(settings: Settings) -> GuiPlan:
    if settings.quick:
        return GuiPlan(3, 8, 2, 1.5, 3)
    return GuiPlan(9, 20, 5, 3.0, 7)


def _qt_application():
    """The QApplication (offscreen unless ``QT_QPA_PLATFORM`` says otherwise), settings isolated.

    The window reads and writes its layout with ``QSettings``: the bench points them at a
    temporary folder so that neither a saved layout changes the figures nor the bench changes it.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        import tempfile

        folder = tempfile.mkdtemp(prefix="bp-studio-bench-")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        app = QApplication(sys.argv[:1])
    return app


def _platform_note() -> str:
    from PySide6.QtGui import QGuiApplication

    name = QGuiApplication.platformName()
    if name == "offscreen":
        return "offscreen Qt platform (QT_QPA_PLATFORM=offscreen: no real screen, raster painting)"
    return f"Qt platform {name}"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- gui: canvas redraw ----------------------------------------------------------------------


@dataclass(frozen=True)
class CanvasCase:
    name: str
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str


WEIGHT_FRAMES = 32
"""How many different sets of weights the ``weights`` frames take in turn."""

CANVAS_CASES = (
    CanvasCase("2-4-1", (2, 4, 1), ("sigmoid", "sigmoid"), "mse"),
    CanvasCase("2-8-8-1", (2, 8, 8, 1), ("tanh", "tanh", "sigmoid"), "mse"),
    CanvasCase("64-32-10", (64, 32, 10), ("tanh", "softmax"), "cross_entropy"),
    CanvasCase("784-128-10", (784, 128, 10), ("tanh", "softmax"), "cross_entropy"),
    CanvasCase("2-32-32-32-1", (2, 32, 32, 32, 1), ("tanh", "tanh", "tanh", "sigmoid"), "mse"),
)


def _canvas_subjects(case: CanvasCase) -> tuple[object, dict[str, Callable[[], float]]]:
    """A canvas and its ``phase`` and ``weights`` frames, each returning its redraw time (s).

    ``phase``: the phases of one step in turn (forward layer by layer, error, backward layer
    by layer) with the same weights. ``weights``: what the window does 30 times a second while
    training runs: it copies the trainer's new parameters into its display network and hands
    the canvas a ``Moment`` of it. The parameters of ``WEIGHT_FRAMES`` moments five steps apart
    are made before timing and taken in turn, so that no training runs between frames: the
    BLAS threads of a 784-128-10 step keep spinning for a while after it and would take the
    core the canvas draws on (on a 2-core machine that tripled its frame).
    Timed: ``set_moment`` + ``viewport().repaint()``, nothing else.
    """
    from dataclasses import replace

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from bp_studio.engine import Network, Trainer
    from bp_studio.studio.moment import Moment, moment_from_trainer
    from bp_studio.ui.canvas import NetworkCanvas

    rng = np.random.default_rng(0)
    inputs, outputs = case.sizes[0], case.sizes[-1]
    X = rng.normal(size=(256, inputs))
    if case.loss == "cross_entropy":
        T = np.zeros((256, outputs))
        T[np.arange(256), rng.integers(0, outputs, size=256)] = 1.0
    else:
        T = (X[:, :1] * X[:, 1:2] > 0.0).astype(np.float64)
    network = Network.create(list(case.sizes), list(case.activations), case.loss, seed=0)
    trainer = Trainer(network, X, T, lr=0.1, batch_size=32, shuffle=False, optimizer="sgd")
    trainer.run_steps(50)

    snapshots = []
    for _ in range(WEIGHT_FRAMES):
        trainer.run_steps(5)
        snapshots.append(network.parameters.copy())
    frozen = network.copy()
    moments = []
    while True:
        trainer.next_layer()
        moment = moment_from_trainer(trainer)
        if moment.update is not None:
            break
        moments.append(replace(moment, network=frozen))
    display = network.copy()

    canvas = NetworkCanvas()
    canvas.resize(*CANVAS_SIZE)
    canvas.show()
    QTest.qWaitForWindowExposed(canvas)
    canvas.set_moment(moments[0])
    canvas.viewport().repaint()
    app = QApplication.instance()
    state = {"phase": 0, "weights": 0}

    def timed(moment) -> float:
        start = time.perf_counter()
        canvas.set_moment(moment)
        canvas.viewport().repaint()
        elapsed = time.perf_counter() - start
        app.processEvents()  # what the event loop would do next (not timed)
        return elapsed

    def phase() -> float:
        state["phase"] = (state["phase"] + 1) % len(moments)
        return timed(moments[state["phase"]])

    def weights() -> float:
        state["weights"] = (state["weights"] + 1) % WEIGHT_FRAMES
        np.copyto(display.parameters, snapshots[state["weights"]])
        return timed(Moment(network=display, step_number=5 * state["weights"]))

    return canvas, {"phase": phase, "weights": weights}


BIG_FRAME_RATIO_TARGET = 2.0
"""A 784-128-10 frame should cost at most this many 64-32-10 frames (changed weights)."""


def big_network_ratio(results: dict[str, dict[str, object]]) -> dict[str, float]:
    """784-128-10's changed-weights frame over 64-32-10's (medians and best rounds)."""
    big, small = results["784-128-10"]["weights"], results["64-32-10"]["weights"]
    return {
        "median_ratio": big["median_ms"] / small["median_ms"],
        "best_round_ratio": big["best_round_ms"] / small["best_round_ms"],
        "target": BIG_FRAME_RATIO_TARGET,
    }


def bench_canvas(plan: GuiPlan) -> dict[str, dict[str, object]]:
    """Median redraw time per network and kind of frame; subjects interleaved in rounds."""
    subjects: dict[tuple[str, str], Callable[[], float]] = {}
    canvases = []
    for case in CANVAS_CASES:
        canvas, made = _canvas_subjects(case)
        canvases.append(canvas)
        for kind, run in made.items():
            subjects[(case.name, kind)] = run
    for run in subjects.values():  # warm up: first builds, caches, code paths
        for _ in range(3):
            run()
    frames: dict[tuple[str, str], list[float]] = {key: [] for key in subjects}
    rounds: dict[tuple[str, str], list[float]] = {key: [] for key in subjects}
    keys = list(subjects)
    for repeat in range(plan.canvas_rounds):
        for key in keys if repeat % 2 == 0 else keys[::-1]:
            times = [subjects[key]() for _ in range(plan.canvas_frames)]
            frames[key] += times
            rounds[key].append(statistics.median(times))
    for canvas in canvases:
        canvas.close()
        canvas.deleteLater()
    results: dict[str, dict[str, object]] = {}
    for (name, kind), times in frames.items():
        median_ms = statistics.median(times) * 1000
        results.setdefault(name, {})[kind] = {
            "median_ms": median_ms,
            "p90_ms": _quantile(times, 0.9) * 1000,
            "best_round_ms": min(rounds[(name, kind)]) * 1000,
            "frames": len(times),
            "ratio_to_budget": median_ms / FRAME_BUDGET_MS,
        }
    return results


def _print_canvas_table(results: dict[str, dict[str, object]]) -> None:
    print(
        f"canvas redraw: set_moment + viewport().repaint() at {CANVAS_SIZE[0]}x{CANVAS_SIZE[1]}; "
        f"budget {FRAME_BUDGET_MS:g} ms a frame"
    )
    header = (
        f"{'network':<13} {'frame':<22} {'median ms':>9} {'p90 ms':>8} {'best rnd':>9} "
        f"{'/ budget':>8}  note"
    )
    print(header)
    print("-" * len(header))
    labels = {"phase": "phase step, same w", "weights": "changed weights"}
    for name, kinds in results.items():
        for kind, row in kinds.items():
            note = "over budget" if row["ratio_to_budget"] > 1.0 else ""
            if row["median_ms"] > 1.5 * row["best_round_ms"]:
                note = (note + ", " if note else "") + "noisy (busy cores)"
            print(
                f"{name:<13} {labels[kind]:<22} {row['median_ms']:>9.2f} {row['p90_ms']:>8.2f} "
                f"{row['best_round_ms']:>9.2f} {row['ratio_to_budget']:>8.2f}  {note}".rstrip()
            )
    print(
        "median over every frame of every round; best rnd = the fastest round's median (the "
        "machine at its quietest); / budget = median / 16 ms."
    )


# -- gui: training throughput with the window showing ----------------------------------------


def _synthetic_classes(samples: int = 256) -> object:
    """64 features, 10 classes (centres plus noise): a ``Dataset`` of rows for the window."""
    from bp_studio.data.examples import Dataset

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=samples)
    centres = rng.normal(size=(10, 64))
    X = centres[labels] + 0.5 * rng.normal(size=(samples, 64))
    return Dataset(
        "synthetic",
        "Synthetic 64-feature, 10-class data",
        X,
        labels.reshape(-1, 1).astype(float),
        tuple(f"x{i + 1}" for i in range(64)),
        ("class",),
        classes=tuple(str(k) for k in range(10)),
    )


def _use_xor(window) -> None:
    """The window as it opens: XOR with the default 2-3-1 network (full batch of 4)."""
    from bp_studio.data.source import DataSpec
    from bp_studio.studio import Settings

    window.studio.set_data(DataSpec())
    window.studio.set(**Settings().to_dict())


def _use_large(window, batch: int) -> None:
    """64-32-10 (tanh, softmax, cross-entropy) on the synthetic rows, mini-batches of ``batch``."""
    from bp_studio.data.source import DataSpec
    from bp_studio.studio import HiddenLayer

    window.studio.set_data(DataSpec("rows", "synthetic", test_ratio=0.0), _synthetic_classes())
    window.studio.set(
        hidden=(HiddenLayer(32, "tanh"),),
        output_activation="softmax",
        loss="cross_entropy",
        lr=0.1,
        batch_size=batch,
    )


def _headless_rate(trainer, seconds: float) -> float:
    """Steps per second of ``trainer.run_steps`` in chunks of ~20 ms (as ``Studio.run``'s)."""
    from bp_studio.studio.studio import CHUNK_SECONDS

    chunk, steps = 1, 0
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        trainer.run_steps(chunk)
        elapsed = time.perf_counter() - t0
        steps += chunk
        if time.perf_counter() - start >= seconds:
            break
        if elapsed < CHUNK_SECONDS / 2:
            chunk = min(chunk * 2, 1_000_000)
        elif elapsed > CHUNK_SECONDS * 2 and chunk > 1:
            chunk = max(1, chunk // 2)
    return steps / (time.perf_counter() - start)


def _headless_trainer(studio):
    """A trainer like the studio's, on a copy of its network (the headless reference)."""
    from bp_studio.studio.document import make_trainer

    return make_trainer(studio.network.copy(), studio.data, studio.settings)


class _PaintCounter:
    """Counts the paint events of a widget (frames the canvas actually drew)."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, obj, event):  # Qt's override name
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        widget.installEventFilter(self._filter)


def _window_rate(window, seconds: float, canvas_paints: _PaintCounter) -> dict[str, float]:
    """Play at full speed for ``seconds`` with the window's event loop running."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    studio = window.studio
    loop = QEventLoop()
    first_step, first_paints = studio.step_count, canvas_paints.count
    start = time.perf_counter()
    window.player.start()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()
    steps = studio.step_count - first_step  # an int read while the run works: safe
    elapsed = time.perf_counter() - start
    paints = canvas_paints.count - first_paints
    window.player.stop()
    # Deliver the stopped run thread's queued signals now, before the next Play.
    for _ in range(3):
        QApplication.processEvents()
    return {"steps_per_s": steps / elapsed, "canvas_fps": paints / elapsed}


THROUGHPUT_CASES = (
    ("xor 2-3-1", None, None),
    ("64-32-10", 32, None),
    ("64-32-10", 128, None),
    ("64-32-10 diagnostics", 32, 0),
    ("64-32-10 histograms", 32, 1),
)
"""(name, batch or None for the whole set, the diagnostics dock's tab shown or None: hidden)."""
DIAGNOSTICS_FRACTION_TARGET = 0.7
"""With the diagnostics dock showing, the window keeps at least this share (issue: 0.7)."""


def bench_window_throughput(plan: GuiPlan) -> dict[str, dict[str, object]]:
    """Window training speed as a share of the headless engine's, interleaved per round."""
    from PySide6.QtTest import QTest

    from bp_studio.ui.main_window import MainWindow
    from bp_studio.ui.play import FASTEST

    window = MainWindow()
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.speed.setValue(FASTEST)
    paints = _PaintCounter(window.canvas.viewport())
    results: dict[str, dict[str, object]] = {}
    for name, batch, tab in THROUGHPUT_CASES:
        if batch is None:
            _use_xor(window)
        else:
            _use_large(window, batch)
        if tab is None:
            window.diagnostics_dock.hide()
        else:
            window.learning.show()
            window.learning.view.tabs.setCurrentIndex(tab)
        QTest.qWait(50)
        trainer = window.studio.trainer
        headless = _headless_trainer(window.studio)
        headless.run_steps(1)
        window_rates, headless_rates, fps = [], [], []
        for repeat in range(plan.throughput_rounds):
            for subject in ("headless", "window") if repeat % 2 == 0 else ("window", "headless"):
                if subject == "headless":
                    headless_rates.append(_headless_rate(headless, plan.throughput_seconds))
                else:
                    measured = _window_rate(window, plan.throughput_seconds, paints)
                    window_rates.append(measured["steps_per_s"])
                    fps.append(measured["canvas_fps"])
        fraction = statistics.median(window_rates) / statistics.median(headless_rates)
        key = name if batch is None else f"{name} batch {batch}"
        results[key] = {
            "diagnostics_tab": tab,
            "batch": batch or trainer.samples,
            "samples": trainer.samples,
            "headless_steps_per_s": statistics.median(headless_rates),
            "window_steps_per_s": statistics.median(window_rates),
            "fraction": fraction,
            "fraction_paired_median": _paired_median_ratio(window_rates, headless_rates),
            "canvas_fps": statistics.median(fps),
            "rounds": plan.throughput_rounds,
            "seconds_per_round": plan.throughput_seconds,
        }
    window.player.stop()
    window.hide()
    window.deleteLater()
    return results


def _print_throughput_table(results: dict[str, dict[str, object]]) -> None:
    print(
        "training throughput at 'As fast as possible' with the window showing, as a share of "
        f"headless Trainer.run_steps (target >= {WINDOW_FRACTION_TARGET:g}; with the "
        f"diagnostics dock showing >= {DIAGNOSTICS_FRACTION_TARGET:g})"
    )
    header = (
        f"{'network':<32} {'batch':>5} {'headless/s':>11} {'window/s':>10} {'fraction':>8} "
        f"{'(paired)':>8} {'canvas fps':>10}  note"
    )
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        target = (
            WINDOW_FRACTION_TARGET
            if row.get("diagnostics_tab") is None
            else DIAGNOSTICS_FRACTION_TARGET
        )
        note = "below target" if row["fraction"] < target else ""
        print(
            f"{name:<32} {row['batch']:>5} {row['headless_steps_per_s']:>11,.0f} "
            f"{row['window_steps_per_s']:>10,.0f} {row['fraction']:>8.2f} "
            f"{row['fraction_paired_median']:>8.2f} {row['canvas_fps']:>10.1f}  {note}".rstrip()
        )
    first = next(iter(results.values()))
    print(
        f"medians of {first['rounds']} rounds of {first['seconds_per_round']:g} s each, headless "
        "and window taking turns; (paired) = median of the per-round ratios; canvas fps = "
        "paints of the canvas per second while playing."
    )


# -- gui: launch time ------------------------------------------------------------------------

_LAUNCH_PRELUDE = """
import os, sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget
app = QApplication(sys.argv[:1])
seen = {}
def done():
    seen["frame"] = time.perf_counter() - t0
    print("LAUNCH", seen["paint"], seen["frame"], flush=True)
    os._exit(0)
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if (
            "paint" not in seen
            and event.type() == QEvent.Type.Paint
            and isinstance(obj, QWidget)
            and isinstance(obj.window(), QMainWindow)
        ):
            seen["paint"] = time.perf_counter() - t0
            QTimer.singleShot(0, done)
        return False
first_paint = FirstPaint()
app.installEventFilter(first_paint)
QTimer.singleShot(60000, lambda: os._exit(3))
"""

LAUNCH_SNIPPETS = {
    "bp_studio": _LAUNCH_PRELUDE
    + """
from bp_studio.cli import main
main([])
""",
    "bare": _LAUNCH_PRELUDE
    + """
import pyqtgraph as pg
window = QMainWindow()
window.setCentralWidget(pg.PlotWidget())
window.resize(1360, 860)
window.show()
app.exec()
""",
}
"""What each launch runs: BP Studio as ``bp-studio`` starts it, and a bare PySide6 window with one
pyqtgraph ``PlotWidget``. Both time from the parent's clock reading just before the process
starts (``time.perf_counter``: the system-wide monotonic clock on Linux) to the first paint
event of a widget of the main window, and to the end of that first paint (a zero timer)."""


def _launch_once(name: str, environment: dict[str, str]) -> tuple[float, float]:
    import subprocess

    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH_SNIPPETS[name], repr(start)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=str(ROOT),
        timeout=120,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("LAUNCH "):
            paint, frame = line.split()[1:]
            return float(paint), float(frame)
    raise RuntimeError(f"{name} launch printed no timing:\n{result.stdout}\n{result.stderr}")


def bench_launch(plan: GuiPlan) -> dict[str, object]:
    """Launch to first paint, BP Studio against a bare PySide6 + pyqtgraph window, alternated."""
    import tempfile

    environment = dict(os.environ)
    environment.setdefault("QT_QPA_PLATFORM", "offscreen")
    environment["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bp-studio-launch-")
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )
    for name in LAUNCH_SNIPPETS:  # warm the file cache and the bytecode caches: not counted
        _launch_once(name, environment)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in LAUNCH_SNIPPETS}
    names = list(LAUNCH_SNIPPETS)
    for repeat in range(plan.launch_repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            times[name].append(_launch_once(name, environment))
    paint = {name: [t[0] for t in values] for name, values in times.items()}
    frame = {name: [t[1] for t in values] for name, values in times.items()}
    result: dict[str, object] = {
        "platform": environment["QT_QPA_PLATFORM"],
        "repeats": plan.launch_repeats,
    }
    for name in names:
        result[f"{name}_first_paint_s"] = statistics.median(paint[name])
        result[f"{name}_first_frame_s"] = statistics.median(frame[name])
    result["ratio"] = result["bp_studio_first_paint_s"] / result["bare_first_paint_s"]
    result["ratio_paired_median"] = _paired_median_ratio(paint["bp_studio"], paint["bare"])
    result["ratio_first_frame"] = result["bp_studio_first_frame_s"] / result["bare_first_frame_s"]
    return result


def _print_launch_table(result: dict[str, object]) -> None:
    print(
        f"launch to the first painted window, fresh process each, QT_QPA_PLATFORM="
        f"{result['platform']} (target: BP Studio at most {LAUNCH_RATIO_TARGET:g}x the bare window)"
    )
    header = f"{'subject':<34} {'first paint s':>13} {'frame done s':>12}"
    print(header)
    print("-" * len(header))
    print(
        f"{'BP Studio (bp-studio, no file)':<34} {result['bp_studio_first_paint_s']:>13.3f} "
        f"{result['bp_studio_first_frame_s']:>12.3f}"
    )
    print(
        f"{'bare PySide6 + one PlotWidget':<34} {result['bare_first_paint_s']:>13.3f} "
        f"{result['bare_first_frame_s']:>12.3f}"
    )
    note = "" if result["ratio"] <= LAUNCH_RATIO_TARGET else "  (over target)"
    print(
        f"ratio {result['ratio']:.2f} (paired median {result['ratio_paired_median']:.2f}; "
        f"first frame done {result['ratio_first_frame']:.2f}){note}"
    )
    print(
        f"medians of {result['repeats']} launches each, alternating; from just before the "
        "process starts (interpreter start-up included) to the first paint event of a widget of "
        "the main window / the end of that first paint."
    )


def bench_gui(settings: Settings) -> dict[str, object]:
    """Canvas redraw time, training throughput with the window, and launch time."""
    plan = gui_plan(settings)
    _qt_application()
    print(f"gui: {_platform_note()}")
    results: dict[str, object] = {"platform": _platform_note()}
    results["canvas_redraw"] = bench_canvas(plan)
    _print_canvas_table(results["canvas_redraw"])
    ratio = results["canvas_big_network"] = big_network_ratio(results["canvas_redraw"])
    print(
        f"784-128-10 / 64-32-10, changed weights: {ratio['median_ratio']:.2f} (medians), "
        f"{ratio['best_round_ratio']:.2f} (best rounds); target <= {BIG_FRAME_RATIO_TARGET:g}"
    )
    print()
    results["window_throughput"] = bench_window_throughput(plan)
    _print_throughput_table(results["window_throughput"])
    print()
    results["launch"] = bench_launch(plan)
    _print_launch_table(results["launch"])
    return results


# -- data: maps and the digits epoch ---------------------------------------------------------


def bench_data(settings: Settings) -> dict[str, object]:
    """Decision-boundary maps of 2-8-8-1, and a digits epoch with the window against headless."""
    import time

    _qt_application()
    from PySide6.QtTest import QTest

    from bp_studio.data.generators import generate
    from bp_studio.data.source import DataSpec
    from bp_studio.engine import Network, Trainer
    from bp_studio.ui.data_view import DataView
    from bp_studio.ui.main_window import MainWindow

    results: dict[str, object] = {}
    # 1. Output map plus every per-neuron map on a 100 x 100 grid, 2-8-8-1 (target 10 ms).
    data = generate("circles", 200, 0.1, 0)
    network = Network.create([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], "mse", seed=0)
    view = DataView()
    view.resize(600, 500)
    view.set_data(data, None)
    view.set_network(network)
    trainer = Trainer(network, data.X, data.T, lr=0.1)
    times = []
    for _ in range(10 if settings.quick else 60):
        trainer.run_steps(1)  # new weights each time, as while training
        start = time.perf_counter()
        view.refresh()
        view.neuron_maps(network)
        view.neuron_images(network, size=32)
        times.append(time.perf_counter() - start)
    median_ms = statistics.median(times) * 1e3
    results["maps_2-8-8-1"] = {"median_ms": median_ms, "target_ms": 10.0, "grid": 100}
    print(
        f"data: output map + {16} neuron maps + node images, 2-8-8-1, 100x100 grid: "
        f"median {median_ms:.2f} ms (target 10 ms)"
    )

    # 2. Digits 64-32-10, mini-batch 32: epoch time while Play runs at full speed with the
    #    window showing (canvas, loss plot, data view and node maps drawn live) vs headless.
    window = MainWindow()
    window.show()
    QTest.qWaitForWindowExposed(window)
    from bp_studio.studio import HiddenLayer

    window.studio.set_data(DataSpec("real", "digits"))
    window.studio.set(
        hidden=(HiddenLayer(32, "tanh"),),
        output_activation="softmax",
        loss="cross_entropy",
        lr=0.1,
        batch_size=32,
    )
    per_epoch = window.studio.trainer.batches_per_epoch
    window.speed.setValue(window.speed.maximum())
    headless = _headless_trainer(window.studio)
    paints = _PaintCounter(window.canvas.viewport())
    seconds = 1.0 if settings.quick else 4.0
    window_times, headless_times = [], []
    for repeat in range(2 if settings.quick else 5):
        order = ("headless", "window") if repeat % 2 == 0 else ("window", "headless")
        for subject in order:
            if subject == "headless":
                headless_times.append(per_epoch / _headless_rate(headless, seconds))
            else:
                rate = _window_rate(window, seconds, paints)["steps_per_s"]
                window_times.append(per_epoch / rate)
    ratio = statistics.median(window_times) / statistics.median(headless_times)
    results["digits_epoch"] = {
        "network": "64-32-10",
        "batch": 32,
        "samples": window.studio.trainer.samples,
        "headless_s_per_epoch": statistics.median(headless_times),
        "window_s_per_epoch": statistics.median(window_times),
        "ratio": ratio,
        "target_ratio": 1.25,
    }
    print(
        f"data: digits 64-32-10, batch 32, {window.studio.trainer.samples} samples: one epoch "
        f"{statistics.median(headless_times) * 1e3:.1f} ms headless, "
        f"{statistics.median(window_times) * 1e3:.1f} ms with the window playing; "
        f"ratio {ratio:.2f} (target <= 1.25)"
    )
    # 3. Pause: from pressing it until training has stopped (target 100 ms).
    pauses = []
    for _ in range(5 if settings.quick else 15):
        window.player.start()
        QTest.qWait(150)
        start = time.perf_counter()
        window.player.stop()
        pauses.append(time.perf_counter() - start)
        QTest.qWait(20)
    results["pause_ms"] = {
        "median": statistics.median(pauses) * 1e3,
        "max": max(pauses) * 1e3,
        "target": 100.0,
    }
    print(
        "data: Pause while playing digits at full speed: median "
        f"{statistics.median(pauses) * 1e3:.1f} ms, worst {max(pauses) * 1e3:.1f} ms "
        "(target 100 ms; includes the redraw after it)"
    )
    window.player.stop()
    window.files.confirm_discard = lambda: True  # the bench keeps nothing
    window.close()
    return results


# -- history: rewind memory -------------------------------------------------------------------


def bench_history(settings: Settings) -> dict[str, object]:
    """Memory the rewind history holds after many steps (bounded by 256 MB)."""
    import time

    from bp_studio.engine import Network, Trainer, TrainingHistory

    steps = 5_000 if settings.quick else 100_000
    results: dict[str, object] = {}
    rng = np.random.default_rng(0)
    for name, sizes, activations, loss in (
        ("2-8-8-1", [2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], "mse"),
        ("64-32-10", [64, 32, 10], ["tanh", "softmax"], "cross_entropy"),
    ):
        network = Network.create(sizes, activations, loss, seed=0)
        X = rng.normal(size=(64, sizes[0]))
        T = (
            np.eye(sizes[-1])[rng.integers(0, sizes[-1], 64)]
            if sizes[-1] > 1
            else (rng.uniform(size=(64, 1)))
        )
        trainer = Trainer(network, X, T, lr=0.001, batch_size=16, optimizer="adam")
        history = TrainingHistory()
        history.record(trainer)
        start = time.perf_counter()
        for _ in range(steps):
            trainer.run_steps(1)
            history.record(trainer)
        seconds = time.perf_counter() - start
        results[name] = {
            "steps": steps,
            "optimizer": "adam",
            "snapshots": len(history),
            "nbytes": history.nbytes,
            "mib": history.nbytes / 2**20,
            "budget_mib": history.max_bytes / 2**20,
            "seconds": seconds,
        }
        print(
            f"history: {name} (adam), {steps:,} steps recorded: {len(history):,} snapshots, "
            f"{history.nbytes / 2**20:.1f} MiB of the {history.max_bytes / 2**20:.0f} MiB budget"
        )
    return results


# -- csv: reading data files (memory and speed) ------------------------------------------------

CSV_PEAK_TARGET = 5.0
"""Peak memory of reading a CSV file, above the interpreter's baseline, per byte of file."""

_CSV_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
reader, path = sys.argv[2], sys.argv[3]
import numpy as np
from bp_studio.data.csv_table import read_csv
from bp_studio.data.table_import import read_dataset

def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])

read = {
    "read_csv": lambda: read_csv(path).values,
    "read_dataset": lambda: read_dataset(path).X,
    "np.loadtxt": lambda: np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2),
}[reader]
try:  # Linux: reset the peak resident size to the current one, so imports do not count
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before, how = status_kib("VmRSS"), "rss"
except OSError:
    import tracemalloc
    tracemalloc.start()
    before, how = 0, "tracemalloc"
start = time.perf_counter()
values = read()
seconds = time.perf_counter() - start
if how == "rss":
    peak = status_kib("VmHWM") - before
else:
    peak = tracemalloc.get_traced_memory()[1] // 1024
print(json.dumps({"seconds": seconds, "peak_kib": peak, "how": how, "shape": values.shape}))
"""


def _csv_file(folder: Path, layout: str, megabytes: float) -> Path:
    """A CSV file of about ``megabytes`` MiB: ``floats`` (10 columns of exact float64 text,
    about 20 bytes a cell) or ``small_ints`` (digits-like: 64 pixels 0..16 and a label,
    about 2.5 bytes a cell, the layout that needs the most memory per byte of file)."""
    rng = np.random.default_rng(0)
    path = folder / f"{layout}_{megabytes:g}MiB.csv"
    target = int(megabytes * 2**20)
    with open(path, "w", encoding="utf-8") as handle:
        if layout == "floats":
            handle.write(",".join(f"x{i}" for i in range(9)) + ",y\n")
            block = rng.standard_normal((2000, 10))
            text = "".join(",".join(map(repr, row)) + "\n" for row in block.tolist())
        else:
            handle.write(",".join(f"pixel_{i}" for i in range(64)) + ",digit\n")
            block = rng.integers(0, 17, (2000, 65))
            text = "".join(",".join(map(str, row)) + "\n" for row in block.tolist())
        written = 0
        while written < target:
            handle.write(text)
            written += len(text)
    return path


def _csv_read_in_child(root: Path, reader: str, path: Path) -> dict[str, object]:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _CSV_CHILD, str(root), reader, str(path)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(result.stdout)


def bench_csv(settings: Settings, root: Path = ROOT) -> dict[str, object]:
    """Peak memory (MiB per MiB of file) and speed (s per MiB) of the CSV readers.

    Each read runs in a fresh child process; its peak is the growth of the resident size
    over the read, above the interpreter with numpy and BP Studio imported (Linux: the peak
    is reset after the imports through ``/proc/self/clear_refs``; elsewhere ``tracemalloc``).
    ``np.loadtxt`` on the same file is the reference for speed, measured in the same run.
    ``root`` is the
    checkout whose ``bp_studio`` is measured (another one gives the figures before a change).
    """
    import tempfile

    sizes = (
        [("floats", 4), ("small_ints", 4), ("floats", 16)]
        if settings.quick
        else [("floats", 20), ("small_ints", 20), ("floats", 100)]
    )
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        for layout, megabytes in sizes:
            path = _csv_file(Path(folder), layout, megabytes)
            mib = path.stat().st_size / 2**20
            row: dict[str, object] = {"file_mib": mib}
            for reader in ("read_csv", "read_dataset", "np.loadtxt"):
                measured = _csv_read_in_child(root, reader, path)
                if "error" in measured:
                    row[reader] = measured
                    print(f"csv: {layout} {mib:.0f} MiB, {reader}: {measured['error']}")
                    continue
                peak = measured["peak_kib"] / 1024 / mib
                row[reader] = {
                    "seconds": measured["seconds"],
                    "s_per_mib": measured["seconds"] / mib,
                    "peak_mib_per_mib": peak,
                }
            reference = row.get("np.loadtxt", {})
            for reader in ("read_csv", "read_dataset"):
                figures = row.get(reader, {})
                if "seconds" not in figures:
                    continue
                ratio = (
                    figures["seconds"] / reference["seconds"] if "seconds" in reference else None
                )
                figures["time_over_loadtxt"] = ratio
                figures["target_peak_mib_per_mib"] = CSV_PEAK_TARGET
                shown = f", {ratio:.2f} x np.loadtxt" if ratio is not None else ""
                print(
                    f"csv: {layout} {mib:.0f} MiB, {reader}: {figures['s_per_mib']:.3f} s/MiB"
                    f"{shown}, peak {figures['peak_mib_per_mib']:.2f} MiB per MiB of file "
                    f"(target <= {CSV_PEAK_TARGET:g})"
                )
            results[f"{layout}_{megabytes:g}MiB"] = row
        # The window's import of 100,000 rows x 10 columns (a test timed this once).
        values = np.random.default_rng(2).standard_normal((100_000, 10))
        from bp_studio.data.csv_table import write_csv_text

        path = Path(folder) / "rows_100k.csv"
        path.write_text(write_csv_text([f"c{i}" for i in range(10)], values))
        measured = _csv_read_in_child(root, "read_dataset", path)
        reference = _csv_read_in_child(root, "np.loadtxt", path)
        results["read_dataset_100k_rows"] = {
            "seconds": measured.get("seconds"),
            "np_loadtxt_seconds": reference.get("seconds"),
        }
        if "seconds" in measured and "seconds" in reference:
            print(
                f"csv: read_dataset, 100,000 rows x 10 columns: {measured['seconds']:.2f} s "
                f"({measured['seconds'] / reference['seconds']:.2f} x np.loadtxt)"
            )
    return results


# -- session: reading and writing session files (memory and speed) ------------------------------

SESSION_PEAK_TARGET = 5.0
"""Peak memory of opening or saving a session file, above the baseline, per byte of file."""

_SESSION_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
task, path = sys.argv[2], sys.argv[3]
import numpy as np
from bp_studio.io.session import load_session, save_session
from bp_studio.studio.studio import Studio


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def reset_peak():
    # Linux: memory freed so far goes back to the system (so it cannot hide what the task
    # takes), then the peak resident size becomes the current one (what is already held is
    # not counted); elsewhere tracemalloc counts from here.
    import ctypes, gc
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return status_kib("VmRSS"), "rss"
    except OSError:
        import tracemalloc
        tracemalloc.start()
        return 0, "tracemalloc"


def peak_kib(before, how):
    if how == "rss":
        return status_kib("VmHWM") - before
    import tracemalloc
    return tracemalloc.get_traced_memory()[1] // 1024


out = path + ".saved.bpsession"
if task == "load_session":
    prepare = lambda: None
    work = lambda _: load_session(path)
elif task == "Studio.open":
    prepare = lambda: None
    work = lambda _: Studio.open(path)
elif task == "save_session":  # everything the file holds is written again
    prepare = lambda: load_session(path)
    work = lambda session: save_session(out, session, max_snapshot_bytes=2**62)
else:  # Studio.save, with the studio's own snapshot budget
    prepare = lambda: Studio.open(path)
    work = lambda studio: studio.save(out)
estimate = None
if task == "load_session":  # what load_session expects to need, from the file's commas
    try:
        from bp_studio.io.session import reading_memory
    except ImportError:  # a checkout from before the estimate
        reading_memory = None
    if reading_memory is not None:
        commas = 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(2**24), b""):
                commas += block.count(b",")
        size = os.path.getsize(path)
        need, budget = reading_memory(size, size, commas)
        estimate = {"need_kib": need // 1024, "budget_kib": budget // 1024}
held = prepare()
before, how = reset_peak()
start = time.perf_counter()
try:
    work(held)
except Exception as exc:  # a refusal: its message, and what it cost
    print(json.dumps({"refused": str(exc), "seconds": time.perf_counter() - start,
                      "peak_kib": peak_kib(before, how), "how": how, "estimate": estimate}))
    sys.exit(0)
seconds = time.perf_counter() - start
written = os.path.getsize(out) if os.path.exists(out) else None
if os.path.exists(out):
    os.remove(out)
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib(before, how), "how": how,
                  "written_bytes": written, "estimate": estimate}))
"""

_SESSION_MAKER = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
kind, target, path = sys.argv[2], float(sys.argv[3]) * 2**20, sys.argv[4]
import numpy as np
from bp_studio.data.examples import Dataset
from bp_studio.data.source import DataSpec
from bp_studio.io.session import save_session
from bp_studio.studio.settings import HiddenLayer, Settings
from bp_studio.studio.studio import Studio

settings = Settings(
    hidden=(HiddenLayer(32, "tanh"),), output_activation="softmax", loss="cross_entropy",
    optimizer="adam", lr=0.001, batch_size=32, shuffle=True,
)
studio = Studio(settings, DataSpec("real", "digits"))
if kind == "small":  # a small network on a small generated set: many small snapshots
    small = Settings(
        hidden=(HiddenLayer(8, "tanh"),), optimizer="adam", lr=0.01, batch_size=10, shuffle=True
    )
    studio = Studio(small, DataSpec("generator", "moons", samples=200))
if kind == "rows":  # imported rows (digit-like: small whole numbers), kept in the file
    rng = np.random.default_rng(0)
    samples = max(1000, int(target / 1400))  # about half the file in the new layout
    X = rng.integers(0, 17, (samples, 64)).astype(np.float64)
    T = rng.integers(0, 10, (samples, 1)).astype(np.float64)
    names = tuple(f"pixel_{i}" for i in range(64))
    classes = tuple(str(i) for i in range(10))
    studio.use_rows(Dataset("rows", "rows", X, T, names, ("digit",), classes, "bench"))
history, trainer = studio.history, studio.trainer
history.max_bytes = 2**40  # keep every snapshot: the file's size is set by the step count


def size_after(steps):
    # The bench records a snapshot after every step, as stepping by hand does (run() records
    # once per chunk of steps); big-step runs between them make the loss arrays long.
    for _ in range(steps):
        trainer.run_steps(64 if kind == "rows" else 1)
        history.record(trainer)
    save_session(path, studio.capture_session(), max_snapshot_bytes=2**62)
    return os.path.getsize(path)


first = size_after(1)
second = size_after(10)
per_step = (second - first) / 10
steps = max(0, int((target - second) / per_step))
size = size_after(steps) if steps else second
print(json.dumps({"file_bytes": size, "snapshots": len(history), "steps": trainer.step_count}))
"""

_SESSION_TO_LISTS = r"""
import base64, json, sys
import numpy as np
source, target = sys.argv[1], sys.argv[2]


def lists(value):
    if isinstance(value, dict):
        if set(value) == {"dtype", "shape", "base64"}:
            raw = base64.b64decode(value["base64"])
            return np.frombuffer(raw, dtype=value["dtype"]).reshape(value["shape"]).tolist()
        return {key: lists(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lists(item) for item in value]
    return value


with open(source, encoding="utf-8") as handle:
    document = lists(json.load(handle))
with open(target, "w", encoding="utf-8") as handle:
    json.dump(document, handle, separators=(", ", ": "))
print(json.dumps({"converted": True}))
"""


def _run_child(code: str, *args: str) -> dict[str, object]:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=7200
    )
    if result.returncode < 0:  # the system's out-of-memory killer, typically
        return {"error": f"killed by signal {-result.returncode}"}
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


SESSION_TASKS = ("load_session", "Studio.open", "save_session", "Studio.save")


def bench_session(settings: Settings, root: Path = ROOT) -> dict[str, object]:
    """Peak memory (MiB per MiB of file) and speed (s per MiB) of opening and saving sessions.

    The sessions are 64-32-10 networks trained with Adam on digits with a snapshot after every
    step (``history``, about 20, 50 and 200 MiB, and one near the 512 MiB cap) or on imported
    digit-like rows kept in the file (``rows``). Each is written by ``root``'s code, then read
    (``load_session``, ``Studio.open``) and written again (``save_session`` of everything it
    holds, ``Studio.save`` with the studio's snapshot budget) in fresh child processes; a peak
    is the growth of the resident size over the task above what the process held before it
    (after the imports, and for a save after opening the file), per MiB of the file read (for
    a save: written). Files in the list layout of earlier versions (every number as JSON text)
    are made from the same sessions and read too (``legacy``): they open within the budget or
    are refused before parsing. ``root`` is the checkout measured (another one gives the
    figures before a change).
    """
    import tempfile

    if settings.quick:
        cases = [("history", 4), ("small", 4), ("rows", 4), ("history", 16)]
    else:
        cases = [
            ("history", 20),
            ("history", 50),
            ("small", 50),
            ("rows", 50),
            ("history", 200),
            ("history", 480),
        ]
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, megabytes in cases:
            path = Path(folder) / f"{kind}_{megabytes:g}MiB.bpsession"
            made = _run_child(_SESSION_MAKER, str(root), kind, str(megabytes), str(path))
            name = f"{kind}_{megabytes:g}MiB"
            if "error" in made:
                print(f"session: {name}: could not make it: {made['error']}")
                results[name] = made
                continue
            files = {"": path}
            compact = b'"base64"' in path.read_bytes()[: 2**20]
            if compact and megabytes <= 200:
                legacy = path.with_suffix(".lists.bpsession")
                converted = _run_child(_SESSION_TO_LISTS, str(path), str(legacy))
                if "error" not in converted:
                    files[" (legacy lists)"] = legacy
            for label, file in files.items():
                mib = file.stat().st_size / 2**20
                row: dict[str, object] = {"file_mib": mib, **made}
                for task in SESSION_TASKS:
                    if label and task in ("save_session", "Studio.save"):
                        continue
                    measured = _run_child(_SESSION_CHILD, str(root), task, str(file))
                    shown = f"session: {name}{label} ({mib:.1f} MiB), {task}"
                    if "error" in measured:
                        row[task] = measured
                        print(f"{shown}: {measured['error']}")
                        continue
                    written = measured.get("written_bytes")
                    saving = task in ("save_session", "Studio.save")
                    per = written / 2**20 if saving and written else mib
                    figures = {
                        "seconds": measured["seconds"],
                        "s_per_mib": measured["seconds"] / per,
                        "peak_mib": measured["peak_kib"] / 1024,
                        "peak_mib_per_mib": measured["peak_kib"] / 1024 / per,
                        "per_mib_of": "written" if saving else "read",
                        "target_peak_mib_per_mib": SESSION_PEAK_TARGET,
                    }
                    if "refused" in measured:
                        figures["refused"] = measured["refused"]
                    outcome = f", refused: {measured['refused']}" if "refused" in measured else ""
                    if measured.get("estimate"):  # load_session's own estimate, before parsing
                        need = measured["estimate"]["need_kib"] / 1024
                        figures["estimated_peak_mib_per_mib"] = need / mib
                        outcome += f" (estimated before parsing: {need / mib:.2f})"
                    row[task] = figures
                    print(
                        f"{shown}: {figures['s_per_mib']:.3f} s/MiB, peak "
                        f"{figures['peak_mib_per_mib']:.2f} MiB per MiB "
                        f"{figures['per_mib_of']} ({figures['peak_mib']:.0f} MiB; target <= "
                        f"{SESSION_PEAK_TARGET:g}){outcome}"
                    )
                results[name + ("_legacy" if label else "")] = row
                file.unlink()
    return results


# -- driver ----------------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[Settings], dict]] = {
    "engine": bench_engine,
    "gui": bench_gui,
    "data": bench_data,
    "history": bench_history,
    "csv": bench_csv,
    "session": bench_session,
}
"""Every section by name; each returns the dict stored under its name in the JSON file."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="BP Studio benchmarks.")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (few repeats)")
    parser.add_argument(
        "--json", default="bench.json", metavar="PATH", help="where to write the figures"
    )
    parser.add_argument(
        "--only", choices=sorted(SECTIONS), metavar="NAME", help=f"one of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--repeats", type=int, help="timings per subject (default 31, quick 3)")
    parser.add_argument(
        "--seconds", type=float, help="length of one timing (default 0.025, quick 0.005)"
    )
    parser.add_argument(
        "--epoch-repeats", type=int, help="mini-batch epochs timed per subject (default 5)"
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time the engine in CPU time of the process: time spent descheduled on a busy "
        "machine does not count (use with OPENBLAS_NUM_THREADS=1)",
    )
    args = parser.parse_args(argv)
    settings = Settings(
        quick=args.quick,
        repeats=max(1, args.repeats or (3 if args.quick else 31)),
        target_s=args.seconds or (0.005 if args.quick else 0.025),
        epoch_repeats=max(1, args.epoch_repeats or (2 if args.quick else 5)),
        cpu_time=args.cpu_time,
        mini_batch_rows=1_024 if args.quick else MINI_BATCH_ROWS,
    )
    names = [args.only] if args.only else list(SECTIONS)
    figures = {}
    for name in names:
        figures[name] = SECTIONS[name](settings)
        print()
    path = Path(args.json)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
