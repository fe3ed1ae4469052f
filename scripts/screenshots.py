"""Render the studio window offscreen in each of the four phases, into PNG files.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Two networks: the worked example (2-2-2, every number published) and a 64-32-10 network on
synthetic 64-feature, 10-class data. The README shows these images.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bp_studio.data.examples import Dataset  # noqa: E402
from bp_studio.ui.main_window import MainWindow  # noqa: E402
from bp_studio.ui.settings_panel import HiddenLayer, Settings  # noqa: E402
from bp_studio.ui.state import Selection  # noqa: E402


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def shoot(window: MainWindow, app: QApplication, path: Path) -> None:
    settle(app)
    window.grab().save(str(path))
    print(path)


def small_network(window: MainWindow, app: QApplication, out: Path) -> None:
    window.use_example("worked_example")
    window.canvas.fit()
    selections = {
        "forward": Selection("node", 1, 0),
        "error": Selection("node", 2, 0),
        "backward": Selection("node", 1, 0),
        "update": Selection("edge", 1, 0, 0),
    }
    for name, selection in selections.items():
        window.next_phase()
        window.selection = selection
        window.refresh()
        shoot(window, app, out / f"small_{name}.png")


def large_network(window: MainWindow, app: QApplication, out: Path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=256)
    centres = rng.normal(size=(10, 64))
    X = centres[labels] + 0.5 * rng.normal(size=(256, 64))
    window.dataset = Dataset(
        "synthetic",
        "Synthetic 64-feature, 10-class data",
        X,
        labels.reshape(-1, 1).astype(float),
        tuple(f"x{i + 1}" for i in range(64)),
        ("class",),
        classes=tuple(str(k) for k in range(10)),
    )
    window.settings_value = Settings(
        hidden=(HiddenLayer(32, "tanh"),),
        output_activation="softmax",
        loss="cross_entropy",
        lr=0.1,
        batch_size=32,
    )
    window.settings_panel.set_settings(window.settings_value)
    window._rebuild_from_settings()
    window.trainer.run_steps(40)
    for name in ("forward", "error", "backward", "update"):
        window.next_phase()
        window.selection = Selection("node", 2, 3) if name != "update" else None
        window.refresh()
        shoot(window, app, out / f"large_{name}.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1500, 940)
    window.show()
    settle(app)
    small_network(window, app, out)
    large_network(window, app, out)
    window.dirty = False
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
