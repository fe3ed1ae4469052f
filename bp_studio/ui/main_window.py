"""The studio window: draws the engine's state and sends it commands.

The window owns one ``Trainer`` (network + data + optimiser). Commands (Next phase, Next
layer, Step sample/batch/epoch, Play, Reset, edits) go to the trainer; after each one the
window builds a ``Moment`` and hands it to the canvas, the explanation and the data panel.
Play runs on a timer (animated speeds) or in a ``TrainingWorker`` thread (as fast as possible);
the views then redraw from the worker's latest publication at most 30 times a second.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSplitter,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio import __version__
from bp_studio.data.csv_table import DataError
from bp_studio.data.examples import (
    EXAMPLES,
    WORKED_EXAMPLE_BIASES,
    WORKED_EXAMPLE_WEIGHTS,
    Dataset,
)
from bp_studio.data.metrics import accuracy
from bp_studio.data.source import DataSpec, PreparedData, prepare
from bp_studio.data.table_import import read_dataset
from bp_studio.engine import (
    Network,
    Phase,
    Regularization,
    Trainer,
    TrainingDiverged,
    TrainingHistory,
    forward,
)
from bp_studio.io.atomic import AtomicWriteError
from bp_studio.io.network_file import NetworkFileError
from bp_studio.studio.moment import Moment, Selection, moment_from_trainer
from bp_studio.studio.notation import output_names
from bp_studio.ui.canvas import NetworkCanvas
from bp_studio.ui.data_settings import DataSettings
from bp_studio.ui.data_view import DataView
from bp_studio.ui.explain_panel import ExplanationPanel
from bp_studio.ui.files import AUTOSAVE_MS, FilesMixin, app_settings
from bp_studio.ui.loss_plot import LossPlot
from bp_studio.ui.panels import DataPanel, PhaseIndicator
from bp_studio.ui.settings_panel import HiddenLayer, Settings, SettingsPanel
from bp_studio.ui.training_worker import TrainingWorker

SPEEDS = (
    ("Animated: one layer every 0.8 s", "layer", 800),
    ("Animated: one layer every 0.25 s", "layer", 250),
    ("One step every 0.1 s", "step", 100),
    ("Fast: many steps per frame", "burst", 16),
    ("As fast as possible", "thread", 33),
)
"""Play speeds: (label, what one tick does, tick interval in ms)."""

DEFAULT_SETTINGS = Settings(hidden=(HiddenLayer(3, "sigmoid"),), output_activation="sigmoid")
DISPLAY_MS = 100
"""While training runs at full speed, the canvas redraws every DISPLAY_MS at first; the loss
plot, the test evaluation and the data view every HEAVY_EVERY-th time. Drawing holds Python's
lock, so every millisecond spent here is taken from training: the interval then adapts so that
drawing takes at most DISPLAY_SHARE of the time, between 33 ms (30 fps) and 250 ms
(measured in scripts/bench.py)."""
HEAVY_EVERY = 5
DISPLAY_SHARE = 0.06

SHORTCUTS = (
    ("Next phase", "N"),
    ("Next layer", "L"),
    ("Step sample", "S"),
    ("Step batch", "B"),
    ("Step epoch", "E"),
    ("Play / Pause", "Space"),
    ("Back: one layer, phase or step", "Ctrl+Z"),
    ("Reset (seeded re-initialisation)", "Ctrl+R"),
    ("Fit the network in view", "Ctrl+0"),
    ("Open network", "Ctrl+O"),
    ("Save network", "Ctrl+S"),
    ("Open session", "Ctrl+Shift+O"),
    ("Save session", "Ctrl+Shift+S"),
    ("Open data (CSV)", "Ctrl+D"),
    ("Export weights", "Ctrl+Shift+E"),
    ("Import weights", "Ctrl+Shift+I"),
    ("New", "Ctrl+N"),
    ("Quit", "Ctrl+Q"),
    ("Keyboard shortcuts", "F1"),
)


class MessageBar(QWidget):
    """A non-modal message above the canvas, with a close button."""

    def __init__(self) -> None:
        super().__init__()
        self.setAutoFillBackground(True)
        self.setStyleSheet("background:#fdb863; color:#2d1600; border-radius:4px;")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class MainWindow(FilesMixin, QMainWindow):
    """BP Studio's main window."""

    def __init__(self, network_path: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("BP Studio")
        self.resize(1360, 860)
        self.data_spec = DataSpec()
        self.rows: Dataset | None = None
        self.data: PreparedData | None = prepare(self.data_spec)
        self.evaluations = Evaluations()
        self.history = TrainingHistory()
        self.session_path: str | None = None
        self.settings_value = DEFAULT_SETTINGS
        self.trainer: Trainer | None = None
        self.network: Network | None = None
        self.network_path: str | None = None
        self.selection: Selection | None = None
        self.sample = 0
        self.worker: TrainingWorker | None = None
        self.playing = False
        self.dirty = False
        self.precision = 4
        self._display_network: Network | None = None
        self._pending_losses: list = []
        self._ticks = 0

        self._build_views()
        self._build_actions()
        self._build_menus_and_toolbar()
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._on_play_tick)
        self.display_timer = QTimer(self)
        self.display_timer.setInterval(DISPLAY_MS)
        self.display_timer.timeout.connect(self._on_display_tick)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

        if network_path:
            self._rebuild_from_settings()
            if network_path.endswith(".bpsession"):
                self.open_session(network_path, confirm=False)
            else:
                self.open_network(network_path)
        else:
            self._rebuild_from_settings()
        self._restore_layout()

    @property
    def dataset(self) -> Dataset | None:
        """The training data as the network takes it (features applied)."""
        return self.data.train if self.data is not None else None

    # -- construction ----------

    def _build_views(self) -> None:
        self.canvas = NetworkCanvas()
        self.canvas.selection_changed.connect(self._on_selection_changed)
        self.canvas.weight_edit_requested.connect(self._on_weight_edit_requested)
        self.canvas.bias_edit_requested.connect(self._on_bias_edit_requested)
        self.phase_indicator = PhaseIndicator()
        self.message_bar = MessageBar()
        self.loss_plot = LossPlot()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.phase_indicator)
        top_layout.addWidget(self.message_bar)
        top_layout.addWidget(self.canvas, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.loss_plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)

        self.settings_panel = SettingsPanel(self.settings_value)
        self.settings_panel.settings_changed.connect(self._on_settings_changed)
        self.explanation = ExplanationPanel()
        self.explanation.setMinimumHeight(330)  # room for a whole equation with its numbers
        self.explanation.precision_changed.connect(self._on_precision_changed)
        self.data_panel = DataPanel()
        self.data_panel.sample_chosen.connect(self._on_sample_chosen)
        self.data_settings = DataSettings(self.data_spec)
        self.data_settings.set_spec(self.data_spec, self.data.raw)
        self.data_settings.spec_changed.connect(self._on_data_spec_changed)
        self.data_settings.open_file_requested.connect(self._on_open_data)
        self.data_view = DataView()
        self.data_view.points_edited.connect(self._on_points_edited)
        self.canvas.node_hovered.connect(self._on_node_hovered)

        self.settings_dock = self._dock(
            "Settings", self.settings_panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.explain_dock = self._dock(
            "Explanation", self.explanation, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.data_dock = self._dock("Data", self.data_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.data_settings_dock = self._dock(
            "Data set", self.data_settings, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.data_view_dock = self._dock(
            "Data view", self.data_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.data_dock, self.data_view_dock)
        self.data_view_dock.raise_()
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower() + "_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, shortcut: str | None, slot, tip: str, icon=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            tip = (
                f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
            )
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.next_phase_action = self._action(
            "Next phase", "N", self.next_phase, "Finish the current phase of the step"
        )
        self.next_layer_action = self._action(
            "Next layer", "L", self.next_layer, "Compute one more layer (forward or backward)"
        )
        self.step_sample_action = self._action(
            "Step sample", "S", self.step_sample, "One whole step on one sample (batch size 1)"
        )
        self.step_batch_action = self._action(
            "Step batch", "B", self.step_batch, "One whole step on the current batch"
        )
        self.step_epoch_action = self._action(
            "Step epoch", "E", self.step_epoch, "Train until the current epoch is complete"
        )
        self.play_action = self._action(
            "Play",
            "Space",
            self.toggle_play,
            "Train continuously; press again to pause",
            sp.SP_MediaPlay,
        )
        self.reset_action = self._action(
            "Reset",
            "Ctrl+R",
            self.reset,
            "Draw new initial weights from the seed and start over",
            sp.SP_BrowserReload,
        )
        self.fit_action = self._action(
            "Fit network", "Ctrl+0", self.canvas.fit, "Fit the network in view"
        )
        self.new_action = self._action(
            "New", "Ctrl+N", self.new_session, "Start again with the XOR example", sp.SP_FileIcon
        )
        self.open_action = self._action(
            "Open network…",
            "Ctrl+O",
            self._on_open_network,
            "Open a network file (.json)",
            sp.SP_DialogOpenButton,
        )
        self.save_action = self._action(
            "Save network…",
            "Ctrl+S",
            self._on_save_network,
            "Save the network and its learned weights (.json)",
            sp.SP_DialogSaveButton,
        )
        self.open_data_action = self._action(
            "Open data…",
            "Ctrl+D",
            self._on_open_data,
            "Train on a CSV file (header row; targets in the last columns)",
        )
        self.quit_action = self._action("Quit", "Ctrl+Q", self.close, "Quit BP Studio")
        self.save_session_action = self._action(
            "Save session…",
            "Ctrl+Shift+S",
            self._on_save_session,
            "Save everything: network, optimiser state, settings, data, losses and history",
        )
        self.open_session_action = self._action(
            "Open session…",
            "Ctrl+Shift+O",
            self._on_open_session,
            "Open a saved session and go on where it stopped",
        )
        self.export_weights_action = self._action(
            "Export weights…",
            "Ctrl+Shift+E",
            self._on_export_weights,
            "Export the learned weights as JSON, NumPy (PyTorch names), CSV or ONNX",
        )
        self.import_weights_action = self._action(
            "Import weights…",
            "Ctrl+Shift+I",
            self._on_import_weights,
            "Load weights from a JSON or npz file into this network (shapes must match)",
        )
        self.export_diagram_action = self._action(
            "Export diagram…",
            None,
            lambda: self._on_export_figure("diagram"),
            "Save the network diagram as it looks now (PNG or SVG)",
        )
        self.export_plot_action = self._action(
            "Export loss plot…",
            None,
            lambda: self._on_export_figure("plot"),
            "Save the loss plot (PNG or SVG)",
        )
        self.export_loss_csv_action = self._action(
            "Export loss history…",
            None,
            lambda: self._on_export_figure("loss_csv"),
            "Save the loss of every step as CSV (step, epoch, train and test loss, accuracy)",
        )
        self.back_action = self._action(
            "Back",
            "Ctrl+Z",
            self.back,
            "Go back one layer, phase or step",
            QStyle.StandardPixmap.SP_ArrowBack,
        )
        self.shortcuts_action = self._action(
            "Keyboard shortcuts", "F1", self.show_shortcuts, "List the keyboard shortcuts"
        )
        self.about_action = self._action(
            "About BP Studio", None, self.show_about, "About BP Studio"
        )
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setFixedWidth(130)
        self.speed.setPageStep(1)
        self.speed.valueChanged.connect(self._on_speed_changed)
        self.speed_label = QLabel()
        self._on_speed_changed(self.speed.value())

    def _build_menus_and_toolbar(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for action in (
            self.new_action,
            self.open_session_action,
            self.save_session_action,
        ):
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Open recent")
        self._fill_recent_menu()
        file_menu.addSeparator()
        for action in (self.open_action, self.save_action):
            file_menu.addAction(action)
        file_menu.addAction(self.open_data_action)
        file_menu.addSeparator()
        for action in (
            self.export_weights_action,
            self.import_weights_action,
            self.export_diagram_action,
            self.export_plot_action,
            self.export_loss_csv_action,
        ):
            file_menu.addAction(action)
        examples = file_menu.addMenu("Example data")
        for name, dataset in EXAMPLES.items():
            action = QAction(dataset.title, self)
            action.setToolTip(dataset.source)
            action.triggered.connect(lambda _=False, n=name: self.use_example(n))
            examples.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.back_action)
        edit_menu.addAction(self.reset_action)
        train_menu = menu.addMenu("&Train")
        for action in (
            self.next_phase_action,
            self.next_layer_action,
            self.step_sample_action,
            self.step_batch_action,
            self.step_epoch_action,
            self.play_action,
        ):
            train_menu.addAction(action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.fit_action)
        view_menu.addSeparator()
        for dock in (
            self.settings_dock,
            self.data_settings_dock,
            self.explain_dock,
            self.data_dock,
            self.data_view_dock,
        ):
            view_menu.addAction(dock.toggleViewAction())
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

        toolbar = self.addToolBar("Steps")
        toolbar.setObjectName("steps_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (
            self.next_phase_action,
            self.next_layer_action,
            self.step_sample_action,
            self.step_batch_action,
            self.step_epoch_action,
        ):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.play_action)
        toolbar.addWidget(QLabel(" Speed "))
        toolbar.addWidget(self.speed)
        toolbar.addWidget(self.speed_label)
        toolbar.addSeparator()
        toolbar.addAction(self.back_action)
        toolbar.addAction(self.reset_action)

        timeline_bar = QToolBar("Timeline")
        timeline_bar.setObjectName("timeline_toolbar")
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, timeline_bar)
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setToolTip("Scrub through training: every step can be revisited")
        self.timeline.valueChanged.connect(self._on_timeline_moved)
        self.timeline_label = QLabel()
        timeline_bar.addWidget(QLabel(" Timeline "))
        timeline_bar.addWidget(self.timeline)
        timeline_bar.addWidget(self.timeline_label)

    # -- building the network and trainer ----------

    def _targets(self) -> np.ndarray | None:
        if self.dataset is None:
            return None
        return self.dataset.targets_for_loss(self.settings_value.loss)

    def _rebuild_from_settings(self) -> None:
        """A new network from the settings and the data's input/output counts; training restarts."""
        s = self.settings_value
        if self.dataset is None:
            return
        sizes = [self.dataset.inputs] + [h.units for h in s.hidden]
        sizes.append(self.dataset.outputs_for_loss(s.loss))
        network = Network.create(
            sizes,
            [h.activation for h in s.hidden] + [s.output_activation],
            s.loss,
            bias=[h.bias for h in s.hidden] + [s.output_bias],
            init=s.init,
            seed=s.seed,
        )
        network.normalization = self.data.normalization
        network.input_names = self.dataset.input_names
        self._use_network(network)

    def _use_network(self, network: Network) -> None:
        self.stop_play()
        self.network = network
        self.trainer = None
        targets = self._targets()
        if self.dataset is not None and targets is not None:
            try:
                self.trainer = self._make_trainer(network, self.dataset.X, targets)
            except ValueError as exc:
                self.message_bar.show_message(f"The data does not fit this network: {exc}")
        self.selection = None
        self.sample = 0
        self.evaluations = Evaluations()
        self.history = TrainingHistory()
        if self.trainer is not None:
            self.history.record(self.trainer)
        self._data_view_data()
        self.refresh()
        self.canvas.fit()

    def _reset_evaluations(self) -> None:
        self.evaluations = Evaluations()

    def _make_trainer(self, network: Network, X: np.ndarray, T: np.ndarray) -> Trainer:
        s = self.settings_value
        return Trainer(
            network,
            X,
            T,
            lr=s.lr,
            batch_size=s.batch_size,
            shuffle=s.shuffle,
            optimizer=s.optimizer,
            seed=s.seed,
            regularization=Regularization(s.regularization, s.regularization_rate),
        )

    # -- the moment and the views ----------

    def current_moment(self) -> Moment:
        if self.trainer is None:
            return Moment(network=self.network)
        return moment_from_trainer(self.trainer, self.sample)

    def refresh(self) -> None:
        """Redraw every view from the trainer (never while the worker runs)."""
        moment = self.current_moment()
        if moment.phase is None and self.trainer is not None:
            moment = self._idle_moment(self.network)
        moment = replace(moment, output_names=self._output_names())  # class names, for people
        self.canvas.set_moment(moment)
        self.canvas.set_selection(self.selection)
        self.canvas.set_editable(not self.playing)
        self.explanation.show(moment, self.selection)
        self.data_panel.show_moment(moment, self.dataset, self._targets())
        done = self._done_phases()
        self.phase_indicator.set_phase(
            moment.phase if moment.update is None else Phase.UPDATE, done
        )
        self._record_evaluation(self.network, self.trainer.step_count if self.trainer else 0)
        self._refresh_history()
        self._refresh_status()
        self._refresh_actions()
        self._refresh_data_view(self.network)
        self._refresh_timeline()

    def _output_names(self) -> tuple[str, ...] | None:
        return output_names(self.dataset, self.settings_value.loss) if self.dataset else None

    def _idle_moment(self, network: Network) -> Moment:
        """Between steps: the forward values of the next step's first sample, for the nodes."""
        trainer = self.trainer
        base = moment_from_trainer(trainer, self.sample, show_last_step=False)
        return replace(base, network=network)

    def _done_phases(self) -> tuple[Phase, ...]:
        progress = self.trainer.progress if self.trainer else None
        if progress is None:
            last = self.trainer.last_step if self.trainer else None
            if last is not None and last.update.step_number == self.trainer.step_count:
                return (Phase.FORWARD, Phase.ERROR, Phase.BACKWARD)
            return ()
        done = []
        if progress.forward is not None:
            done.append(Phase.FORWARD)
        if progress.error is not None:
            done.append(Phase.ERROR)
        if progress.backward is not None:
            done.append(Phase.BACKWARD)
        return tuple(done)

    def _refresh_history(self) -> None:
        if self.trainer is None:
            self.loss_plot.set_history(np.zeros(0), np.zeros(0), np.zeros(0))
            self.loss_plot.set_test_history(np.zeros(0), np.zeros(0))
            return
        self.loss_plot.set_test_history(*self.evaluations.test_curve())
        self.loss_plot.set_history(
            np.frombuffer(self.trainer.step_losses, dtype=float).copy()
            if len(self.trainer.step_losses)
            else np.zeros(0),
            np.array(self.trainer.epoch_losses),
            np.array(self.trainer.epoch_end_steps),
        )

    # -- data: evaluation and the data view ----------

    def _data_view_data(self) -> None:
        if self.data is None:
            return
        # A handful of rows reads best as a table; more as a picture.
        (self.data_dock if self.data.raw.samples < 3 else self.data_view_dock).raise_()
        self.data_view.set_data(
            self.data.train_raw,
            self.data.test_raw if self.data.has_test else None,
            self.data_spec.features,
            self.settings_value.loss,
        )

    def _refresh_data_view(self, network: Network | None) -> None:
        if network is None or self.data is None or not self.data_view_dock.isVisible():
            self.canvas.set_node_images(None)
            return
        self.data_view.set_network(network)
        self.data_view.refresh()
        images = None
        if self.data.raw.inputs == 2 and len(network.layers) > 1:
            images = self.data_view.neuron_images(network, size=32)
        self.canvas.set_node_images(images)

    def evaluate(self, network: Network) -> Evaluation:
        """Loss and accuracy of ``network`` on the training and the test data."""
        data = self.data
        loss = self.settings_value.loss
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            train = _loss_and_accuracy(network, data.train, loss)
            test = _loss_and_accuracy(network, data.test, loss) if data.has_test else None
        return Evaluation(
            train[0], None if test is None else test[0], train[1], None if test is None else test[1]
        )

    def _record_evaluation(self, network: Network | None, step: int) -> Evaluation | None:
        if network is None or self.trainer is None or self.data is None:
            return None
        evaluation = self.evaluate(network)
        self.evaluations.add(step, evaluation)
        return evaluation

    def data_loss(self, network: Network | None = None) -> float | None:
        """The loss of ``network`` on all the training data (``None`` without data)."""
        network = network or self.network
        if self.trainer is None or network is None:
            return None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            record = forward(network, self.trainer.X)
            last = record.layers[-1]
            return network.loss.value(last.z, last.a, self.trainer.T)

    def _refresh_status(
        self, network: Network | None = None, step: int | None = None, epoch: int | None = None
    ) -> None:
        if self.trainer is None:
            self.status.setText("No data")
            return
        step = self.trainer.step_count if step is None else step
        epoch = self.trainer.epoch if epoch is None else epoch
        latest = self.evaluations.latest()
        loss = latest.train_loss if latest is not None else self.data_loss(network)
        batch = self.trainer.batch_index + 1
        text = (
            f"Step {step:,}  ·  epoch {epoch:,} (next batch {batch} of "
            f"{self.trainer.batches_per_epoch})  ·  loss on all {self.trainer.samples} training "
            f"samples: {loss:.6g}"
        )
        if latest is not None:
            text += latest.describe()
        self.status.setText(text)
        title = self.network.describe() if self.network else ""
        name = os.path.basename(self.network_path) if self.network_path else "untitled"
        self.setWindowTitle(f"{name}{' *' if self.dirty else ''} — {title} — BP Studio")

    def _refresh_actions(self) -> None:
        can_step = self.trainer is not None and not self.playing
        for action in (
            self.next_phase_action,
            self.next_layer_action,
            self.step_batch_action,
            self.step_epoch_action,
        ):
            action.setEnabled(can_step)
        online = self.trainer is not None and self.trainer.batch_size == 1
        self.step_sample_action.setEnabled(can_step and online)
        self.step_sample_action.setToolTip(
            "One whole step on the next sample (S)"
            if online
            else "Set Batch size to 1 to step one sample at a time (S)"
        )
        self.play_action.setEnabled(self.trainer is not None)
        self.back_action.setEnabled(can_step)
        self.settings_panel.setEnabled(True)

    # -- commands ----------

    def _run(self, command) -> bool:
        """Run a trainer command; a diverging step pauses with an explanation."""
        if self.trainer is None or self.playing:
            return False
        try:
            command()
        except TrainingDiverged as exc:
            self._show_diverged(exc)
            self.refresh()
            return False
        self.dirty = True
        self.record_history()
        self.refresh()
        return True

    def next_phase(self) -> bool:
        return self._run(lambda: self.trainer.next_phase())

    def next_layer(self) -> bool:
        return self._run(lambda: self.trainer.next_layer())

    def step_batch(self) -> bool:
        return self._run(lambda: self.trainer.step())

    def step_sample(self) -> bool:
        if self.trainer is None or self.trainer.batch_size != 1:
            return False
        return self._run(lambda: self.trainer.step())

    def step_epoch(self) -> bool:
        """Finish the current epoch. Small epochs run here; large ones in the worker thread."""
        if self.trainer is None or self.playing:
            return False
        steps = self.trainer.batches_per_epoch - self.trainer.batch_index
        if self.trainer.progress is None and steps * self.trainer.samples > 200_000:
            self._start_worker(max_steps=steps)
            return True
        return self._run(lambda: self.trainer.run_epochs(1))

    def reset(self) -> None:
        """Seeded re-initialisation: new weights from the seed, training starts over."""
        self.stop_play()
        self.dirty = True
        self._rebuild_from_settings()
        self.message_bar.hide()

    def _show_diverged(self, exc: TrainingDiverged) -> None:
        previous = exc.step - 1
        self.message_bar.show_message(
            f"{exc.what.capitalize()} became {exc.value} at step {exc.step:,}. Lower the learning "
            f"rate (now {self.trainer.lr:g}). The weights are those of step {previous:,}; "
            "training is paused and nothing was lost."
        )

    # -- play ----------

    def toggle_play(self) -> None:
        if self.playing:
            self.stop_play()
        else:
            self.start_play()

    def start_play(self) -> None:
        if self.trainer is None or self.playing:
            return
        self.message_bar.hide()
        _, mode, interval = SPEEDS[self.speed.value()]
        if mode == "thread":
            self._start_worker()
        else:
            self.playing = True
            self.play_timer.start(interval)
        self._set_play_look()

    def _start_worker(self, max_steps: int | None = None) -> None:
        if self.trainer.progress is not None:
            try:
                self.trainer.step()
            except TrainingDiverged as exc:
                self._show_diverged(exc)
                self.refresh()
                return
        self.playing = True
        self._display_network = self.network.copy()
        self.worker = TrainingWorker(self.trainer, max_steps, after_chunk=self.history.record)
        self.worker.diverged.connect(self._on_worker_diverged)
        worker = self.worker
        worker.finished.connect(lambda: self._on_worker_finished(worker))
        self._pending_losses = []
        self._ticks = 0
        self._tick_cost = DISPLAY_MS * DISPLAY_SHARE / 1000
        self.display_timer.setInterval(DISPLAY_MS)
        self.canvas.set_editable(False)
        self._refresh_actions()
        self.worker.start()
        self.display_timer.start()
        self._set_play_look()

    def stop_play(self) -> None:
        """Pause: stop the timer or the worker (within one chunk, well under 100 ms)."""
        self.play_timer.stop()
        worker = self.worker
        if worker is not None:
            worker.stop()
            worker.wait()
            self.display_timer.stop()
            self.worker = None
            worker.deleteLater()
        was_playing = self.playing
        self.playing = False
        self._set_play_look()
        if was_playing:
            self.dirty = True
            self.record_history()
            self.refresh()

    def _set_play_look(self) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause
            if self.playing
            else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_action.setIcon(self.style().standardIcon(icon))
        self.play_action.setText("Pause" if self.playing else "Play")
        self._refresh_actions()

    def _on_play_tick(self) -> None:
        """One tick of animated play on the GUI thread."""
        _, mode, _ = SPEEDS[self.speed.value()]
        try:
            if mode == "layer":
                self.trainer.next_layer()
            elif mode == "step":
                self.trainer.step()
            else:
                deadline = 0.008
                start = time.perf_counter()
                while time.perf_counter() - start < deadline:
                    self.trainer.run_steps(1)
        except TrainingDiverged as exc:
            self.stop_play()
            self._show_diverged(exc)
        self.dirty = True
        self.record_history()
        self.refresh()

    def _on_display_tick(self) -> None:
        """While the worker runs: redraw from its latest publication (at most 30 per second)."""
        worker = self.worker
        if worker is None:
            return
        publication = worker.take()
        if publication is None:
            return
        started = time.perf_counter()
        display = self._display_network
        np.copyto(display.parameters, publication.parameters)
        names = self._output_names()
        self.canvas.set_moment(
            Moment(display, step_number=publication.step_count, output_names=names)
        )
        self.canvas.viewport().repaint()  # now, so that its cost counts in the interval below
        self._pending_losses.append(publication)
        self._ticks += 1
        if self._ticks % HEAVY_EVERY == 0:
            self._flush_pending_losses()
            self._record_evaluation(display, publication.step_count)
            self.loss_plot.set_test_history(*self.evaluations.test_curve())
            self._refresh_data_view(display)
            self.loss_plot.plot.repaint()
            self.data_view.repaint()
        self._refresh_status(display, publication.step_count, publication.epoch)
        cost = time.perf_counter() - started
        self._tick_cost = 0.8 * self._tick_cost + 0.2 * cost
        interval = round(1000 * self._tick_cost / DISPLAY_SHARE)
        self.display_timer.setInterval(min(max(interval, 33), 250))

    def _flush_pending_losses(self) -> None:
        pending, self._pending_losses = self._pending_losses, []
        if pending:
            self.loss_plot.append_history(
                np.concatenate([p.new_step_losses for p in pending]),
                np.concatenate([p.new_epoch_losses for p in pending]),
                np.concatenate([p.new_epoch_end_steps for p in pending]),
            )

    def _on_worker_diverged(self, message: str) -> None:
        self.stop_play()
        trainer = self.trainer
        self.message_bar.show_message(
            f"{message[0].upper()}{message[1:].split(':')[0]}. Lower the learning rate (now "
            f"{trainer.lr:g}). The weights are those of step {trainer.step_count:,}; training "
            "is paused and nothing was lost."
        )

    def _on_worker_finished(self, worker: TrainingWorker) -> None:
        """A worker ended by itself (Step epoch done, or diverged): pause. The signal of a
        worker that Pause already stopped may arrive after a new one started: ignore it."""
        if worker is self.worker and self.playing:
            self.stop_play()

    def _on_timeline_moved(self, step: int) -> None:
        self.go_to_step(step)

    def _on_speed_changed(self, value: int) -> None:
        self.speed_label.setText(" " + SPEEDS[value][0] + " ")
        self.speed.setToolTip(SPEEDS[value][0])
        if self.playing:
            self.stop_play()
            self.start_play()

    # -- view -> engine ----------

    def _on_selection_changed(self, selection: Selection | None) -> None:
        self.selection = selection
        self.explanation.show(self.current_moment(), selection)

    def _on_precision_changed(self, precision: int) -> None:
        self.precision = precision

    def _on_sample_chosen(self, sample: int) -> None:
        self.sample = sample
        self.refresh()

    def _on_weight_edit_requested(self, layer: int, unit: int, input_: int, value: float) -> None:
        self._edit(lambda: self.network.set_weight(layer, unit, input_, value))

    def _on_bias_edit_requested(self, layer: int, unit: int, value: float) -> None:
        self._edit(lambda: self.network.set_bias(layer, unit, value))

    def _edit(self, change) -> None:
        if self.playing or not self._confirm_rewrite_history():
            return
        try:
            change()
        except (ValueError, IndexError) as exc:
            self.message_bar.show_message(f"The value was not changed: {exc}")
            return
        self._after_edit("Weight changed: the step starts over with the new value.")

    def _after_edit(self, message: str) -> None:
        """After the network's parameters changed by hand: record it and redraw."""
        if self.trainer is not None:
            self.trainer.network_changed()
        self.dirty = True
        self.record_history()
        self.statusBar().showMessage(message, 5000)
        self.refresh()

    def _on_settings_changed(self, settings: Settings) -> None:
        old = self.settings_value
        self.settings_value = settings
        if settings.architecture() != old.architecture():
            self.reset()
            return
        trainer = self.trainer
        if trainer is None:
            return
        structural = (
            settings.batch_size != old.batch_size
            or settings.shuffle != old.shuffle
            or settings.optimizer != old.optimizer
            or (settings.regularization, settings.regularization_rate)
            != (old.regularization, old.regularization_rate)
        )
        if (structural or settings.lr != old.lr) and not self.playing:
            if not self._confirm_rewrite_history():
                self.settings_value = old
                self.settings_panel.set_settings(old)
                return
        if settings.lr != old.lr:
            trainer.lr = settings.lr  # a float attribute: safe while the worker runs
            if not self.playing:
                self.record_history()
        if not structural:
            return
        was_playing = self.playing
        self.stop_play()
        if settings.batch_size != old.batch_size:
            trainer.batch_size = settings.batch_size
        if settings.shuffle != old.shuffle:
            trainer.shuffle = settings.shuffle
        if settings.optimizer != old.optimizer:
            trainer.set_optimizer(settings.optimizer)
        trainer.regularization = Regularization(
            settings.regularization, settings.regularization_rate
        )
        trainer.revision += 1
        trainer.discard_progress()
        self.record_history()
        self.refresh()
        if was_playing:
            self.start_play()

    # -- files ----------

    def _confirm_discard(self) -> bool:
        """Ask before throwing away unsaved work; ``True`` to go on."""
        if not self.dirty:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "The network has changed since it was last saved. Save it first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self._on_save_network()
        return True

    def new_session(self) -> None:
        if not self._confirm_discard():
            return
        self.stop_play()
        self._set_data(DataSpec(), None, rebuild=False)
        self.settings_value = DEFAULT_SETTINGS
        self.settings_panel.set_settings(DEFAULT_SETTINGS)
        self.network_path = None
        self._rebuild_from_settings()
        self.dirty = False
        self._refresh_status()

    def use_example(self, name: str) -> None:
        """Train on a built-in example; the worked example also gets its published weights."""
        self.stop_play()
        self._set_data(DataSpec("example", name), None, rebuild=False)
        if name == "worked_example":
            self.settings_value = replace(
                self.settings_value,
                hidden=(HiddenLayer(2, "sigmoid", True),),
                output_activation="sigmoid",
                output_bias=True,
                loss="mse",
                lr=0.5,
                batch_size=None,
            )
            self.settings_panel.set_settings(self.settings_value)
            network = Network(
                WORKED_EXAMPLE_WEIGHTS, WORKED_EXAMPLE_BIASES, ["sigmoid", "sigmoid"], "mse"
            )
            self._use_network(network)
        else:
            self._rebuild_from_settings()

    def _on_open_network(self) -> None:
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Open network", "", "BP Studio network (*.json);;All files (*)"
        )
        if path:
            self.open_network(path)

    def open_network(self, path: str) -> bool:
        """Load a network file; on any problem say so and keep the current work."""
        try:
            network = Network.load(path)
        except NetworkFileError as exc:
            self.message_bar.show_message(f"Could not open the network: {exc}")
            return False
        self.stop_play()
        self.settings_value = replace(
            self.settings_value,
            hidden=tuple(
                HiddenLayer(layer.units, layer.activation, layer.has_bias)
                for layer in network.layers[:-1]
            ),
            output_activation=network.layers[-1].activation,
            output_bias=network.layers[-1].has_bias,
            loss=network.loss_name,
        )
        self.settings_panel.set_settings(self.settings_value)
        fits = self.dataset is not None and (
            self.dataset.inputs == network.inputs
            and self.dataset.outputs_for_loss(network.loss_name) == network.outputs
        )
        if not fits:
            match = next(
                (
                    name
                    for name, d in EXAMPLES.items()
                    if d.inputs == network.inputs
                    and d.outputs_for_loss(network.loss_name) == network.outputs
                ),
                None,
            )
            if match is None:
                self.data = None
            else:
                self._set_data(DataSpec("example", match), None, rebuild=False)
        self.network_path = path
        self._use_network(network)
        self.dirty = False
        if self.dataset is None:
            self.message_bar.show_message(
                f"This network has {network.inputs} inputs and {network.outputs} outputs and no "
                "example data set fits it: open a CSV data file (File ▸ Open data…) to train it."
            )
        self._refresh_status()
        return True

    def _on_save_network(self) -> bool:
        if self.network is None:
            return False
        path, _ = QFileDialog.getSaveFileName(
            self, "Save network", self.network_path or "network.json", "BP Studio network (*.json)"
        )
        if not path:
            return False
        return self.save_network(path)

    def save_network(self, path: str) -> bool:
        self.stop_play()
        try:
            self.network.save(path)
        except (AtomicWriteError, OSError, ValueError) as exc:
            self.message_bar.show_message(f"The network was not saved: {exc}")
            return False
        self.network_path = path
        self.dirty = False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._refresh_status()
        return True

    def _on_open_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open data", "", "CSV files (*.csv);;All files (*)"
        )
        if not path:
            return
        from bp_studio.ui.csv_import import open_csv

        dataset = open_csv(self, path)
        if dataset is not None:
            self.use_rows(dataset)

    def open_data(self, path: str, target_columns: list[str] | None = None) -> bool:
        """Train on a CSV file (no dialog): its last column, or ``target_columns``, as targets."""
        try:
            dataset = read_dataset(path, target_columns)
        except (DataError, ValueError) as exc:
            self.message_bar.show_message(f"Could not use the data: {exc}")
            return False
        return self.use_rows(dataset)

    def use_rows(self, dataset: Dataset) -> bool:
        """Train on rows of the user's own (imported); the network is rebuilt to fit them."""
        spec = replace(self.data_spec, kind="rows", name=dataset.name, features=())
        return self._set_data(spec, dataset)

    def _set_data(self, spec: DataSpec, rows: Dataset | None, rebuild: bool = True) -> bool:
        """Prepare ``spec``; on a problem say so and keep the current data. Rebuilds the network."""
        try:
            data = prepare(spec, rows)
        except (DataError, ValueError) as exc:
            self.message_bar.show_message(f"Could not use the data: {exc}")
            self.data_settings.set_spec(self.data_spec, self.data.raw if self.data else None)
            return False
        self.stop_play()
        self.data_spec, self.rows, self.data = spec, rows, data
        self.data_settings.set_spec(spec, data.raw)
        self._fit_loss_to_data(data.raw)
        if rebuild:
            self._rebuild_from_settings()
        self.dirty = True
        return True

    def _fit_loss_to_data(self, raw: Dataset) -> None:
        """Classes of three or more: softmax with cross-entropy (one output per class);
        regression targets: a linear output with mse. Says so when it changes the settings."""
        s = self.settings_value
        if raw.classes is not None and len(raw.classes) > 2 and s.loss != "cross_entropy":
            new = replace(s, loss="cross_entropy", output_activation="softmax")
        elif raw.classes is None and s.loss != "mse":
            new = replace(s, loss="mse", output_activation="linear")
        else:
            return
        self.settings_value = new
        self.settings_panel.set_settings(new)
        self.statusBar().showMessage(
            f"{raw.title}: loss set to {new.loss} with a {new.output_activation} output layer",
            8000,
        )

    def _on_data_spec_changed(self, spec: DataSpec) -> None:
        if spec.kind == "rows" and self.rows is None:
            self.data_settings.set_spec(self.data_spec, self.data.raw if self.data else None)
            self._on_open_data()
            return
        if spec.features and load_inputs(spec, self.rows) != 2:
            spec = replace(spec, features=())
        if spec.kind == "example" and spec.name == "worked_example":
            self.use_example("worked_example")
            return
        self._set_data(spec, self.rows if spec.kind == "rows" else None)

    def _on_points_edited(self, raw_train: Dataset) -> None:
        """Drawn points: the network keeps training on the edited data (no rebuild)."""
        self.stop_play()
        test = self.data.test_raw if self.data is not None and self.data.has_test else None
        rows = raw_train
        if test is not None:
            rows = replace(
                raw_train,
                X=np.concatenate([raw_train.X, test.X]),
                T=np.concatenate([raw_train.T, test.T]),
            )
        spec = replace(self.data_spec, kind="rows", name="drawn", test_ratio=0.0)
        try:
            data = prepare(spec, rows)
        except ValueError as exc:
            self.message_bar.show_message(f"The points were not changed: {exc}")
            return
        if test is not None:  # keep the same test points aside
            data = replace(
                data,
                train_raw=raw_train,
                test_raw=test,
                train=prepare(spec, raw_train).train,
                test=prepare(spec, test).train,
            )
        data = replace(data, normalization=self.network.normalization if self.network else None)
        self.data_spec, self.rows, self.data = spec, rows, data
        self.data_settings.set_spec(spec, data.raw)
        if self.trainer is not None:
            try:
                self.trainer.set_data(data.train.X, self._targets())
            except ValueError as exc:
                self.message_bar.show_message(f"The points were not changed: {exc}")
                return
        self._data_view_data()
        self.dirty = True
        self.refresh()

    def _on_node_hovered(self, selection: Selection | None) -> None:
        if (
            selection is not None
            and selection.kind == "node"
            and 0 < selection.layer < len(self.network.layers)
        ):
            self.data_view.show_neuron(selection.layer, selection.unit)
        else:
            self.data_view.show_output()

    # -- help and window state ----------

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td style='padding-right:16px'>{name}</td><td><b>{keys}</b></td></tr>"
            for name, keys in SHORTCUTS
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(f"<table>{rows}</table>")
        box.setModal(False)
        box.show()
        self._shortcuts_box = box

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About BP Studio",
            f"<h3>BP Studio {__version__}</h3><p>Watch and drive backpropagation: the forward "
            "pass, the error, the backward pass and the weight update, with the real numbers."
            "</p>",
        )

    def _restore_layout(self) -> None:
        settings = app_settings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        else:  # first start: once the window has its size, give the explanation room
            QTimer.singleShot(0, self._default_dock_sizes)

    def _default_dock_sizes(self) -> None:
        self.resizeDocks(
            [self.settings_dock, self.explain_dock], [330, 400], Qt.Orientation.Horizontal
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's override name
        if not self._confirm_discard():
            event.ignore()
            return
        self.stop_play()
        self.autosave_timer.stop()
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.remove_autosave()
        event.accept()


def load_inputs(spec: DataSpec, rows: Dataset | None) -> int:
    """How many raw inputs the data of ``spec`` has (0 if it cannot be loaded)."""
    from bp_studio.data.source import load_raw

    try:
        return load_raw(spec, rows).inputs
    except (DataError, ValueError):
        return 0


@dataclass(frozen=True)
class Evaluation:
    """Loss and accuracy on the training and test data (``None``: no test data/not classes)."""

    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None

    def describe(self) -> str:
        text = ""
        if self.test_loss is not None:
            text += f"  ·  test loss {self.test_loss:.6g}"
        if self.train_accuracy is not None:
            text += f"  ·  accuracy {self.train_accuracy:.1%}"
            if self.test_accuracy is not None:
                text += f" (test {self.test_accuracy:.1%})"
        return text


class Evaluations:
    """Evaluations recorded at steps: the test-loss curve of the loss plot, and the latest."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.items: list[Evaluation] = []

    def add(self, step: int, evaluation: Evaluation) -> None:
        while self.steps and self.steps[-1] >= step:
            self.steps.pop()
            self.items.pop()
        self.steps.append(step)
        self.items.append(evaluation)

    def latest(self) -> Evaluation | None:
        return self.items[-1] if self.items else None

    def test_curve(self) -> tuple[np.ndarray, np.ndarray]:
        pairs = [
            (s, e.test_loss) for s, e in zip(self.steps, self.items) if e.test_loss is not None
        ]
        if not pairs:
            return np.zeros(0), np.zeros(0)
        steps, losses = zip(*pairs)
        return np.array(steps, dtype=float), np.array(losses, dtype=float)


def _loss_and_accuracy(network: Network, dataset: Dataset, loss: str) -> tuple[float, float | None]:
    targets = dataset.targets_for_loss(loss)
    record = network.forward(dataset.X)
    last = record.layers[-1]
    value = network.loss.value(last.z, last.a, targets)
    if dataset.classes is None:
        return value, None
    return value, accuracy(last.a, targets)
