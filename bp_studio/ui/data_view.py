"""The data view: the data set and what the network makes of it, chosen by the data's shape.

- Raw 2-D inputs (``x1``, ``x2``; also when the network takes derived features of them): a map
  of the network's output over the input plane, on a ``grid x grid`` lattice covering the
  data's bounding box plus a margin, with the data on top (training points filled, test points
  hollow). Two classes: ``P(class 1)`` on a diverging orange/blue scale, white at 0.5. More
  classes: the winning class's colour, lighter where the network is less sure. Regression: the
  predicted value on a diverging scale with a colour bar. Any hidden neuron's activation can be
  shown in the same place (``show_neuron``), for example while the canvas hovers over a node.
- One input and one regression target (``sine``): the prediction curve over the data points.
- More inputs: regression shows predicted against target with the line ``y = x``;
  classification shows the confusion matrix (rows true class, columns predicted class) of the
  training set or the test set.

Map pixel ``image[i, j]`` (row-major) is the network's output at the raw point
``(grid_x[j], grid_y[i])``, which is row ``i * grid + j`` of ``grid_points``; rows go up the
``x2`` axis. The grid and the maps are computed Qt-free by ``bp_studio.studio.maps.PlaneGrid``
(one forward pass over the grid gives the output map and every hidden neuron's map); a hidden
neuron is drawn on the canvas's value scale (white at 0, full colour at the activation's bound).

On 2-D classification data the user can draw points: with "Draw points" on, a left click adds a
training point of the chosen class and a right click removes the nearest training point; the
view then emits ``points_edited`` with the new raw training ``Dataset``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio.data.examples import Dataset
from bp_studio.data.features import apply_features
from bp_studio.data.metrics import accuracy, confusion_matrix
from bp_studio.engine.network import Network
from bp_studio.studio.maps import (
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    PlaneGrid,
    class_rgb,
    diverging_lut,
    rgb,
    value_scale,
)
from bp_studio.studio.notation import capitalised, node_name

__all__ = [
    "CLASS_PALETTE",
    "DRAW_TOOLTIP",
    "MAP_STRENGTH",
    "NEGATIVE_COLOR",
    "POSITIVE_COLOR",
    "ConfusionMatrixWidget",
    "DataView",
    "class_colours",
]

CLASS_PALETTE = (
    "#e69f00",  # orange
    "#56b4e9",  # sky blue
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#0072b2",  # blue
    "#d55e00",  # vermillion
    "#f0e442",  # yellow
    "#000000",  # black
    "#999999",  # grey
    "#882255",  # wine
)
"""Class colours for more than two classes: Okabe-Ito (colour-blind safe), then grey and wine."""
MAP_STRENGTH = 0.6
"""How far the map's colours go from white towards the full colour (the data stays readable)."""
DRAW_TOOLTIP = "Click to add a point of the chosen class; right-click to remove the nearest point"
REMOVE_RADIUS = 12.0
"""A right click removes the nearest training point within this many pixels."""
CURVE_POINTS = 400
OUTLINE = "#1a1a1a"


def class_colours(classes: int) -> tuple[str, ...]:
    """Colours of ``classes`` classes: orange and blue for two, else ``CLASS_PALETTE``."""
    if classes == 2:
        return (NEGATIVE_COLOR, POSITIVE_COLOR)
    return tuple(CLASS_PALETTE[c % len(CLASS_PALETTE)] for c in range(classes))


def _gradient_pixmap(lut: np.ndarray, width: int = 110, height: int = 12) -> QPixmap:
    positions = np.linspace(0, len(lut) - 1, width).round().astype(np.int64)
    row = np.ascontiguousarray(lut[positions])
    data = np.ascontiguousarray(np.repeat(row[None, :, :], height, axis=0)).tobytes()
    image = QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image)


def _fitting_font(font: QFont, text: str, cell: int) -> QFont:
    """``font``, smaller if needed (down to 5 pt) so that ``text`` fits in a ``cell`` square."""
    fitted = QFont(font)
    size = fitted.pointSizeF() if fitted.pointSizeF() > 0 else 9.0
    while True:
        fitted.setPointSizeF(size)
        metrics = QFontMetricsF(fitted)
        fits = metrics.horizontalAdvance(text) <= cell - 4 and metrics.height() <= cell - 2
        if fits or size <= 5.0:
            return fitted
        size -= 0.5


def _format(value: float) -> str:
    return f"{value:.3g}"


