"""Render the studio window offscreen in each of the four phases, into PNG files.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

The worked example (2-2-2, every number published) in each phase; circles and spiral with
their decision boundaries; a 64-32-10 network on the handwritten digits in each phase. The
README shows these images.

Then the canvas and the data view alone, as they look in a 1280 x 720 window (``*_laptop``:
the canvas 860 x 480) and on a large screen (``*_large``: 1500 x 850): the worked example in
the error phase, 2-32-32-32-1 trained on the four-quadrant XOR, 64-32-10 on the digits
(forward, and with a hidden unit's weights shown as an image) and 4-8-3 on the iris flowers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def _offscreen_screen(width: int = 2560, height: int = 1440) -> str:
    """Qt's offscreen platform with one screen of this size (the window keeps itself inside
    the screen, so the default 800 x 600 one would shrink it)."""
    import json

    config = Path(tempfile.mkdtemp(prefix="bp-screen-")) / "screen.json"
    screen = {"name": "shots", "x": 0, "y": 0, "width": width, "height": height}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}))
    return f"offscreen:configfile={config}"


os.environ.setdefault("QT_QPA_PLATFORM", _offscreen_screen())

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bp_studio.data.source import DataSpec  # noqa: E402
from bp_studio.studio import HiddenLayer  # noqa: E402
from bp_studio.studio.breakpoints import KINDS  # noqa: E402
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


CANVAS_SIZES = {"laptop": (860, 480), "large": (1500, 850)}


def canvas_shot(
    app: QApplication,
    path: Path,
    moment,
    images=None,
    selection: Selection | None = None,
    hover: Selection | None = None,
) -> None:
    """The canvas alone, fitted, at both sizes (``path`` gets ``_laptop``/``_large``)."""
    from bp_studio.ui.canvas import NetworkCanvas

    for tag, size in CANVAS_SIZES.items():
        canvas = NetworkCanvas()
        canvas.resize(*size)
        canvas.show()
        canvas.set_moment(moment)
        canvas.set_node_images(images)
        canvas.set_selection(selection)
        if hover is not None:
            canvas.node_hovered.emit(hover)
            canvas._set_hover(hover)  # as the mouse over that node would
        canvas.fit()
        settle(app)
        canvas.grab().save(str(path.with_name(f"{path.stem}_{tag}.png")))
        print(path.with_name(f"{path.stem}_{tag}.png"))
        canvas.close()
        canvas.deleteLater()


def data_view_shot(app: QApplication, path: Path, train, test, network, loss: str):
    """The data view alone (520 x 440); returns it for the canvas's node pictures."""
    from bp_studio.ui.data_view import DataView

    view = DataView()
    view.resize(520, 440)
    view.show()
    view.set_data(train, test, (), loss)
    view.set_network(network)
    view.refresh()
    settle(app)
    view.grab().save(str(path))
    print(path)
    return view


