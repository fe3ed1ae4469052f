"""Render the studio window offscreen in each of the four phases, into PNG files.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

The worked example (2-2-2, every number published) in each phase; circles and spiral with
their decision boundaries; a 64-32-10 network on the handwritten digits in each phase. The
README shows these images.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bp_studio.data.source import DataSpec  # noqa: E402
from bp_studio.studio import HiddenLayer  # noqa: E402
from bp_studio.studio.moment import Selection  # noqa: E402
from bp_studio.ui.main_window import MainWindow  # noqa: E402


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
        window.studio.select(selection)
        shoot(window, app, out / f"small_{name}.png")


def large_network(window: MainWindow, app: QApplication, out: Path) -> None:
    """64-32-10 on the handwritten digits, a few dozen mini-batch steps in."""
    choose(window, DataSpec("real", "digits", normalization="minmax", test_ratio=0.2))
    window.studio.set(
        hidden=(HiddenLayer(32, "tanh"),),
        output_activation="softmax",
        loss="cross_entropy",
        lr=0.1,
        batch_size=32,
    )
    window.studio.run(40)
    for name in ("forward", "error", "backward", "update"):
        window.next_phase()
        window.studio.select(Selection("node", 2, 3) if name != "update" else None)
        shoot(window, app, out / f"large_{name}.png")
    train(window, 400)
    shoot(window, app, out / "data_digits.png")


def data_sets(window: MainWindow, app: QApplication, out: Path) -> None:
    """Circles and spiral, trained until the decision boundary shows."""
    for name, hidden, steps in (
        ("circles", (HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")), 600),
        ("spiral", (HiddenLayer(16, "tanh"), HiddenLayer(16, "tanh")), 3000),
    ):
        choose(window, DataSpec("generator", name, samples=300, noise=0.1, test_ratio=0.2))
        window.studio.set(
            hidden=hidden,
            output_activation="sigmoid",
            loss="binary_cross_entropy",
            optimizer="adam",
            lr=0.03,
            batch_size=32,
            shuffle=True,
        )
        train(window, steps)
        shoot(window, app, out / f"data_{name}.png")


QUICK = False


def train(window: MainWindow, steps: int, pieces: int = 40) -> None:
    """Train as Play would: in pieces, each measuring the test loss at its end."""
    if QUICK:
        steps, pieces = max(steps // 20, 4), 4
    for _ in range(pieces):
        window.studio.run(steps // pieces)


def choose(window: MainWindow, spec: DataSpec) -> None:
    window.data_settings.set_spec(spec)
    window.data_settings.spec_changed.emit(spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    parser.add_argument(
        "--quick", action="store_true", help="train far less (a smoke run; the pictures are poorer)"
    )
    args = parser.parse_args()
    global QUICK
    QUICK = args.quick
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # A fresh layout, not the one remembered from the user's last session.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="bp-shots-")
    )
    window = MainWindow()
    window.resize(1500, 940)
    window.show()
    settle(app)
    small_network(window, app, out)
    data_sets(window, app, out)
    large_network(window, app, out)
    window.files.confirm_discard = lambda: True  # a screenshot run keeps nothing
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
