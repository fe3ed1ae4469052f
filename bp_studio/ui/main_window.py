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
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
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
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio import __version__
from bp_studio.data.csv_table import DataError, read_csv
from bp_studio.data.examples import (
    EXAMPLES,
    WORKED_EXAMPLE_BIASES,
    WORKED_EXAMPLE_WEIGHTS,
    Dataset,
    dataset_from_table,
)
from bp_studio.engine import Network, Phase, Regularization, Trainer, TrainingDiverged, forward
from bp_studio.io.atomic import AtomicWriteError
from bp_studio.io.network_file import NetworkFileError
from bp_studio.ui.canvas import NetworkCanvas
from bp_studio.ui.explain_panel import ExplanationPanel
from bp_studio.ui.loss_plot import LossPlot
from bp_studio.ui.panels import DataPanel, PhaseIndicator
from bp_studio.ui.settings_panel import HiddenLayer, Settings, SettingsPanel
from bp_studio.ui.state import Moment, Selection, moment_from_trainer
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
SHORTCUTS = (
    ("Next phase", "N"),
    ("Next layer", "L"),
    ("Step sample", "S"),
    ("Step batch", "B"),
    ("Step epoch", "E"),
    ("Play / Pause", "Space"),
    ("Reset (seeded re-initialisation)", "Ctrl+R"),
    ("Fit the network in view", "Ctrl+0"),
    ("Open network", "Ctrl+O"),
    ("Save network", "Ctrl+S"),
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


class MainWindow(QMainWindow):
    """BP Studio's main window."""

    def __init__(self, network_path: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("BP Studio")
        self.resize(1360, 860)
        self.dataset: Dataset | None = EXAMPLES["xor"]
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

        self._build_views()
        self._build_actions()
        self._build_menus_and_toolbar()
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._on_play_tick)
        self.display_timer = QTimer(self)
        self.display_timer.setInterval(33)
        self.display_timer.timeout.connect(self._on_display_tick)

        if network_path:
            self._rebuild_from_settings()
            self.open_network(network_path)
        else:
            self._rebuild_from_settings()
        self._restore_layout()

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
        self.explanation.precision_changed.connect(self._on_precision_changed)
        self.data_panel = DataPanel()
        self.data_panel.sample_chosen.connect(self._on_sample_chosen)

        self.settings_dock = self._dock(
            "Settings", self.settings_panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.explain_dock = self._dock(
            "Explanation", self.explanation, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.data_dock = self._dock("Data", self.data_panel, Qt.DockWidgetArea.RightDockWidgetArea)
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
        for action in (self.new_action, self.open_action, self.save_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_data_action)
        examples = file_menu.addMenu("Example data")
        for name, dataset in EXAMPLES.items():
            action = QAction(dataset.title, self)
            action.setToolTip(dataset.source)
            action.triggered.connect(lambda _=False, n=name: self.use_example(n))
            examples.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
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
        for dock in (self.settings_dock, self.explain_dock, self.data_dock):
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
        toolbar.addAction(self.reset_action)

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
        self.refresh()
        self.canvas.fit()

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
        self.canvas.set_moment(moment)
        self.canvas.set_selection(self.selection)
        self.canvas.set_editable(not self.playing)
        self.explanation.show(moment, self.selection)
        self.data_panel.show_moment(moment, self.dataset, self._targets())
        done = self._done_phases()
        self.phase_indicator.set_phase(
            moment.phase if moment.update is None else Phase.UPDATE, done
        )
        self._refresh_history()
        self._refresh_status()
        self._refresh_actions()

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
            return
        self.loss_plot.set_history(
            np.frombuffer(self.trainer.step_losses, dtype=float).copy()
            if len(self.trainer.step_losses)
            else np.zeros(0),
            np.array(self.trainer.epoch_losses),
            np.array(self.trainer.epoch_end_steps),
        )

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
        loss = self.data_loss(network)
        batch = self.trainer.batch_index + 1
        self.status.setText(
            f"Step {step:,}  ·  epoch {epoch:,} (next batch {batch} of "
            f"{self.trainer.batches_per_epoch})  ·  loss on all {self.trainer.samples} samples: "
            f"{loss:.6g}"
        )
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
        self.worker = TrainingWorker(self.trainer, max_steps)
        self.worker.diverged.connect(self._on_worker_diverged)
        self.worker.finished.connect(self._on_worker_finished)
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
        self.refresh()

    def _on_display_tick(self) -> None:
        """While the worker runs: redraw from its latest publication (at most 30 per second)."""
        worker = self.worker
        if worker is None:
            return
        publication = worker.take()
        if publication is None:
            return
        display = self._display_network
        np.copyto(display.parameters, publication.parameters)
        self.canvas.set_moment(Moment(network=display, step_number=publication.step_count))
        self.loss_plot.append_history(
            publication.new_step_losses,
            publication.new_epoch_losses,
            publication.new_epoch_end_steps,
        )
        self._refresh_status(display, publication.step_count, publication.epoch)

    def _on_worker_diverged(self, message: str) -> None:
        self.stop_play()
        trainer = self.trainer
        self.message_bar.show_message(
            f"{message[0].upper()}{message[1:].split(':')[0]}. Lower the learning rate (now "
            f"{trainer.lr:g}). The weights are those of step {trainer.step_count:,}; training "
            "is paused and nothing was lost."
        )

    def _on_worker_finished(self) -> None:
        if self.worker is not None and self.playing:
            self.stop_play()

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
        if self.playing:
            return
        try:
            change()
        except (ValueError, IndexError) as exc:
            self.message_bar.show_message(f"The value was not changed: {exc}")
            return
        if self.trainer is not None:
            self.trainer.network_changed()
        self.dirty = True
        self.statusBar().showMessage(
            "Weight changed: the step starts over with the new value.", 5000
        )
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
        if settings.lr != old.lr:
            trainer.lr = settings.lr  # a float attribute: safe while the worker runs
        structural = (
            settings.batch_size != old.batch_size
            or settings.shuffle != old.shuffle
            or settings.optimizer != old.optimizer
            or (settings.regularization, settings.regularization_rate)
            != (old.regularization, old.regularization_rate)
        )
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
        trainer.discard_progress()
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
        self.dataset = EXAMPLES["xor"]
        self.settings_value = DEFAULT_SETTINGS
        self.settings_panel.set_settings(DEFAULT_SETTINGS)
        self.network_path = None
        self._rebuild_from_settings()
        self.dirty = False
        self._refresh_status()

    def use_example(self, name: str) -> None:
        """Train on a built-in example; the worked example also gets its published weights."""
        self.stop_play()
        self.dataset = EXAMPLES[name]
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
                    d
                    for d in EXAMPLES.values()
                    if d.inputs == network.inputs
                    and d.outputs_for_loss(network.loss_name) == network.outputs
                ),
                None,
            )
            self.dataset = match
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
        if path:
            self.open_data(path)

    def open_data(self, path: str, targets: int | None = None) -> bool:
        """Train on a CSV file; its last ``targets`` columns (default: the network's outputs)."""
        try:
            table = read_csv(path)
            count = targets or (self.network.outputs if self.network else 1)
            dataset = dataset_from_table(
                os.path.basename(path), table.columns, np.array(table.values), count
            )
        except (DataError, ValueError) as exc:
            self.message_bar.show_message(f"Could not use the data: {exc}")
            return False
        self.stop_play()
        self.dataset = dataset
        if self.network is not None and self.network.inputs == dataset.inputs:
            self._use_network(self.network)
        else:
            self._rebuild_from_settings()
        return True

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
        settings = QSettings("BP Studio", "BP Studio")
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's override name
        if not self._confirm_discard():
            event.ignore()
            return
        self.stop_play()
        settings = QSettings("BP Studio", "BP Studio")
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        event.accept()
