#!/usr/bin/env python
"""BP Studio benchmarks.

Run ``.venv/bin/python scripts/bench.py [--quick] [--json PATH] [--only NAME]``
(``--repeats N`` and ``--seconds S`` override how long it measures).

Sections (``SECTIONS``, name -> function taking ``Settings`` and returning a JSON-able dict):

- ``engine``: training steps per second of the fast path (``Trainer.run_steps``; full batch,
  sgd, no shuffle, no regularisation, so one step = one batch = the whole data) against a
  minimal hand-written numpy step and, when ``import torch`` works, a PyTorch CPU step, all
  measured in the same run, interleaved.

  ``slowdown = BP Studio time per step / minimal numpy time per step`` (target <= 1.3);
  ``speedup over torch = torch time per step / BP Studio time per step``.

The figures go to ``bench.json`` in the current directory (or ``--json PATH``) as
``{"engine": {"2-4-1": {"batch": 4, "bp_studio_steps_per_s": ..., ...}, ...}, ...}``.

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LR = 0.05
"""Learning rate of every subject: small enough that no network diverges while timed."""

SLOWDOWN_TARGET = 1.3
"""BP Studio's time per step may be at most this many times the minimal numpy step's."""

NOISY = 1.2
"""Best-timing and median ratios further apart than this factor mark a row as noisy."""


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``repeats`` timings per subject of about ``target_s`` seconds each."""

    quick: bool
    repeats: int
    target_s: float


# -- timing ----------------------------------------------------------------------------------

Runner = Callable[[int], object]
"""``run(count)`` does ``count`` training steps."""


def _time_once(run: Runner, count: int) -> float:
    start = time.perf_counter()
    run(count)
    return time.perf_counter() - start


def _calibrate(run: Runner, target_s: float) -> int:
    """A step count whose timing lasts at least ``target_s`` (``timeit.autorange`` style)."""
    count = 1
    while True:
        elapsed = _time_once(run, count)
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
        counts = {name: _calibrate(subjects[name], settings.target_s) for name in names}
        per_step: dict[str, list[float]] = {name: [] for name in names}
        for repeat in range(settings.repeats):
            order = names if repeat % 2 == 0 else names[::-1]
            for name in order:
                elapsed = _time_once(subjects[name], counts[name])
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


def engine_data(case: EngineCase) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(batch, inputs)`` and targets ``(batch, outputs)`` (one-hot for softmax)."""
    rng = np.random.default_rng(1)
    inputs, outputs, n = case.sizes[0], case.sizes[-1], case.batch
    if case.name == "2-4-1":
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
    (BP Studio does too). Calling it with ``count`` does ``count`` steps and returns the last
    step's loss.

    The sigmoid is the textbook ``1 / (1 + exp(-z))`` (BP Studio's is the overflow-free
    ``exp(-logaddexp(0, -z))``: the same function to rounding). Every intermediate is a fresh
    array, as in the obvious code; at 784-128-10 the fresh 800 KB gradient arrays cost page
    faults each step that BP Studio, writing gradients into one preallocated vector, avoids.
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
    ) -> None:
        self.Ws = [w.copy() for w in weights]
        self.bs = [b.copy() for b in biases]
        self.X, self.T, self.lr = X, T, lr
        self.sigmoid_hidden = hidden == "sigmoid"
        self.softmax = output == "softmax"

    def parameters(self) -> np.ndarray:
        """Every weight and bias, flat, in BP Studio's order."""
        return np.concatenate([p.ravel() for w, b in zip(self.Ws, self.bs) for p in (w, b)])

    def __call__(self, count: int) -> float:
        Ws, bs, X, T, lr = self.Ws, self.bs, self.X, self.T, self.lr
        sigmoid_hidden, softmax = self.sigmoid_hidden, self.softmax
        inv_n = 1.0 / X.shape[0]
        last = len(Ws) - 1
        loss = math.nan
        for _ in range(count):
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
            # 3. backward (batch-mean gradients) and 4. sgd, layer by layer from the output;
            # the next delta is taken from W before W is updated.
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
) -> Runner:
    """The PyTorch CPU step (float64): ``nn.Linear`` layers, the loss, ``backward``, SGD."""
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
    x = torch.from_numpy(np.ascontiguousarray(X))
    softmax = output == "softmax"
    target = torch.from_numpy(T.argmax(axis=1)) if softmax else torch.from_numpy(T)
    half_over_n = 0.5 / X.shape[0]
    functional = torch.nn.functional

    def run(count: int) -> float:
        loss_value = math.nan
        for _ in range(count):
            optimizer.zero_grad(set_to_none=True)
            a = x
            for linear in layers[:-1]:
                a = hidden_f(linear(a))
            z = layers[-1](a)
            if softmax:
                loss = functional.cross_entropy(z, target)
            else:
                loss = functional.mse_loss(torch.sigmoid(z), target, reduction="sum") * half_over_n
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