def canvas_views(app: QApplication, out: Path) -> None:
    """The canvas and the data view for four networks, as a student meets them."""
    from dataclasses import replace

    from bp_studio.data.examples import EXAMPLES, WORKED_EXAMPLE_BIASES, WORKED_EXAMPLE_WEIGHTS
    from bp_studio.data.generators import generate
    from bp_studio.data.real import load_digits, load_iris
    from bp_studio.data.split import split
    from bp_studio.engine import Network, Trainer
    from bp_studio.engine.normalization import Normalization
    from bp_studio.studio.moment import moment_from_trainer
    from bp_studio.studio.notation import output_names

    def steps(count: int) -> int:
        return max(count // 20, 5) if QUICK else count

    data = EXAMPLES["worked_example"]
    net = Network(WORKED_EXAMPLE_WEIGHTS, WORKED_EXAMPLE_BIASES, ["sigmoid", "sigmoid"], "mse")
    net.input_names = data.input_names
    trainer = Trainer(net, data.X, data.T, lr=0.5)
    names = output_names(data, "mse")
    trainer.next_phase()
    trainer.next_phase()
    canvas_shot(app, out / "canvas_worked_error.png", moment_from_trainer(trainer, 0, True, names))

    data = generate("xor", 200, 0.1, 0)
    train, test = split(data, 0.2, 0)
    loss = "binary_cross_entropy"
    net = Network.create([2, 32, 32, 32, 1], ["tanh", "tanh", "tanh", "sigmoid"], loss, seed=0)
    net.input_names = data.input_names
    trainer = Trainer(net, train.X, train.T, lr=0.03, batch_size=32, optimizer="adam", seed=0)
    trainer.run_steps(steps(1500))
    view = data_view_shot(app, out / "dataview_xor.png", train, test, net, loss)
    images = view.neuron_images(net, size=32)
    trainer.next_phase()
    moment = moment_from_trainer(trainer, 0, True, output_names(data, loss))
    canvas_shot(app, out / "canvas_xor_2-32-32-32-1.png", moment, images)

    loss = "cross_entropy"
    for name, load, sizes, norm, hover in (
        ("digits", load_digits, [64, 32, 10], "minmax", Selection("node", 1, 5)),
        ("iris", load_iris, [4, 8, 3], "standardize", None),
    ):
        data = load()
        train, test = split(data, 0.2, 0)
        net = Network.create(sizes, ["tanh", "softmax"], loss, seed=0)
        net.normalization = Normalization.fit(norm, train.X)
        net.input_names = data.input_names
        trainer = Trainer(net, train.X, train.targets_for_loss(loss), lr=0.1, batch_size=32)
        trainer.run_steps(steps(400))
        data_view_shot(app, out / f"dataview_{name}.png", train, test, net, loss)
        trainer.next_phase()
        trainer.next_phase()
        moment = replace(moment_from_trainer(trainer, 3), output_names=output_names(data, loss))
        canvas_shot(app, out / f"canvas_{name}_error.png", moment)
        if hover is not None:
            canvas_shot(app, out / f"canvas_{name}_unit_weights.png", moment, hover=hover)


def laptop_windows(app: QApplication, out: Path) -> None:
    """The whole window at 1280 x 720, as a laptop or a projector shows it: as it opens, a
    2-32-32-32-1 trained on the four-quadrant XOR, 64-32-10 on the digits in the backward
    phase, 4-8-3 on the iris flowers in the update phase."""
    window = MainWindow()
    window.show()
    window.resize(1280, 720)
    settle(app)
    window._default_dock_sizes()
    shoot(window, app, out / "laptop_default.png")
    studio = window.studio
    choose(window, DataSpec("generator", "xor", samples=400, noise=0.1, test_ratio=0.2))
    studio.set(
        hidden=(HiddenLayer(32, "tanh"),) * 3,
        optimizer="adam",
        lr=0.01,
        batch_size=32,
        shuffle=True,
    )
    train(window, 3000)
    shoot(window, app, out / "laptop_deep_xor.png")
    choose(window, DataSpec("real", "digits", normalization="minmax", test_ratio=0.2))
    studio.set(hidden=(HiddenLayer(32, "tanh"),), lr=0.1, batch_size=32, optimizer="sgd")
    train(window, 200)
    for _ in range(3):
        window.next_phase()
    studio.select(Selection("node", 1, 3))
    shoot(window, app, out / "laptop_digits.png")
    choose(window, DataSpec("real", "iris", normalization="standardize", test_ratio=0.2))
    studio.set(hidden=(HiddenLayer(8, "tanh"),), lr=0.1, batch_size=16, shuffle=True)
    train(window, 300)
    studio.select(Selection("edge", 1, 0, 2))
    for _ in range(4):
        window.next_phase()
    shoot(window, app, out / "laptop_iris.png")
    window.files.confirm_discard = lambda: True
    window.close()


def diagnostics_windows(app: QApplication, out: Path) -> None:
    """Why is it (not) learning, in a 1600 x 1000 window and at 1280 x 720: the gradient flow
    of a deep sigmoid network, the distributions, saturated units badged on the network with
    the health tab, the gradient check on the edges, validation and compared runs on the loss
    plot, and a breakpoint that fired."""
    window = MainWindow()
    window.show()
    window.resize(1600, 1000)
    settle(app)
    window._default_dock_sizes()
    studio = window.studio
    choose(window, DataSpec("generator", "moons", samples=300, noise=0.2, validation_ratio=0.2))
    studio.set(hidden=(HiddenLayer(8, "sigmoid"),) * 4, lr=0.5, batch_size=32, shuffle=True)
    train(window, 1500)
    window.learning.show()
    window.resizeDocks([window.diagnostics_dock], [640], Qt.Orientation.Horizontal)
    shoot(window, app, out / "diagnostics_gradient_flow.png")
    window.learning.view.tabs.setCurrentIndex(1)
    window.learning.view.layer_choice.setCurrentIndex(0)
    shoot(window, app, out / "diagnostics_distributions.png")
    # Saturated: large initial weights in a sigmoid network.
    studio.set(hidden=(HiddenLayer(6, "sigmoid"),) * 2, lr=0.5)
    for index, layer in enumerate(studio.network.layers[:-1]):
        for unit in range(layer.units):
            for column in range(layer.inputs):
                studio.edit_weight(index, unit, column, 40.0 * layer.weight[unit, column])
    for _ in range(3):
        window.step_batch()
    window.learning.view.tabs.setCurrentIndex(2)
    shoot(window, app, out / "diagnostics_health_badges.png")
    window.learning.check_gradients()
    window.learning.wait()
    settle(app)
    shoot(window, app, out / "diagnostics_gradient_check.png")
    # Compare runs: the same network at two learning rates, with a validation curve.
    studio.set(hidden=(HiddenLayer(8, "tanh"),), lr=0.5, optimizer="sgd")
    train(window, 600)
    studio.set(lr=0.05)
    studio.reset()
    train(window, 600)
    while len(studio.runs) > 1:
        studio.delete_run(0)  # keep the one that differs only in its learning rate
    window.runs_dock.show()
    window.runs_dock.raise_()
    window.refresh()
    shoot(window, app, out / "diagnostics_compare_runs.png")
    # A breakpoint fires: the banner says which.
    studio.set(lr=0.5)
    studio.reset()
    window.breakpoints_section.set_expanded(True)
    panel = window.breakpoints_panel
    panel.kind.setCurrentIndex(list(KINDS).index("loss_below"))
    panel.value.setText("0.05")
    panel.add.click()
    panel.kind.setCurrentIndex(list(KINDS).index("epoch"))
    panel.value.setText("500")
    panel.add.click()
    studio.run(20_000)
    settle(app)
    window.refresh()
    shoot(window, app, out / "diagnostics_breakpoint.png")
    window.resize(1280, 720)
    settle(app)
    window._default_dock_sizes()
    window.learning.show()
    window.learning.view.tabs.setCurrentIndex(0)
    shoot(window, app, out / "laptop_diagnostics.png")
    window.files.confirm_discard = lambda: True
    window.close()


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
    canvas_views(app, out)
    laptop_windows(app, out)
    diagnostics_windows(app, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
