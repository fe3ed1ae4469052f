"""Smoke-run the project's scripts in subprocesses, as a user would run them."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
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


# -- scripts/_bootstrap.sh: install once per pyproject.toml -----------------------------------


def _fake_checkout(tmp_path: Path) -> Path:
    """``scripts/_bootstrap.sh`` and ``pyproject.toml`` in a folder whose ``.venv`` exists and
    whose ``python`` writes every ``-m pip`` command to ``pip.log`` instead of running it."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "_bootstrap.sh", root / "scripts")
    shutil.copy(ROOT / "pyproject.toml", root)
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then\n'
        f'    shift 2; echo "$*" >> "{root / "pip.log"}"; exit 0\n'
        "fi\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    python.chmod(0o755)
    return root


def _bootstrap(root: Path, extra: str) -> list[str]:
    """Run ``bootstrap EXTRA`` as scripts/run ("") and scripts/test ("test") do; return the
    pip commands it ran."""
    log = root / "pip.log"
    before = log.read_text().splitlines() if log.exists() else []
    result = subprocess.run(
        ["bash", "-c", f'source scripts/_bootstrap.sh && bootstrap "{extra}"'],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    after = log.read_text().splitlines() if log.exists() else []
    return after[len(before) :]


PIP = "install --quiet --disable-pip-version-check"


def _test_requirements() -> str:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return " ".join(tomllib.load(file)["project"]["optional-dependencies"]["test"])


def test_run_after_test_installs_nothing(tmp_path):
    root = _fake_checkout(tmp_path)
    assert _bootstrap(root, "test") == [f"{PIP} -e {root}[test]"]
    assert _bootstrap(root, "") == []
    assert _bootstrap(root, "test") == []


def test_test_after_run_adds_only_the_test_packages(tmp_path):
    root = _fake_checkout(tmp_path)
    assert _bootstrap(root, "") == [f"{PIP} -e {root}"]
    assert _bootstrap(root, "test") == [f"{PIP} {_test_requirements()}"]
    assert _bootstrap(root, "") == []
    assert _bootstrap(root, "test") == []


def test_a_changed_pyproject_is_installed_again_once(tmp_path):
    root = _fake_checkout(tmp_path)
    _bootstrap(root, "test")
    with open(root / "pyproject.toml", "a") as file:
        file.write("\n# a change\n")
    assert _bootstrap(root, "") == [f"{PIP} -e {root}"]
    assert _bootstrap(root, "test") == [f"{PIP} {_test_requirements()}"]
    with open(root / "pyproject.toml", "a") as file:
        file.write("\n# another change\n")
    assert _bootstrap(root, "test") == [f"{PIP} -e {root}[test]"]
    assert _bootstrap(root, "") == []
