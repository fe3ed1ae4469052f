"""Smoke-run the project's scripts in subprocesses, as a user would run them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, tmp_path: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_bench_quick_engine_section(tmp_path):
    out = tmp_path / "bench.json"
    result = run(
        "scripts/bench.py", "--quick", "--only", "engine", "--json", str(out), tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())["engine"]
    assert set(figures["full_batch"]) == {"2-4-1", "2-16-16-1", "64-32-10", "784-128-10"}
    assert set(figures["mini_batch"]) == {
        "2-4-1 b4",
        "2-4-1 b1",
        "2-16-16-1 b64",
        "2-16-16-1 b1",
        "64-32-10 b128",
        "64-32-10 b1",
        "784-128-10 b128",
        "784-128-10 b1",
    }
    for table in figures.values():
        assert all(row["bp_studio_steps_per_s"] > 0 for row in table.values())


def test_screenshots_script_renders_every_phase(tmp_path):
    shots = str(tmp_path / "shots")
    result = run("scripts/screenshots.py", "--quick", "--out", shots, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "shots").glob("*.png")}
    for phase in ("forward", "error", "backward", "update"):
        assert f"small_{phase}.png" in names and f"large_{phase}.png" in names
    assert {"data_circles.png", "data_spiral.png", "data_digits.png"} <= names