def _check_same(case: EngineCase, name: str, ours: float, theirs: float, tol: float) -> None:
    if not math.isclose(ours, theirs, rel_tol=tol, abs_tol=tol):
        raise AssertionError(
            f"{case.name}: BP Studio loss {ours!r} != {name} loss {theirs!r} on the same weights"
        )


def engine_case(case: EngineCase, settings: Settings, with_torch: bool) -> dict[str, object]:
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
    _check_same(case, "numpy", trainer.step_losses[-1], reference(1), 1e-12)
    drift = float(np.max(np.abs(network.parameters - reference.parameters())))
    if drift > 1e-12:
        raise AssertionError(f"{case.name}: weights differ by {drift} after one step")

    subjects: dict[str, Runner] = {"bp_studio": trainer.run_steps, "numpy": reference}
    if with_torch:
        subjects["torch"] = torch_reference(weights, biases, hidden, output, X, T, LR)
        _check_same(case, "torch", trainer.step_losses[0], subjects["torch"](1), 1e-12)

    times = measure(subjects, settings)
    if not math.isfinite(reference(1)):
        raise AssertionError(f"{case.name}: the numpy reference diverged while timed")
    best = {name: min(values) for name, values in times.items()}
    slowdown = best["bp_studio"] / best["numpy"]
    median = _paired_median_ratio(times["bp_studio"], times["numpy"])
    result: dict[str, object] = {
        "batch": case.batch,
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


def bench_engine(settings: Settings) -> dict[str, dict[str, object]]:
    """Steps per second of the fast path, BP Studio against minimal numpy (and torch)."""
    line, blas_threads = describe_environment()
    torch_note = _torch_threads(blas_threads)
    print(f"engine: {line}")
    print(f"        {torch_note or 'torch not installed'}")
    print(
        f"        float64, sgd lr {LR}, full batch; best of {settings.repeats} interleaved "
        f"timings of ~{settings.target_s:g} s each"
    )
    results = {}
    for case in ENGINE_CASES:
        results[case.name] = engine_case(case, settings, torch_note is not None)
    _print_engine_table(results)
    return results


def _print_engine_table(results: dict[str, dict[str, object]]) -> None:
    header = (
        f"{'network':<12} {'batch':>5} {'BP Studio/s':>12} {'numpy/s':>12} {'slowdown':>9} "
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
        if row["noisy"]:
            notes.append("noisy")
        line = (
            f"{name:<12} {row['batch']:>5} {row['bp_studio_steps_per_s']:>12,.0f} "
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


# -- driver ----------------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[Settings], dict]] = {
    "engine": bench_engine,
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
    args = parser.parse_args(argv)
    settings = Settings(
        quick=args.quick,
        repeats=max(1, args.repeats or (3 if args.quick else 31)),
        target_s=args.seconds or (0.005 if args.quick else 0.025),
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
