"""The data view draws the data and the network's exact outputs over it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPalette

from bp_studio.data.examples import Dataset
from bp_studio.data.features import apply_features
from bp_studio.data.generators import generate
from bp_studio.data.metrics import confusion_matrix
from bp_studio.data.split import split
from bp_studio.engine import Network, Trainer
from bp_studio.engine.normalization import Normalization
from bp_studio.studio.maps import diverging_rgb, lattice
from bp_studio.ui.data_view import (
    DRAW_TOOLTIP,
    MAP_STRENGTH,
    DataView,
    class_colours,
)


@pytest.fixture
def view(qtbot) -> DataView:
    widget = DataView()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    return widget


def circles() -> tuple[Dataset, Dataset]:
    return split(generate("circles", 200, 0.1, 0), 0.2, 0)


def net_2881(seed: int = 0) -> Network:
    return Network.create([2, 8, 8, 1], activations=["tanh", "tanh", "sigmoid"], seed=seed)


def show(qtbot, view: DataView) -> None:
    view.show()
    qtbot.waitExposed(view)
    view.plot.grab()  # lays out the plot so that data and pixels map as on screen


def viewport_point(view: DataView, x: float, y: float) -> QPoint:
    scene = view.view_box.mapViewToScene(QPointF(x, y))
    return view.plot.mapFromScene(scene)


def test_circles_map_is_the_networks_output(view):
    train, test = circles()
    network = net_2881()
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    assert view.mode == "plane"
    g = view.grid
    image = view.image_item.image
    assert image.shape == (g, g)
    expected = network.predict(view.grid_points)[:, 0]
    assert np.array_equal(image.reshape(-1), expected)
    for i, j in [(0, 0), (g - 1, 0), (0, g - 1), (37, 81), (g - 1, g - 1)]:
        assert tuple(view.grid_points[i * g + j]) == (view.grid_x[j], view.grid_y[i])
        assert image[i, j] == expected[i * g + j]
    # rows go up x2, columns along x1, and the map covers the data with a margin
    assert np.all(np.diff(view.grid_x) > 0) and np.all(np.diff(view.grid_y) > 0)
    x0, x1, y0, y1 = view.box
    everything = np.vstack([train.X, test.X])
    assert x0 < everything[:, 0].min() and x1 > everything[:, 0].max()
    assert y0 < everything[:, 1].min() and y1 > everything[:, 1].max()
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    assert rect.left() == pytest.approx(x0) and rect.right() == pytest.approx(x1)
    assert rect.top() == pytest.approx(y0) and rect.bottom() == pytest.approx(y1)


def test_refresh_follows_training(view):
    train, test = circles()
    network = net_2881()
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    before = view.image_item.image.copy()
    Trainer(network, train.X, train.T, lr=0.5).run_steps(1)
    view.refresh()
    after = view.image_item.image
    assert not np.array_equal(before, after)
    assert np.array_equal(after.reshape(-1), network.predict(view.grid_points)[:, 0])


def test_neuron_maps_and_images(view):
    train, test = circles()
    network = net_2881()
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    g = view.grid
    maps = view.neuron_maps(network)
    assert [m.shape for m in maps] == [(8, g, g), (8, g, g)]
    record = network.forward(view.grid_points)
    for index, layer_map in enumerate(maps):
        a = record.layers[index].a
        assert np.array_equal(layer_map[3], a[:, 3].reshape(g, g))
        assert np.array_equal(layer_map.reshape(8, -1), a.T)
    # after training the cached pass is stale: the maps follow the new weights
    Trainer(network, train.X, train.T, lr=0.5).run_steps(1)
    fresh = view.neuron_maps(network)
    assert np.array_equal(
        fresh[1][5], network.forward(view.grid_points).layers[1].a[:, 5].reshape(g, g)
    )
    images = view.neuron_images(network, size=16)
    expected = [(layer, unit) for layer in (1, 2) for unit in range(8)] + [(3, 0)]
    assert sorted(images) == expected  # the output node gets its picture too
    for image in images.values():
        assert (image.width(), image.height()) == (16, 16)
    # a neuron that is strongly positive at the top of the plane is blue there
    unit_map = fresh[0][0]
    top_high = unit_map[-1].mean() > 0
    colour = images[(1, 0)].pixelColor(8, 0)
    assert (colour.blue() > colour.red()) == top_high
    # one scale with the canvas's node colours: white at 0, full blue at 1 (sigmoid output)
    small = lattice(view.box, 16)
    output = network.predict(small)[:, 0].reshape(16, 16)[::-1]  # row 0 is the top
    top_left = images[(3, 0)].pixelColor(0, 0)
    expected_rgb = diverging_rgb(np.array([output[0, 0]]))[0]
    assert (top_left.red(), top_left.green(), top_left.blue()) == tuple(expected_rgb)
    assert top_left.blue() >= top_left.red()  # a sigmoid is never below 0: never orange


def test_show_neuron_and_back(view):
    train, test = circles()
    network = net_2881()
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    g = view.grid
    view.show_neuron(2, 4)
    assert view.shown_neuron == (2, 4)
    assert view.title.text() == "Hidden node 5 of layer 2 (tanh)"
    expected = network.forward(view.grid_points).layers[1].a[:, 4].reshape(g, g)
    assert np.array_equal(view.image_item.image, expected)
    # the canvas's value scale: tanh from -1 (orange) through 0 (white) to 1 (blue)
    assert tuple(view.image_item.levels) == (-1.0, 1.0)
    assert view.bar_low.text() == "activation: -1" and view.bar_high.text() == "1"
    view.refresh()  # stays on the neuron while training
    assert np.array_equal(view.image_item.image, expected)
    view.show_output()
    assert view.shown_neuron is None
    assert np.array_equal(view.image_item.image.reshape(-1), view.output_grid[:, 0])
    view.show_neuron(3, 0)  # the output layer is not a hidden neuron
    assert view.shown_neuron is None


def test_training_points_filled_test_points_hollow(view):
    train, test = circles()
    view.set_data(train, test)
    view.set_network(net_2881())
    view.refresh()
    colours = class_colours(2)
    for spot, label in zip(view.train_scatter.points(), train.T[:, 0].astype(int)):
        assert spot.brush().style() == Qt.BrushStyle.SolidPattern
        assert spot.brush().color().name() == QColor(colours[label]).name()
    assert len(view.test_scatter.points()) == test.samples
    for spot, label in zip(view.test_scatter.points(), test.T[:, 0].astype(int)):
        assert spot.brush().style() == Qt.BrushStyle.NoBrush
        assert spot.pen().color().name() == QColor(colours[label]).name()
    x, y = view.train_scatter.getData()
    assert np.array_equal(x, train.X[:, 0]) and np.array_equal(y, train.X[:, 1])
    for name in train.classes:
        assert name in view.legend.text()


def test_accuracy_text(view):
    train, test = circles()
    network = net_2881()
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    text = view.score.text()
    share = np.mean((network.predict(train.X)[:, 0] >= 0.5) == train.T[:, 0])
    assert f"train accuracy {100 * share:.1f}%" in text
    assert "test accuracy" in text and " · " in text


def test_three_gaussian_classes_colour_the_winner(view):
    train, test = split(generate("gaussian", 150, 0.1, 0, classes=3), 0.2, 0)
    network = Network.create(
        [2, 6, 3], activations=["tanh", "softmax"], loss="cross_entropy", seed=1
    )
    Trainer(network, train.X, train.T, lr=0.5).run_steps(30)
    view.set_data(train, test, loss="cross_entropy")
    view.set_network(network)
    view.refresh()
    g = view.grid
    outputs = network.predict(view.grid_points)
    winner = np.argmax(outputs, axis=1)
    assert np.array_equal(view.class_map.reshape(-1), winner)
    assert len(np.unique(winner)) == 3
    image = view.image_item.image
    assert image.shape == (g, g, 3) and image.dtype == np.uint8
    palette = class_colours(3)
    for i, j in [(0, 0), (50, 50), (g - 1, 10), (20, g - 1)]:
        k = i * g + j
        c = winner[k]
        share = np.clip((outputs[k, c] - 1 / 3) / (2 / 3), 0, 1)
        colour = QColor(palette[c])
        target = np.array([colour.red(), colour.green(), colour.blue()], dtype=float)
        expected = np.rint(255 + MAP_STRENGTH * share * (target - 255))
        assert np.array_equal(image[i, j], expected.astype(np.uint8))
    assert "train accuracy" in view.score.text()


def test_sine_curve_is_the_prediction(view):
    train, test = split(generate("sine", 120, 0.1, 0), 0.2, 0)
    network = Network.create([1, 6, 1], activations=["tanh", "linear"], seed=0)
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    assert view.mode == "curve"
    x, y = view.curve.getData()
    assert np.array_equal(y, network.predict(x.reshape(-1, 1))[:, 0])
    assert x.min() < train.X.min() and x.max() > train.X.max()
    tx, ty = view.train_scatter.getData()
    assert np.array_equal(tx, train.X[:, 0]) and np.array_equal(ty, train.T[:, 0])
    assert view.test_scatter.points()[0].brush().style() == Qt.BrushStyle.NoBrush
    assert "train mean squared error" in view.score.text()
    error = np.mean((network.predict(train.X) - train.T) ** 2)
    assert f"{error:.4g}" in view.score.text()
    assert not view.draw_button.isEnabled()
    assert "regression" in view.draw_button.toolTip()


def digits_like(samples: int = 300, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=samples)
    centres = rng.uniform(0, 16, size=(10, 64))
    X = centres[labels] + rng.normal(0, 6, size=(samples, 64))
    return Dataset(
        "digits_like", "digits-like", X, labels.reshape(-1, 1).astype(float),
        tuple(f"pixel_{i}" for i in range(64)), ("digit",),
        classes=tuple(str(d) for d in range(10)),
    )  # fmt: skip


def test_many_inputs_show_the_confusion_matrix(view):
    train, test = split(digits_like(), 0.2, 0)
    network = Network.create(
        [64, 12, 10], activations=["tanh", "softmax"], loss="cross_entropy", seed=0
    )
    network.normalization = Normalization.fit("standardize", train.X)
    Trainer(network, train.X, train.T, lr=0.2).run_steps(20)
    view.set_data(train, test, loss="cross_entropy")
    view.set_network(network)
    view.refresh()
    assert view.mode == "matrix"
    assert view.stack.currentWidget() is view.matrix_widget
    expected = confusion_matrix(
        network.predict(train.X), train.targets_for_loss("cross_entropy"), 10
    )
    assert np.array_equal(view.train_matrix, expected)
    assert np.array_equal(view.matrix_widget.matrix, expected)
    assert view.matrix_widget.names == train.classes
    share = np.trace(expected) / expected.sum()
    assert f"accuracy {100 * share:.1f}%" in view.matrix_widget.title
    expected_test = confusion_matrix(network.predict(test.X), test.T, 10)
    assert np.array_equal(view.test_matrix, expected_test)
    assert not view.matrix_chooser.isHidden()
    view.matrix_chooser.setCurrentIndex(1)
    assert np.array_equal(view.matrix_widget.matrix, expected_test)
    assert view.matrix_widget.title.startswith("Test set")
    assert view.neuron_maps(network) == [] and view.neuron_images(network) == {}
    view.matrix_widget.grab()  # paints without trouble


def test_many_input_regression_scatter(view):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    data = Dataset("r3", "r3", X, X @ np.array([[1.0], [-2.0], [0.5]]), ("a", "b", "c"), ("y",))
    network = Network.create([3, 4, 1], activations=["tanh", "linear"], seed=0)
    view.set_data(data, None)
    view.set_network(network)
    view.refresh()
    assert view.mode == "scatter"
    x, y = view.train_scatter.getData()
    assert np.array_equal(x, data.T[:, 0])
    assert np.array_equal(y, network.predict(X)[:, 0])
    assert view.identity_line.isVisible() and view.identity_line.angle == 45


def test_drawing_adds_and_removes_points(qtbot, view):
    train, test = circles()
    view.set_data(train, test)
    view.set_network(net_2881())
    view.refresh()
    show(qtbot, view)
    assert view.draw_button.isEnabled() and view.draw_button.toolTip() == DRAW_TOOLTIP
    assert [view.class_chooser.itemText(i) for i in range(2)] == list(train.classes)
    view.class_chooser.setCurrentIndex(1)
    view.draw_button.setChecked(True)

    with qtbot.waitSignal(view.points_edited) as blocker:
        qtbot.mouseClick(
            view.plot.viewport(), Qt.MouseButton.LeftButton, pos=viewport_point(view, 0.3, -0.2)
        )
    added = blocker.args[0]
    assert added.samples == train.samples + 1
    assert added.T[-1, 0] == 1.0
    assert added.X[-1] == pytest.approx([0.3, -0.2], abs=0.03)
    assert np.array_equal(added.X[:-1], train.X) and np.array_equal(added.T[:-1], train.T)
    assert added.classes == train.classes and added.input_names == train.input_names
    assert view.train is added and len(view.train_scatter.data) == added.samples

    target = added.X[5]
    with qtbot.waitSignal(view.points_edited) as blocker:
        qtbot.mouseClick(
            view.plot.viewport(),
            Qt.MouseButton.RightButton,
            pos=viewport_point(view, target[0] + 0.005, target[1]),
        )
    removed = blocker.args[0]
    assert removed.samples == added.samples - 1
    assert np.array_equal(removed.X, np.delete(added.X, 5, axis=0))
    assert np.array_equal(removed.T, np.delete(added.T, 5, axis=0))

    # the caller hands the edited set back: the map keeps its box
    box = view.box
    view.set_data(removed, test)
    assert view.box == box


def test_right_click_far_from_points_removes_nothing(qtbot, view):
    train = Dataset(
        "two", "two", np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[0.0], [1.0]]),
        ("x1", "x2"), ("class",), classes=("a", "b"),
    )  # fmt: skip
    view.set_data(train, None)
    show(qtbot, view)
    view.draw_button.setChecked(True)
    with qtbot.assertNotEmitted(view.points_edited):
        assert not view.remove_point_near(0.5, 0.5)
    assert view.remove_point_near(0.99, 1.0)


def test_clicks_do_nothing_when_not_drawing(qtbot, view):
    train, test = circles()
    view.set_data(train, test)
    show(qtbot, view)
    with qtbot.assertNotEmitted(view.points_edited):
        qtbot.mouseClick(
            view.plot.viewport(), Qt.MouseButton.LeftButton, pos=viewport_point(view, 0.0, 0.0)
        )


def test_features_map_the_grid_before_predicting(view):
    train, test = circles()
    features = ("x1^2", "x2^2")
    network = Network.create([2, 3, 1], activations=["tanh", "sigmoid"], seed=2)
    network.normalization = Normalization.fit("standardize", apply_features(train.X, features))
    view.set_data(train, test, features=features)
    view.set_network(network)
    view.refresh()
    assert view.mode == "plane" and view.box is not None
    expected = network.predict(apply_features(view.grid_points, features))[:, 0]
    assert np.array_equal(view.image_item.image.reshape(-1), expected)
    assert np.array_equal(view.grid_features, apply_features(view.grid_points, features))
    x, _ = view.train_scatter.getData()
    assert np.array_equal(x, train.X[:, 0])  # the raw points are drawn
    share = np.mean(
        (network.predict(apply_features(train.X, features))[:, 0] >= 0.5) == train.T[:, 0]
    )
    assert f"train accuracy {100 * share:.1f}%" in view.score.text()
    maps = view.neuron_maps(network)
    assert [m.shape for m in maps] == [(3, view.grid, view.grid)]


def test_plane_regression(view):
    train, test = split(generate("plane", 150, 0.1, 0), 0.2, 0)
    network = Network.create([2, 4, 1], activations=["tanh", "linear"], seed=0)
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    assert view.mode == "plane"
    assert np.array_equal(
        view.image_item.image.reshape(-1), network.predict(view.grid_points)[:, 0]
    )
    assert not view.draw_button.isEnabled()
    assert "regression" in view.draw_button.toolTip()
    assert view.colour_bar.isVisibleTo(view) and "predicted y" in view.bar_low.text()
    assert "mean squared error" in view.score.text()
    assert view.add_point(0.0, 0.0, 0) is False


def test_no_network_shows_the_data_alone(view):
    train, test = circles()
    view.set_data(train, test)
    assert not view.image_item.isVisible()
    assert len(view.train_scatter.data) == train.samples
    assert "No network" in view.score.text()
    view.set_network(Network.create([3, 2, 1], seed=0))  # does not fit the data
    view.refresh()
    assert not view.image_item.isVisible()
    assert "3 input" in view.score.text()
    assert view.neuron_maps(view.network) == []
    view.set_network(None)
    view.refresh()
    assert "No network" in view.score.text()


def test_follows_a_dark_palette(view):
    train, test = circles()
    view.set_data(train, test)
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#2b2c2f"))
    view.setPalette(palette)
    axis = view.plot_item.getAxis("bottom")
    assert axis.textPen().color().name() == "#e8eaed"
    view.grab()


def test_maps_of_an_earlier_refresh_stay_valid(view):
    """Reused buffers never leak into returned maps (a linear layer returns its z buffer)."""
    train, test = circles()
    network = Network.create([2, 4, 3, 1], activations=["linear", "relu", "sigmoid"], seed=3)
    view.set_data(train, test)
    view.set_network(network)
    view.refresh()
    first = [m.copy() for m in view.neuron_maps(network)]
    kept = view.neuron_maps(network)
    assert not kept[0].flags.writeable
    network.parameters[:] *= 0.5
    view.refresh()
    assert all(np.array_equal(a, b) for a, b in zip(first, kept))
    g = view.grid
    record = network.forward(view.grid_points)
    now = view.neuron_maps(network)
    assert np.array_equal(now[0].reshape(4, -1), record.layers[0].a.T)
    assert np.array_equal(now[1].reshape(3, -1), record.layers[1].a.T)
    assert np.array_equal(view.image_item.image, record.layers[2].a[:, 0].reshape(g, g))


def test_two_d_classes_can_show_the_confusion_matrix(qtbot):
    from bp_studio.data.generators import generate
    from bp_studio.data.metrics import confusion_matrix
    from bp_studio.engine import Network

    view = DataView()
    qtbot.addWidget(view)
    data = generate("gaussian", 90, 0.2, 1, classes=3)
    network = Network.create([2, 5, 3], ["tanh", "softmax"], "cross_entropy", seed=2)
    view.set_data(data, None, (), "cross_entropy")
    view.set_network(network)
    view.refresh()
    assert view.mode == "plane" and not view.matrix_toggle.isHidden()
    view.matrix_toggle.setChecked(True)
    assert view.mode == "matrix"
    expected = confusion_matrix(network.predict(data.X), data.targets_for_loss("cross_entropy"), 3)
    assert np.array_equal(view.train_matrix, expected)
    view.matrix_toggle.setChecked(False)
    assert view.mode == "plane"


def test_axes_print_ordinary_values_as_they_are(qtbot, view):
    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 0.9, size=(40, 2))
    data = Dataset("d", "small values", X, (X[:, :1] > 0.5).astype(float), ("x1", "x2"),
                   ("y",), classes=("no", "yes"))  # fmt: skip
    view.set_data(data)
    show(qtbot, view)
    for name in ("bottom", "left"):
        axis = view.plot_item.getAxis(name)
        assert axis.scale == 1.0 and "x0.001" not in axis.labelString()
        low, high = view.view_box.viewRange()[0 if name == "bottom" else 1]
        ticks = [value for _, values in axis.tickValues(low, high, 300) for value in values]
        strings = axis.tickStrings(sorted(ticks)[:2], axis.scale, 0.1)
        assert all(0.0 <= float(text) <= 1.0 for text in strings)


def test_the_confusion_matrix_columns_name_each_class_within_its_cell(qtbot):
    from bp_studio.ui.data_view import ConfusionMatrixWidget

    widget = ConfusionMatrixWidget()
    qtbot.addWidget(widget)
    names = ("setosa", "versicolor", "virginica")
    metrics = widget.fontMetrics()
    cell = metrics.horizontalAdvance("versicolor") - 10  # a laptop-sized matrix
    shown = widget.column_names(names, cell)
    assert all(metrics.horizontalAdvance(text) <= cell - 4 for text in shown)
    assert shown[0] == "setosa" or shown[0].endswith("…")
    assert shown[1].endswith("…") and "versicolor".startswith(shown[1][:-1])
    assert widget.column_names(names, 400) == list(names)  # room enough: in full