class DataView(QWidget):
    """The data and the network's view of it; see the module docstring."""

    points_edited = Signal(object)
    """The new raw training ``Dataset`` after a point was drawn or removed."""

    def __init__(self, parent: QWidget | None = None, grid: int = 100) -> None:
        super().__init__(parent)
        self.plane = PlaneGrid(grid)
        """The map's grid and the network's values on it (Qt-free)."""
        self.grid = self.plane.grid
        self._train: Dataset | None = None
        self._test: Dataset | None = None
        self._features: tuple[str, ...] = ()
        self._loss = "mse"
        self._network: Network | None = None
        self.mode = "empty"
        """``empty``, ``plane`` (2-D map), ``curve`` (1-D), ``scatter`` or ``matrix``."""
        self.curve_x = np.zeros((0, 1))
        self._train_inputs = np.zeros((0, 0))
        self._test_inputs: np.ndarray | None = None
        self._hidden: list[np.ndarray] = []
        self._shown_neuron: tuple[int, int] | None = None
        self.output_grid: np.ndarray | None = None
        """The network's outputs at ``grid_points`` ``(grid * grid, outputs)`` (last refresh)."""
        self.class_map: np.ndarray | None = None
        """Winning class at each pixel ``(grid, grid)`` (more than two classes)."""
        self.train_outputs: np.ndarray | None = None
        self.test_outputs: np.ndarray | None = None
        self.train_matrix: np.ndarray | None = None
        self.test_matrix: np.ndarray | None = None
        self.problem = ""
        """Why the network's predictions are not shown (empty when they are)."""

        self._binary_lut = diverging_lut(MAP_STRENGTH)
        self._point_lut = diverging_lut(1.0)

        self.title = QLabel("No data")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)

        self.class_chooser = QComboBox()
        self.class_chooser.setToolTip("The class of the points you draw")
        self.draw_button = QToolButton()
        self.draw_button.setText("Draw points")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(DRAW_TOOLTIP)
        self.draw_button.toggled.connect(self._on_draw_toggled)
        self.matrix_toggle = QToolButton()
        self.matrix_toggle.setText("Confusion matrix")
        self.matrix_toggle.setCheckable(True)
        self.matrix_toggle.setToolTip(
            "Show the confusion matrix (rows: true class, columns: predicted) instead of the map"
        )
        self.matrix_toggle.toggled.connect(self._on_matrix_toggled)
        self.matrix_chooser = QComboBox()
        self.matrix_chooser.addItems(["Training set", "Test set"])
        self.matrix_chooser.setToolTip("Which samples the confusion matrix counts")
        self.matrix_chooser.currentIndexChanged.connect(self._show_matrix)

        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumSize(240, 200)
        self.plot_item = self.plot.getPlotItem()
        self.view_box = self.plot_item.getViewBox()
        self.plot_item.hideButtons()
        for name in ("bottom", "left"):  # 0.1 .. 0.9 stay 0.1 .. 0.9, never "(x0.001)"
            self.plot_item.getAxis(name).enableAutoSIPrefix(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        self.plot_item.addItem(self.image_item)
        self.identity_line = pg.InfiniteLine(
            pos=QPointF(0.0, 0.0), angle=45, movable=False,
            pen=pg.mkPen("#7f7f7f", width=1.5, style=Qt.PenStyle.DashLine),
        )  # fmt: skip
        self.plot_item.addItem(self.identity_line)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(NEGATIVE_COLOR, width=2.5))
        self.plot_item.addItem(self.curve)
        self.train_scatter = pg.ScatterPlotItem(size=8, pxMode=True)
        self.test_scatter = pg.ScatterPlotItem(size=8, pxMode=True)
        self.test_halo = pg.ScatterPlotItem(size=9, pxMode=True)
        """A dark ring under the test points of regression maps (pale colours stay visible)."""
        self.plot_item.addItem(self.train_scatter)
        self.plot_item.addItem(self.test_halo)
        self.plot_item.addItem(self.test_scatter)
        self.plot.scene().sigMouseClicked.connect(self._on_scene_clicked)

        self.matrix_widget = ConfusionMatrixWidget()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.matrix_widget)

        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.bar_low = QLabel()
        self.colour_bar = QLabel()
        self.bar_high = QLabel()
        self.score = QLabel()
        self.score.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.score.setWordWrap(True)

        # The title gets a row of its own: beside the buttons it wrapped to three lines and
        # squeezed the class picker to two letters.
        top = QHBoxLayout()
        top.addWidget(self.class_chooser)
        top.addWidget(self.draw_button)
        top.addWidget(self.matrix_toggle)
        top.addWidget(self.matrix_chooser)
        top.addStretch(1)
        self.class_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        bottom = QHBoxLayout()
        bottom.addWidget(self.legend, 1)
        bottom.addWidget(self.bar_low)
        bottom.addWidget(self.colour_bar)
        bottom.addWidget(self.bar_high)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.score)

        self._apply_palette()
        self._update_controls()
        self._show_colour_bar(None)

    # -- public API ---------------------------------------------------------------------------

    @property
    def train(self) -> Dataset | None:
        return self._train

    @property
    def test(self) -> Dataset | None:
        return self._test

    @property
    def features(self) -> tuple[str, ...]:
        return self._features

    @property
    def network(self) -> Network | None:
        return self._network

    @property
    def box(self) -> tuple[float, float, float, float] | None:
        """``(x_min, x_max, y_min, y_max)`` covered by the map (plane mode)."""
        return self.plane.box

    @property
    def grid_x(self) -> np.ndarray:
        return self.plane.grid_x

    @property
    def grid_y(self) -> np.ndarray:
        return self.plane.grid_y

    @property
    def grid_points(self) -> np.ndarray:
        """Raw points of the map, row ``i * grid + j`` = ``(grid_x[j], grid_y[i])``."""
        return self.plane.grid_points

    @property
    def grid_features(self) -> np.ndarray:
        """``grid_points`` through the features (the network's inputs before normalisation)."""
        return self.plane.grid_features

    @property
    def shown_neuron(self) -> tuple[int, int] | None:
        """``(node_layer, unit)`` of the hidden neuron on the map, or ``None`` (the output)."""
        return self._shown_neuron

    @property
    def drawing(self) -> bool:
        return self.draw_button.isChecked()

    def set_data(
        self,
        train: Dataset,
        test: Dataset | None = None,
        features: tuple[str, ...] = (),
        loss: str = "mse",
    ) -> None:
        """Show ``train`` and ``test`` (raw: ``X`` before ``features``) and pick the view.

        ``features`` (empty: the raw ``x1``, ``x2``) are the derived inputs of 2-D data that the
        network takes; ``loss`` decides the targets of the accuracy (``targets_for_loss``).
        The map's box stays as it was when the same data set comes back with every point
        inside it (for example after drawing a point).
        """
        features = tuple(features)
        if features and train.inputs != 2:
            raise ValueError(
                f"features need a data set with 2 inputs (x1, x2); {train.name!r} has "
                f"{train.inputs}"
            )
        if test is not None and test.inputs != train.inputs:
            raise ValueError(
                f"the test set has {test.inputs} inputs but the training set {train.inputs}"
            )
        self._train, self._test = train, test
        self._features, self._loss = features, loss
        classification = train.classes is not None
        if train.inputs == 2 and (classification or train.T.shape[1] == 1):
            mode = "matrix" if classification and self.matrix_toggle.isChecked() else "plane"
        elif train.inputs == 1 and not classification and train.T.shape[1] == 1:
            mode = "curve"
        elif classification:
            mode = "matrix"
        else:
            mode = "scatter"
        self.mode = mode
        self._train_inputs = self._network_inputs(train)
        self._test_inputs = None if test is None else self._network_inputs(test)
        self._hidden = []
        self.plane.forget()
        self.output_grid = self.class_map = None
        if mode == "plane":
            self._prepare_grid()
        else:
            self._shown_neuron = None
        if mode == "curve":
            X = self._all_points()[:, 0]
            lo, hi = (float(X.min()), float(X.max())) if X.size else (-1.0, 1.0)
            pad = max(hi - lo, 1e-9) * 0.05
            self.curve_x = np.linspace(lo - pad, hi + pad, CURVE_POINTS).reshape(-1, 1)
        if mode != "plane" and self.draw_button.isChecked():
            self.draw_button.setChecked(False)
        self._fill_class_chooser()
        self._update_controls()
        self._draw_data()
        self._layout_plot()
        self.refresh()

    def set_network(self, network: Network | None) -> None:
        """Use ``network`` (``None``: show the data alone); call ``refresh`` to redraw."""
        self._network = network
        self._hidden = []
        if network is None or not self._is_hidden_neuron(self._shown_neuron):
            self._shown_neuron = None

    def refresh(self) -> None:
        """Recompute the map, curve, scatter or matrix from the network's current weights."""
        if self._train is None:
            return
        network = self._network
        self.problem = self._compatibility(network)
        if network is None or self.problem:
            self._hidden = []
            self.output_grid = self.class_map = None
            self.train_outputs = self.test_outputs = None
            self.train_matrix = self.test_matrix = None
            self._clear_predictions()
            self.score.setText(self.problem or "No network yet: the data alone.")
            self._update_title()
            return
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self.train_outputs = network.predict(self._train_inputs)
            self.test_outputs = (
                None if self._test_inputs is None else network.predict(self._test_inputs)
            )
            if self.mode == "plane":
                activations = self.plane.forward(network)
                self._hidden = activations[:-1]
                self.output_grid = activations[-1]
                self._show_map()
            elif self.mode == "curve":
                y = network.predict(self.curve_x)
                self.curve.setData(self.curve_x[:, 0], y[:, 0])
                self.curve.show()
            elif self.mode == "scatter":
                self._refresh_scatter()
            else:
                self._refresh_matrices()
            self._update_score()
        self._update_title()

    def neuron_maps(self, network: Network) -> list[np.ndarray]:
        """Every hidden layer's activations over the map: ``(units, grid, grid)`` per layer.

        ``maps[l][unit, i, j]`` is the activation of ``unit`` in hidden layer ``l + 1`` (node
        layer ``l + 1`` on the canvas) at ``grid_points[i * grid + j]``. The last ``refresh``'s
        forward pass is reused when ``network`` and its weights are unchanged. Empty when the
        data is not 2-D or the network does not fit it. The arrays are read-only.
        """
        if self.mode != "plane" or network is None or self._compatibility(network):
            return []
        return self.plane.neuron_maps(network)

    def neuron_images(self, network: Network, size: int = 32) -> dict[tuple[int, int], QImage]:
        """Small pictures of what each hidden and output node computes over the map's box.

        Keyed by ``(node_layer, unit)`` with ``node_layer`` 1 .. L (the canvas's column
        numbering: node layer 0 is the inputs, L the outputs). Each ``size x size`` RGB image
        is on the canvas's value scale (``maps.node_pictures``: white at 0, full orange or blue
        at the activation's bound), with ``x2`` growing upwards. Empty when the data is not
        2-D or the network does not fit it.
        """
        size = int(size)
        if size < 1 or self.mode != "plane" or network is None or self._compatibility(network):
            return {}
        images: dict[tuple[int, int], QImage] = {}
        for key, picture in self.plane.pictures(network, size).items():
            data = picture.tobytes()
            image = QImage(data, size, size, 3 * size, QImage.Format.Format_RGB888)
            images[key] = image.copy()
        return images

    def show_neuron(self, node_layer: int, unit: int) -> None:
        """Show hidden neuron ``unit`` of ``node_layer`` (1 .. L-1) on the map.

        Anything else (an input or output node, no network, data that is not 2-D) shows the
        network's output instead.
        """
        if self.mode != "plane" or not self._is_hidden_neuron((node_layer, unit)):
            self.show_output()
            return
        self._shown_neuron = (int(node_layer), int(unit))
        if self.plane.valid(self._network) and self._hidden:
            self._show_map()
            self._update_title()
        else:
            self.refresh()

    def show_output(self) -> None:
        """Show the network's output on the map (after ``show_neuron``)."""
        if self._shown_neuron is None:
            return
        self._shown_neuron = None
        if self.mode == "plane" and self.output_grid is not None:
            self._show_map()
        self._update_title()

    def add_point(self, x: float, y: float, label: int | None = None) -> bool:
        """Add a training point of class ``label`` (default: the chosen class) at ``(x, y)``.

        Only on 2-D classification data; emits ``points_edited``. Returns whether it was added.
        """
        train = self._train
        if self.mode != "plane" or train is None or train.classes is None:
            return False
        if label is None:
            label = max(self.class_chooser.currentIndex(), 0)
        if not 0 <= label < len(train.classes) or not (math.isfinite(x) and math.isfinite(y)):
            return False
        X = np.vstack([train.X, np.array([[x, y]], dtype=np.float64)])
        T = np.vstack([train.T, np.full((1, train.T.shape[1]), float(label))])
        self._replace_train(dataclasses.replace(train, X=X, T=T))
        return True

    def remove_point_near(self, x: float, y: float, pixels: float = REMOVE_RADIUS) -> bool:
        """Remove the training point nearest ``(x, y)`` if it is within ``pixels`` on screen.

        Keeps at least one point; emits ``points_edited``. Returns whether one was removed.
        """
        train = self._train
        if self.mode != "plane" or train is None or train.classes is None or train.samples < 2:
            return False
        size = self.view_box.viewPixelSize()
        px = size[0] if size[0] > 0 else 1.0
        py = size[1] if size[1] > 0 else 1.0
        distance = np.hypot((train.X[:, 0] - x) / px, (train.X[:, 1] - y) / py)
        nearest = int(np.argmin(distance))
        if distance[nearest] > pixels:
            return False
        keep = np.arange(train.samples) != nearest
        self._replace_train(dataclasses.replace(train, X=train.X[keep], T=train.T[keep]))
        return True

    # -- data ----------------------------------------------------------------------------------

    def _network_inputs(self, data: Dataset) -> np.ndarray:
        X = np.asarray(data.X, dtype=np.float64)
        return apply_features(X, self._features) if self._features else X

    def _all_points(self) -> np.ndarray:
        assert self._train is not None
        if self._test is None or self._test.samples == 0:
            return self._train.X
        return np.vstack([self._train.X, self._test.X])

    def _prepare_grid(self) -> None:
        train, test = self._train, self._test
        assert train is not None
        key = (
            train.name, train.title, train.source,
            None if test is None else (test.name, test.title, test.source),
        )  # fmt: skip
        self.plane.fit(self._all_points(), self._features, key)

    def _is_hidden_neuron(self, neuron: tuple[int, int] | None) -> bool:
        network = self._network
        if neuron is None or network is None:
            return False
        node_layer, unit = neuron
        return 1 <= node_layer < len(network.layers) and (
            0 <= unit < network.layers[node_layer - 1].units
        )

    def _compatibility(self, network: Network | None) -> str:
        """Why ``network`` cannot be drawn over the data (empty when it can)."""
        train = self._train
        if network is None or train is None:
            return ""
        expected = len(self._features) if self._features else train.inputs
        if network.inputs != expected:
            return (
                f"The network takes {network.inputs} input(s) but the data gives {expected}: "
                "the data alone."
            )
        if train.classes is not None:
            k = len(train.classes)
            if network.outputs != k and not (k == 2 and network.outputs == 1):
                return (
                    f"The network has {network.outputs} output(s) but the data has {k} "
                    "classes: the data alone."
                )
        elif network.outputs != train.T.shape[1]:
            return (
                f"The network has {network.outputs} output(s) but the data has "
                f"{train.T.shape[1]} target(s): the data alone."
            )
        return ""

    def _targets(self, data: Dataset, outputs: int) -> np.ndarray:
        """Targets for the metrics: ``targets_for_loss`` when its width fits the outputs."""
        targets = data.targets_for_loss(self._loss)
        if targets.shape[1] != outputs and data.classes is not None:
            return data.T
        return targets

    def _replace_train(self, train: Dataset) -> None:
        self._train = train
        self._train_inputs = self._network_inputs(train)
        self._draw_data()
        self.refresh()
        self.points_edited.emit(train)

    # -- drawing -------------------------------------------------------------------------------

    def _fill_class_chooser(self) -> None:
        train = self._train
        chosen = self.class_chooser.currentIndex()
        self.class_chooser.blockSignals(True)
        self.class_chooser.clear()
        if train is not None and train.classes is not None:
            colours = class_colours(len(train.classes))
            for index, name in enumerate(train.classes):
                swatch = QPixmap(12, 12)
                swatch.fill(QColor(colours[index]))
                self.class_chooser.addItem(swatch, name)
            self.class_chooser.setCurrentIndex(min(max(chosen, 0), len(train.classes) - 1))
        self.class_chooser.blockSignals(False)

    def _update_controls(self) -> None:
        train = self._train
        show_draw = self.mode in ("plane", "curve")
        can_draw = self.mode == "plane" and train is not None and train.classes is not None
        self.draw_button.setVisible(show_draw)
        self.class_chooser.setVisible(show_draw and can_draw)
        self.draw_button.setEnabled(can_draw)
        if can_draw:
            self.draw_button.setToolTip(DRAW_TOOLTIP)
        else:
            self.draw_button.setToolTip(
                "Drawing points needs classification data: a regression target is a number, "
                "not a class you can pick, so there is nothing to click in."
            )
        has_test = self._test is not None and self._test.samples > 0
        self.matrix_chooser.setVisible(self.mode == "matrix" and has_test)
        self.matrix_toggle.setVisible(
            train is not None and train.inputs == 2 and train.classes is not None
        )
        if not has_test and self.matrix_chooser.currentIndex() != 0:
            self.matrix_chooser.setCurrentIndex(0)

    def _on_matrix_toggled(self, _on: bool) -> None:
        if self._train is not None:
            self.set_data(self._train, self._test, self._features, self._loss)

    def _on_draw_toggled(self, on: bool) -> None:
        self.view_box.setMenuEnabled(not on)
        cursor = Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor
        self.plot.viewport().setCursor(cursor)

    def _on_scene_clicked(self, event: MouseClickEvent) -> None:
        if not self.draw_button.isChecked() or not self.draw_button.isEnabled():
            return
        if self.mode != "plane" or self.box is None:
            return
        point = self.view_box.mapSceneToView(event.scenePos())
        x, y = point.x(), point.y()
        if event.button() == Qt.MouseButton.LeftButton:
            x0, x1, y0, y1 = self.box
            if x0 <= x <= x1 and y0 <= y <= y1:
                self.add_point(x, y)
            event.accept()
        elif event.button() == Qt.MouseButton.RightButton:
            self.remove_point_near(x, y)
            event.accept()

    def _outline(self) -> QColor:
        if self.mode == "plane":
            return QColor(OUTLINE)
        return self.palette().color(QPalette.ColorRole.Base)

    def _point_colours(self, data: Dataset) -> list[QColor]:
        if data.classes is not None:
            palette = [QColor(c) for c in class_colours(len(data.classes))]
            labels = np.clip(np.rint(data.T[:, 0]).astype(np.int64), 0, len(palette) - 1)
            return [palette[c] for c in labels]
        if self.mode == "plane":
            low, high = self._regression_levels()
            t = np.clip((data.T[:, 0] - low) / (high - low), 0.0, 1.0)
            index = np.rint(np.nan_to_num(t) * (len(self._point_lut) - 1)).astype(np.int64)
            return [QColor(*(int(v) for v in self._point_lut[i])) for i in index]
        return [QColor(POSITIVE_COLOR)] * data.samples

    def _xy(self, data: Dataset, outputs: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        if self.mode in ("plane", "curve"):
            y = data.X[:, 1] if self.mode == "plane" else data.T[:, 0]
            return data.X[:, 0], y
        if outputs is None:  # scatter without a network: targets against themselves
            return data.T.reshape(-1), data.T.reshape(-1)
        return data.T.reshape(-1), outputs.reshape(-1)

    def _draw_data(self) -> None:
        train, test = self._train, self._test
        if train is None or self.mode == "matrix":
            for scatter in (self.train_scatter, self.test_scatter, self.test_halo):
                scatter.setData([], [])
            self._update_legend()
            return
        outline = pg.mkPen(self._outline(), width=1)
        repeat = train.T.shape[1] if self.mode == "scatter" else 1
        colours = self._point_colours(train)
        brushes = {c.name(): pg.mkBrush(c) for c in colours}
        x, y = self._xy(train)
        self.train_scatter.setData(
            x, y, brush=[brushes[c.name()] for c in colours] * repeat, pen=outline, size=8
        )
        if test is not None and test.samples > 0:
            colours = self._point_colours(test)
            pens = {c.name(): pg.mkPen(c, width=2) for c in colours}
            x, y = self._xy(test)
            self.test_scatter.setData(
                x, y, pen=[pens[c.name()] for c in colours] * repeat,
                brush=QBrush(Qt.BrushStyle.NoBrush), size=9,
            )  # fmt: skip
        else:
            self.test_scatter.setData([], [])
        halo = self.mode == "plane" and train.classes is None and test is not None
        if halo and test is not None and test.samples > 0:
            x, y = self._xy(test)
            self.test_halo.setData(
                x, y, pen=pg.mkPen(OUTLINE, width=4), brush=QBrush(Qt.BrushStyle.NoBrush), size=9
            )
        else:
            self.test_halo.setData([], [])
        self._update_legend()

    def _layout_plot(self) -> None:
        train = self._train
        assert train is not None
        item, box = self.plot_item, self.box
        self.stack.setCurrentWidget(self.matrix_widget if self.mode == "matrix" else self.plot)
        self.identity_line.setVisible(self.mode == "scatter")
        self.curve.setVisible(self.mode == "curve")
        self.image_item.setVisible(False)
        if self.mode == "plane" and box is not None:
            item.setLabel("bottom", train.input_names[0])
            item.setLabel("left", train.input_names[1])
            self.view_box.setAspectLocked(False)
            self.view_box.setMouseEnabled(False, False)
            self.view_box.disableAutoRange()
            self.view_box.setRange(xRange=box[:2], yRange=box[2:], padding=0.0)
        elif self.mode in ("curve", "scatter"):
            self.view_box.setAspectLocked(False)
            self.view_box.setMouseEnabled(True, True)
            if self.mode == "curve":
                item.setLabel("bottom", train.input_names[0])
                item.setLabel("left", train.target_names[0])
            else:
                item.setLabel("bottom", "target")
                item.setLabel("left", "prediction")
            self.view_box.enableAutoRange()

    def _clear_predictions(self) -> None:
        self.image_item.setVisible(False)
        self.curve.setData([], [])
        self.curve.setVisible(False)
        if self.mode == "scatter":
            self._draw_data()
        if self.mode == "matrix":
            self.matrix_widget.set_matrix(None, (), "")
        self._show_colour_bar(None)

    def _regression_levels(self) -> tuple[float, float]:
        points = [self._train.T] if self._train is not None else []
        if self._test is not None and self._test.samples > 0:
            points.append(self._test.T)
        values = np.concatenate([p.reshape(-1) for p in points]) if points else np.zeros(1)
        finite = values[np.isfinite(values)]
        top = float(np.max(np.abs(finite))) if finite.size else 0.0
        top = top if top > 0 else 1.0
        return -top, top

    def _show_map(self) -> None:
        """Put the output (or the shown neuron's activation) into the image item."""
        train, network, out = self._train, self._network, self.output_grid
        if train is None or network is None or out is None:
            return
        g, box = self.grid, self.box
        assert box is not None
        rect = QRectF(box[0], box[2], box[1] - box[0], box[3] - box[2])
        neuron = self._shown_neuron
        if neuron is not None and self._is_hidden_neuron(neuron) and self._hidden:
            node_layer, unit = neuron
            a = self._hidden[node_layer - 1][:, unit].reshape(g, g)
            scale = value_scale(network.layers[node_layer - 1].activation, a)
            levels = (-scale, scale)
            self.image_item.setImage(
                a, lut=self._binary_lut, levels=levels, autoLevels=False, rect=rect
            )
            self._show_colour_bar(levels, "activation")
        elif train.classes is None:
            levels = self._regression_levels()
            image: np.ndarray = out[:, 0].reshape(g, g)
            self.image_item.setImage(
                image, lut=self._binary_lut, levels=levels, autoLevels=False, rect=rect
            )
            self._show_colour_bar(levels, f"predicted {train.target_names[0]}")
        elif len(train.classes) == 2:
            image = out[:, 0 if out.shape[1] == 1 else 1].reshape(g, g)
            self.class_map = None
            self.image_item.setImage(
                image, lut=self._binary_lut, levels=(0.0, 1.0), autoLevels=False, rect=rect
            )
            self._show_colour_bar((0.0, 1.0), f"P({train.classes[1]})")
        else:
            colours, winner = class_rgb(out, class_colours(out.shape[1]), MAP_STRENGTH)
            self.class_map = winner.reshape(g, g)
            image = colours.reshape(g, g, 3)
            self.image_item.setImage(image, lut=None, levels=None, autoLevels=False, rect=rect)
            self._show_colour_bar(None)
        self.image_item.setVisible(True)

    def _refresh_scatter(self) -> None:
        train, test = self._train, self._test
        assert train is not None and self.train_outputs is not None
        x, y = self._xy(train, self.train_outputs)
        self.train_scatter.setData(x, y)
        if test is not None and self.test_outputs is not None and test.samples > 0:
            x, y = self._xy(test, self.test_outputs)
            self.test_scatter.setData(x, y)

    def _refresh_matrices(self) -> None:
        train, test = self._train, self._test
        assert train is not None and train.classes is not None
        k = len(train.classes)
        outputs = self.train_outputs
        assert outputs is not None
        self.train_matrix = confusion_matrix(outputs, self._targets(train, outputs.shape[1]), k)
        self.test_matrix = None
        if test is not None and self.test_outputs is not None and test.samples > 0:
            targets = self._targets(test, self.test_outputs.shape[1])
            self.test_matrix = confusion_matrix(self.test_outputs, targets, k)
        self._show_matrix()

    def _show_matrix(self, *_: object) -> None:
        train = self._train
        if self.mode != "matrix" or train is None or train.classes is None:
            return
        use_test = self.matrix_chooser.currentIndex() == 1 and self.test_matrix is not None
        matrix = self.test_matrix if use_test else self.train_matrix
        if matrix is None:
            self.matrix_widget.set_matrix(None, (), "")
            return
        total = int(matrix.sum())
        share = np.trace(matrix) / total if total else float("nan")
        which = "Test set" if use_test else "Training set"
        title = f"{which}: accuracy {100 * share:.1f}% ({total:,} samples)"
        self.matrix_widget.set_matrix(matrix, train.classes, title)

    def _update_score(self) -> None:
        train, test = self._train, self._test
        assert train is not None and self.train_outputs is not None
        parts = []
        for label, data, outputs in (
            ("train", train, self.train_outputs),
            ("test", test, self.test_outputs),
        ):
            if data is None or outputs is None or data.samples == 0:
                continue
            if train.classes is not None:
                share = accuracy(outputs, self._targets(data, outputs.shape[1]))
                parts.append(f"{label} accuracy {100 * share:.1f}%")
            else:
                error = float(np.mean((outputs - data.T) ** 2))
                parts.append(f"{label} mean squared error {error:.4g}")
        self.score.setText(" · ".join(parts))

    def _update_title(self) -> None:
        train = self._train
        if train is None:
            self.title.setText("No data")
            return
        network = None if self.problem else self._network
        network_ok = network is not None
        if self.mode == "plane":
            neuron = self._shown_neuron
            if network is not None and neuron is not None and self._is_hidden_neuron(neuron):
                layers = network.layers
                name = node_name(len(layers), neuron[0], neuron[1])
                text = f"{capitalised(name)} ({layers[neuron[0] - 1].activation})"
            elif not network_ok:
                text = f"{train.title}"
            elif train.classes is None:
                text = f"Predicted {train.target_names[0]} over the input plane"
            elif len(train.classes) == 2:
                text = f"P({train.classes[1]}) over the input plane"
            else:
                text = "Predicted class (lighter: less sure)"
        elif self.mode == "curve":
            text = "Prediction and data" if network_ok else train.title
        elif self.mode == "scatter":
            text = "Prediction against target (exact on the dashed line y = x)"
        else:
            text = "Confusion matrix: rows true class, columns predicted"
        self.title.setText(text)

    def _update_legend(self) -> None:
        train, test = self._train, self._test
        if train is None:
            self.legend.setText("")
            return
        entries = []
        if train.classes is not None and self.mode != "matrix":
            for name, colour in zip(train.classes, class_colours(len(train.classes))):
                entries.append(f'<span style="color:{colour}">&#9632;</span>&nbsp;{name}')
        if self.mode != "matrix":
            entries.append("&#9679;&nbsp;training")
            if test is not None and test.samples > 0:
                entries.append("&#9675;&nbsp;test")
        if self.mode == "curve":
            entries.append(f'<span style="color:{NEGATIVE_COLOR}">&#9473;</span>&nbsp;prediction')
        if self.mode == "plane" and train.classes is None:
            entries.append(f"points coloured by their {train.target_names[0]}")
        self.legend.setText("&nbsp;&nbsp; ".join(entries))

    def _show_colour_bar(self, levels: tuple[float, float] | None, name: str = "") -> None:
        visible = levels is not None
        for label in (self.bar_low, self.colour_bar, self.bar_high):
            label.setVisible(visible)
        if levels is None:
            return
        self.bar_low.setText(f"{name}: {_format(levels[0])}")
        self.bar_high.setText(_format(levels[1]))
        if self.colour_bar.pixmap().isNull():
            self.colour_bar.setPixmap(_gradient_pixmap(self._binary_lut))

    # -- palette -------------------------------------------------------------------------------

    def _apply_palette(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        for name in ("bottom", "left"):
            axis = self.plot_item.getAxis(name)
            axis.setTextPen(pg.mkPen(text))
            axis.setPen(pg.mkPen(text))
            axis.label.setDefaultTextColor(text)
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        if self._train is not None and self.mode != "matrix":
            self._draw_data()
        self.matrix_widget.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)


class ConfusionMatrixWidget(QWidget):
    """A confusion matrix: rows true class, columns predicted class, counts in the cells.

    A cell's colour grows with its share of its row: blue on the diagonal (right), orange off
    it (wrong); empty cells keep the background.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.names: tuple[str, ...] = ()
        self.title = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 160)

    def set_matrix(self, matrix: np.ndarray | None, names: tuple[str, ...], title: str) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.int64)
        self.names = tuple(names)
        self.title = title
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 380)

    def column_names(self, names: tuple[str, ...], cell: int) -> list[str]:
        """The columns' names as drawn: each within its own ``cell`` pixels, shortened with
        "…" when longer (the rows give them in full); side by side, whole names ran together
        ("setosaversicolorvirginica")."""
        metrics = self.fontMetrics()
        return [
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, max(cell - 4, 8))
            for name in names
        ]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.WindowText)
        grid_pen = QPen(palette.color(QPalette.ColorRole.Mid))
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        matrix = self.matrix
        if matrix is None or matrix.size == 0:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No network yet")
            return
        k = matrix.shape[0]
        names = self.names if len(self.names) == k else tuple(str(c) for c in range(k))
        metrics = painter.fontMetrics()
        line = metrics.height()
        bold = QFont(painter.font())
        bold.setBold(True)

        label_w = max(metrics.horizontalAdvance(n) for n in names) + 8
        left = line + 6 + label_w
        top = int(line * 1.6) + line + 4 + line + 4
        available_w = self.width() - left - 8
        available_h = self.height() - top - 8
        cell = max(4, min(available_w // k, available_h // k))
        side = cell * k
        x0 = left + max(0, (available_w - side) // 2)
        y0 = top

        painter.setPen(text)
        painter.setFont(bold)
        painter.drawText(
            QRectF(0, 0, self.width(), line * 1.6), Qt.AlignmentFlag.AlignCenter, self.title
        )
        painter.setFont(self.font())
        painter.drawText(
            QRectF(x0, line * 1.6, side, line), Qt.AlignmentFlag.AlignCenter, "predicted class"
        )
        painter.save()
        painter.translate(x0 - label_w - 4, y0 + side / 2)
        painter.rotate(-90)
        painter.drawText(
            QRectF(-side / 2, -line - 2, side, line), Qt.AlignmentFlag.AlignCenter, "true class"
        )
        painter.restore()

        column_y = line * 1.6 + line + 2
        for c, (name, shown) in enumerate(zip(names, self.column_names(names, cell))):
            painter.drawText(
                QRectF(x0 + c * cell, column_y, cell, line),
                Qt.AlignmentFlag.AlignCenter, shown,
            )  # fmt: skip
            painter.drawText(
                QRectF(x0 - label_w - 2, y0 + c * cell, label_w, cell),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name,
            )  # fmt: skip

        painter.setFont(_fitting_font(self.font(), "8" * len(str(int(matrix.max()))), cell))
        rows = matrix.sum(axis=1)
        base_rgb = np.array([base.red(), base.green(), base.blue()], dtype=np.float64)
        for r in range(k):
            for c in range(k):
                count = int(matrix[r, c])
                share = count / rows[r] if rows[r] else 0.0
                if count:
                    share = max(share, 0.15)
                target = rgb(POSITIVE_COLOR if r == c else NEGATIVE_COLOR)
                mixed = base_rgb + share * (target - base_rgb)
                fill = QColor(*(int(round(v)) for v in mixed))
                rect = QRectF(x0 + c * cell, y0 + r * cell, cell, cell)
                painter.fillRect(rect, fill)
                painter.setPen(grid_pen)
                painter.drawRect(rect)
                luminance = 0.2126 * fill.redF() + 0.7152 * fill.greenF() + 0.0722 * fill.blueF()
                ink = QColor("#111111") if luminance > 0.5 else QColor("white")
                painter.setPen(ink if count else muted)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
        painter.end()
