"""The studio window: draws a ``Studio`` and sends it commands. It holds no application state.

The window builds the widgets, relays the studio's events into the GUI thread
(``StudioBridge``) and redraws the views from the studio when they fire; every button, key,
click and edit becomes a studio command. Play lives in ``Player`` (timers, the run thread and
the display tick), the file dialogs in ``FileActions``, the diagnostics dock and the gradient
check in ``Learning``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSlider,
    QSplitter,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio import __version__
from bp_studio.data.examples import Dataset
from bp_studio.data.source import DataSpec, load_raw
from bp_studio.engine import Network, Phase, TrainingDiverged
from bp_studio.studio import Settings, Studio, StudioError
from bp_studio.studio.evaluation import Evaluation
from bp_studio.studio.glossary import glossary_page
from bp_studio.studio.moment import Moment, Selection
from bp_studio.studio.progress import Publication
from bp_studio.studio.runs import run_label
from bp_studio.ui import commands
from bp_studio.ui.breakpoints_panel import BreakpointsPanel
from bp_studio.ui.bridge import StudioBridge
from bp_studio.ui.canvas import NetworkCanvas
from bp_studio.ui.data_settings import DataSettings
from bp_studio.ui.data_view import DataView
from bp_studio.ui.explain_panel import ExplanationPanel
from bp_studio.ui.file_actions import AUTOSAVE_MS, FileActions, app_settings
from bp_studio.ui.focus import ReturnFocus, WheelGuard
from bp_studio.ui.learning import Learning
from bp_studio.ui.loss_plot import LossPlot
from bp_studio.ui.panels import DataPanel, PhaseIndicator, TimelineSlider
from bp_studio.ui.play import FASTEST, SPEED_LABELS, SPEEDS, Player
from bp_studio.ui.quiz_panel import QuizPanel
from bp_studio.ui.runs_list import RunsList
from bp_studio.ui.section import Section
from bp_studio.ui.settings_panel import SettingsPanel

if TYPE_CHECKING:
    from bp_studio.ui.code_view import CodeView

MIN_WINDOW = (1024, 640)
"""The window can be made at least this small at any architecture (a laptop screen, a
projector): no widget's minimum size may push it beyond (tests/ui/test_window_geometry.py)."""
SETTINGS_WIDTH = (250, 320)
"""The settings column: its minimum and first-start widths."""
EXPLAIN_WIDTH = (260, 380)
"""The explanation/data column: its minimum and first-start widths."""
LARGE_EPOCH = 200_000
_NEW_RUN = (
    "{what}: a new network starts; the {steps:,} steps trained are set aside (the run stays "
    "on the loss plot under Compare runs; Edit ▸ Undo brings it back)"
)
"""What the status bar says when a change of architecture or data starts a new run."""
"""Step epoch runs in the background when an epoch touches more (samples x steps) than this."""


class MessageBar(QWidget):
    """A non-modal message above the canvas, with a close button."""

    TONES = {
        "problem": "background:#fdb863; color:#2d1600; border-radius:4px;",
        "info": "background:#cfe3f7; color:#0b2a4a; border-radius:4px;",
    }
    """A refusal or a failure (amber), or news worth a look (blue: a breakpoint fired)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAutoFillBackground(True)
        self.setStyleSheet(self.TONES["problem"])
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

    def show_message(self, text: str, tone: str = "problem") -> None:
        self.setStyleSheet(self.TONES[tone])
        self.label.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """BP Studio's main window on ``studio`` (a new default one if not given)."""

    # the actions commands.build makes (window.<name>_action) that the window itself reads
    undo_action: QAction
    redo_action: QAction
    back_action: QAction
    next_phase_action: QAction
    next_layer_action: QAction
    step_sample_action: QAction
    step_batch_action: QAction
    step_epoch_action: QAction
    play_action: QAction
    check_gradients_action: QAction

    def __init__(self, path: str | None = None, studio: Studio | None = None) -> None:
        super().__init__()
        self.setWindowTitle("BP Studio")
        self.studio = studio or Studio()
        self.bridge = StudioBridge(self.studio, self)
        self.player = Player(self.studio, self)
        self.files = FileActions(self)
        self._display_network: Network | None = None
        self._shown = False

        self._build_views()
        self._build_controls()
        self.wheel_guard = WheelGuard(self.settings_dock)
        self.return_focus = ReturnFocus(
            self.settings_dock,
            self.canvas,
            lambda: self.settings_panel.set_settings(self.studio.settings),
        )
        self.bridge.relayed.connect(self._on_studio_event)
        self.player.frame.connect(self._on_frame)
        self.player.playing_changed.connect(self._on_playing_changed)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.files.autosave)
        self.autosave_timer.start()

        self._show_document()
        if path:
            self.files.open_path(path, confirm=False)
        self._restore_layout()

    # -- construction ---------------------------------------------------------------------------

    def _build_views(self) -> None:
        self.canvas = NetworkCanvas()
        self.canvas.selection_changed.connect(self.studio.select)
        self.canvas.weight_edit_requested.connect(self.edit_weight)
        self.canvas.bias_edit_requested.connect(self.edit_bias)
        self.canvas.node_hovered.connect(self._on_node_hovered)
        self.phase_indicator = PhaseIndicator()
        self.message_bar = MessageBar()
        self.loss_plot = LossPlot()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.phase_indicator)
        top_layout.addWidget(self.message_bar)
        top_layout.addWidget(self.canvas, 1)
        self.centre = QSplitter(Qt.Orientation.Vertical)
        self.centre.addWidget(top)
        self.centre.addWidget(self.loss_plot)
        self.centre.setStretchFactor(0, 3)
        self.centre.setStretchFactor(1, 1)
        self.centre.setChildrenCollapsible(False)
        self.setCentralWidget(self.centre)

        self.settings_panel = SettingsPanel(self.studio.settings)
        self.settings_panel.settings_changed.connect(self._on_settings_edited)
        self.explanation = ExplanationPanel(precision=self.studio.precision)
        self.explanation.precision_changed.connect(self.studio.set_precision)
        self.data_panel = DataPanel()
        self.data_panel.sample_chosen.connect(self.studio.choose_sample)
        self.data_panel.row_chosen.connect(self.studio.choose_row)
        self.data_settings = DataSettings(self.studio.data_spec)
        self.data_settings.spec_changed.connect(self._on_data_spec_edited)
        self.data_settings.open_file_requested.connect(self.open_data_dialog)
        self.data_view = DataView()
        self.data_view.points_edited.connect(self._on_points_edited)

        # Left: everything the user sets, in one scrolling column (data first).
        column = QWidget()
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(6, 6, 6, 6)
        data_box = QGroupBox("Data set")
        data_layout = QVBoxLayout(data_box)
        data_layout.addWidget(self.data_settings)
        column_layout.addWidget(data_box)
        column_layout.addWidget(self.settings_panel)
        self.breakpoints_panel = BreakpointsPanel()
        self.breakpoints_panel.breakpoints_changed.connect(self._on_breakpoints_edited)
        self.breakpoints_section = Section("Breakpoints", self.breakpoints_panel)
        column_layout.addWidget(self.breakpoints_section)
        column_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # As wide as the column's widgets need beside the scroll bar: nothing is cut.
        bar = scroll.verticalScrollBar().sizeHint().width() + 2 * scroll.frameWidth()
        scroll.setMinimumWidth(max(SETTINGS_WIDTH[0], column.minimumSizeHint().width() + bar))
        self.settings_dock = self._dock("Settings", scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        # Right: what explains the numbers, as tabs.
        self.explain_dock = self._dock(
            "Explanation", self.explanation, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.data_view_dock = self._dock(
            "Data view", self.data_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.data_dock = self._dock("Data", self.data_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.explain_dock, self.data_view_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.explain_dock, self.data_dock)
        self.explain_dock.raise_()
        self.data_view_dock.visibilityChanged.connect(self._on_data_view_shown)
        # The code view and the diagnostics view are built when first shown: they are not
        # needed to open the window (a fifth of its start-up otherwise).
        self._code_view: CodeView | None = None
        self.code_dock = self._dock("Code", QWidget(), Qt.DockWidgetArea.RightDockWidgetArea)
        self.code_dock.visibilityChanged.connect(self._on_code_shown)
        self.quiz_panel = QuizPanel(self.studio)
        self.quiz_dock = self._dock("Quiz", self.quiz_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.runs_list = RunsList()
        self.runs_list.visibility_changed.connect(self.studio.show_run)
        self.runs_list.delete_requested.connect(self.studio.delete_run)
        self.runs_dock = self._dock(
            "Compare runs", self.runs_list, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.learning = Learning(self)
        self.diagnostics_dock = self.learning.dock
        for dock in (self.code_dock, self.quiz_dock, self.runs_dock, self.diagnostics_dock):
            self.tabifyDockWidget(self.explain_dock, dock)
            dock.hide()
        self.explain_dock.raise_()
        self.status = QLabel()
        self.status.setMinimumWidth(1)  # long texts are cut by the window, not widen it
        self.statusBar().addPermanentWidget(self.status, 1)
        # A passing message (``say``) takes the bar while it lasts: the step line, stretched
        # over the whole width, would leave it no room.
        self.statusBar().messageChanged.connect(lambda text: self.status.setHidden(bool(text)))

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower() + "_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_controls(self) -> None:
        """The speed slider, the commands (``bp_studio.ui.commands``) and the timeline."""
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, FASTEST)
        self.speed.setValue(FASTEST)
        self.speed.setFixedWidth(130)
        self.speed.setPageStep(1)
        self.speed.valueChanged.connect(self._on_speed_changed)
        self.speed_label = QLabel()
        metrics = self.speed_label.fontMetrics()
        self.speed_label.setFixedWidth(max(metrics.horizontalAdvance(t) for t in SPEED_LABELS) + 12)
        self.speed_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._on_speed_changed(self.speed.value())
        commands.build(self)

        timeline_bar = QToolBar("Timeline")
        timeline_bar.setObjectName("timeline_toolbar")
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, timeline_bar)
        self.timeline = TimelineSlider()
        self.timeline.setToolTip("Scrub through training: every step can be revisited")
        self.timeline.valueChanged.connect(self.go_to_step)
        self.timeline_label = QLabel()
        timeline_bar.addWidget(QLabel(" Timeline "))
        timeline_bar.addWidget(self.timeline)
        timeline_bar.addWidget(self.timeline_label)

    # -- messages -------------------------------------------------------------------------------

    def show_problem(self, text: str) -> None:
        """A message that stays until dismissed (something was refused or went wrong)."""
        self.message_bar.show_message(text)

    def show_news(self, text: str) -> None:
        """A message that stays until dismissed, for news (a run halted by itself)."""
        self.message_bar.show_message(text, tone="info")

    def say(self, text: str, ms: int = 5000) -> None:
        """A passing message in the status bar."""
        self.statusBar().showMessage(text, ms)

    def _command(self, command: Callable[..., object], *args: object, **kwargs: object) -> bool:
        """Send a command to the studio; a refusal is shown, a divergence was announced."""
        try:
            command(*args, **kwargs)
        except TrainingDiverged:
            return False
        except StudioError as exc:
            self.show_problem(_sentence(str(exc)))
            return False
        return True

    # -- studio -> views ------------------------------------------------------------------------

    def _on_studio_event(self, name: str, args: tuple) -> None:
        if name == "stepped":
            if not self.player.threaded:
                self.refresh()
        elif name == "settings_changed":
            self.settings_panel.set_settings(args[0])
            if self.studio.runs:
                self._show_runs()  # their labels say what differs from the settings now
            self.return_focus.watch(self.settings_dock)
            self.wheel_guard.watch(self.settings_dock)
        elif name == "data_changed":
            self._show_data()
        elif name == "network_changed":
            self.canvas.fit()
            self.learning.forget_check()
        elif name == "document_changed":
            self._show_document()
        elif name == "view_changed":
            self._refresh_view()
        elif name == "file_changed":
            self._refresh_title()
        elif name == "undo_changed":
            self._refresh_undo()
        elif name == "run_finished":
            if not self.player.threaded:  # a late signal of a run stopped before this one
                self.refresh()
        elif name == "diverged":
            self.show_problem(args[0])
        elif name == "notice":
            self.say(args[0], 8000)
        elif name == "halted":
            self.player.stop()  # a burst of animated play goes on otherwise
            self.show_news(_sentence(args[0]))
        elif name == "quiz_changed":
            self.quiz_panel.refresh()
            self._refresh_view()
        elif name == "runs_changed":
            self._show_runs()
        elif name == "diagnostics_changed":
            if not self.player.threaded:
                self.learning.refresh()

    def _show_document(self) -> None:
        studio = self.studio
        self.settings_panel.set_settings(studio.settings)
        self.explanation.digits.blockSignals(True)
        self.explanation.set_precision(studio.precision)
        self.explanation.digits.blockSignals(False)
        self.message_bar.hide()
        self.learning.forget_check()
        self.breakpoints_panel.set_breakpoints(studio.breakpoints)
        if studio.breakpoints:
            self.breakpoints_section.set_expanded(True)
        self._show_runs()
        self._show_data()
        self.refresh()
        self.canvas.fit()
        self._refresh_title()
        self._refresh_undo()

    def _show_data(self) -> None:
        studio = self.studio
        data = studio.data
        self.data_settings.set_spec(studio.data_spec, data.raw if data is not None else None)
        if not studio.can_train and studio.network is not None:
            network = studio.network
            self.show_problem(
                f"This network has {network.inputs} inputs and {network.outputs} outputs and no "
                "example data set fits it: open a CSV data file (File ▸ Open data…) to train it."
            )
        if data is None:
            return
        self.data_view.set_data(
            data.train_raw,
            data.test_raw if data.has_test else None,
            studio.data_spec.features,
            studio.settings.loss,
        )

    def refresh(self) -> None:
        """Redraw every view from the studio (never while a run works in the thread: then
        the display tick draws the run's publications)."""
        if self.player.threaded:
            return
        studio = self.studio
        moment = studio.moment()
        self.canvas.set_moment(moment)
        self.canvas.set_hidden(studio.quiz.question)
        self.canvas.set_selection(studio.selection)
        self.canvas.set_editable(not self.player.playing)
        self._explain(moment)
        if self._code_view is not None and self.code_dock.isVisible():
            self._code_view.refresh()
        self.learning.refresh()
        data = studio.data
        dataset = data.train if data is not None and studio.can_train else None
        targets = dataset.targets_for_loss(studio.network.loss_name) if dataset else None
        self.data_panel.show_moment(moment, dataset, targets)
        self.phase_indicator.set_phase(
            moment.phase if moment.update is None else Phase.UPDATE, _done_phases(moment)
        )
        self._refresh_loss_plot()
        self._refresh_status()
        self._refresh_actions()
        self._refresh_data_view(studio.network)
        self._refresh_timeline()
        self._refresh_title()

    def _refresh_view(self) -> None:
        moment = self.studio.moment()
        self.canvas.set_moment(moment)
        self.canvas.set_hidden(self.studio.quiz.question)
        self.canvas.set_selection(self.studio.selection)
        self._explain(moment)
        data = self.studio.data
        if data is not None and self.studio.can_train:
            targets = data.train.targets_for_loss(self.studio.network.loss_name)
            self.data_panel.show_moment(moment, data.train, targets)

    def _explain(self, moment: Moment) -> None:
        """The explanation of the selection, unless a quiz question would give it away."""
        question = self.studio.quiz.question
        if question is not None:
            self.explanation.show_page(
                f"<p><b>Quiz</b></p><p>{html.escape(question.prompt)}</p><p style='color:#5f6368'>"
                "Answer in the Quiz panel; the explanation comes back once it is answered or "
                "revealed.</p>"
            )
            self.quiz_dock.show()
            self.quiz_dock.raise_()
            return
        intro = None
        spec = self.studio.data_spec
        if self.studio.selection is None and spec.kind == "example" and spec.name == "glossary":
            intro = glossary_page(moment.phase if moment.update is None else Phase.UPDATE)
        if intro is not None:
            self.explanation.show_page(intro, moment)
        else:
            self.explanation.show(moment, self.studio.selection)

    def _refresh_loss_plot(self) -> None:
        evaluations = self.studio.evaluations
        self.loss_plot.set_test_history(*evaluations.test_curve())
        self.loss_plot.set_validation_history(*evaluations.test_curve("validation"))
        self.loss_plot.set_history(*self.studio.losses())

    def _show_runs(self) -> None:
        """The kept earlier runs: faded on the loss plot, listed in Compare runs."""
        studio = self.studio
        runs = studio.runs
        current = None
        if studio.trainer is not None:
            data = studio.data.raw.name if studio.data is not None else None
            current = run_label(
                studio.settings, studio.network, studio.step_count, studio.changes, data
            )
        self.loss_plot.set_runs(runs, current)
        self.runs_list.set_runs(runs)

    def _on_breakpoints_edited(self, breakpoints: tuple) -> None:
        self._command(self.studio.set_breakpoints, breakpoints)

    def _on_data_view_shown(self, visible: bool) -> None:
        """The data view is drawn only while it shows: draw it when it comes into view."""
        if visible and not self.player.threaded:
            self._refresh_data_view(self.studio.network)

    def _refresh_data_view(self, network: Network | None) -> None:
        data = self.studio.data
        if network is None or data is None or not self.data_view_dock.isVisible():
            self.canvas.set_node_images(None)
            return
        self.data_view.set_network(network)
        self.data_view.refresh()
        images = None
        if data.raw.inputs == 2 and len(network.layers) > 1:
            images = self.data_view.neuron_images(network, size=32)
        self.canvas.set_node_images(images)

    def _refresh_status(
        self, step: int | None = None, epoch: int | None = None, batch: int | None = None
    ) -> None:
        studio = self.studio
        trainer = studio.trainer
        if trainer is None:
            self.status.setText("No data")
            return
        step = trainer.step_count if step is None else step
        epoch = trainer.epoch if epoch is None else epoch
        batch = (trainer.batch_index if batch is None else batch) + 1
        evaluation = studio.evaluation
        text = (
            f"Step {step:,}  ·  epoch {epoch:,} (next batch {batch} of {trainer.batches_per_epoch})"
        )
        if evaluation is not None:
            text += (
                f"  ·  loss on all {trainer.samples:,} training samples: "
                f"{evaluation.train_loss:.6g}{evaluation.describe()}"
            )
        self.status.setText(text)

    def _refresh_title(self) -> None:
        studio = self.studio
        title = studio.network.describe() if studio.network else ""
        self.setWindowTitle(f"{studio.name}{' *' if studio.dirty else ''} — {title} — BP Studio")

    def _refresh_undo(self) -> None:
        studio = self.studio
        self.undo_action.setEnabled(studio.can_undo)
        self.redo_action.setEnabled(studio.can_redo)
        self.undo_action.setText(f"Undo {studio.undo_text}" if studio.can_undo else "Undo")
        self.redo_action.setText(f"Redo {studio.redo_text}" if studio.can_redo else "Redo")

    def _refresh_actions(self) -> None:
        studio = self.studio
        can_step = studio.can_train and not self.player.playing
        for action in (
            self.next_phase_action,
            self.next_layer_action,
            self.step_batch_action,
            self.step_epoch_action,
            self.back_action,
        ):
            action.setEnabled(can_step)
        trainer = studio.trainer
        online = trainer is not None and trainer.batch_size == 1  # a trainer: can_train
        self.step_sample_action.setEnabled(can_step and online)
        self.step_sample_action.setToolTip(
            "One whole step on the next sample (S)"
            if online
            else "Set Batch size to 1 to step one sample at a time (S)"
        )
        self.play_action.setEnabled(studio.can_train)
        self.check_gradients_action.setEnabled(studio.can_train and not self.learning.checking)

    def _refresh_timeline(self, step: int | None = None) -> None:
        studio = self.studio
        slider = self.timeline
        slider.blockSignals(True)
        try:
            history = studio.history
            last = history.last_step if len(history) else 0
            step = studio.step_count if step is None else step
            slider.setRange(0, max(last, step))
            slider.setValue(step)
            slider.setEnabled(studio.can_train and not self.player.playing and last > 0)
            self.timeline_label.setText(f" step {step:,} of {max(last, step):,} ")
        finally:
            slider.blockSignals(False)

    def _on_frame(self, publication: Publication, heavy: bool) -> None:
        """While a run works in the thread: draw its latest state."""
        display = self._display_network
        if display is None or display.parameters.shape != publication.parameters.shape:
            display = self._display_network = self.studio.network.copy()
        np.copyto(display.parameters, publication.parameters)
        self.canvas.set_moment(
            Moment(
                network=display,
                step_number=publication.step_count,
                output_names=self.studio.output_names(),
            )
        )
        self.canvas.viewport().repaint()  # now, so that its cost counts in the display interval
        self.loss_plot.append_history(
            publication.new_step_losses,
            publication.new_epoch_losses,
            publication.new_epoch_end_steps,
        )
        if heavy:
            evaluations = self.studio.evaluations
            self.loss_plot.set_test_history(*evaluations.test_curve())
            self.loss_plot.set_validation_history(*evaluations.test_curve("validation"))
            self._refresh_data_view(display)
            self.loss_plot.plot.repaint()
            self.data_view.repaint()
        self.learning.refresh_live(display, heavy)
        self._refresh_status(publication.step_count, publication.epoch, publication.batch_index)
        self._refresh_timeline(publication.step_count)
        self.phase_indicator.set_phase(
            None,
            (),
            hint=f"Training: step {publication.step_count:,}, epoch {publication.epoch:,}. "
            "Space pauses; then step through a step's phases.",
        )
        self.explanation.show_page(_run_page(publication, self.studio.evaluation))

    # -- commands -------------------------------------------------------------------------------

    def next_phase(self) -> bool:
        return self._command(self.studio.next_phase)

    def next_layer(self) -> bool:
        return self._command(self.studio.next_layer)

    def step_batch(self) -> bool:
        return self._command(self.studio.step)

    def step_sample(self) -> bool:
        trainer = self.studio.trainer
        if trainer is None or trainer.batch_size != 1:
            return False
        return self._command(self.studio.step)

    def step_epoch(self) -> bool:
        """Finish the current epoch: small epochs at once, large ones in the background."""
        studio = self.studio
        if not studio.can_train or self.player.playing:
            return False
        trainer = studio.trainer
        assert trainer is not None  # can_train: there is a trainer
        steps = studio.steps_left_in_epoch
        if studio.phase is None and steps * trainer.samples > LARGE_EPOCH:
            return self.player.start(steps=steps)
        return self._command(studio.step_epoch)

    def back(self) -> bool:
        if self.player.playing:
            return False
        try:
            return self.studio.back()
        except StudioError as exc:
            self.show_problem(_sentence(str(exc)))
            return False

    def toggle_play(self) -> None:
        if not self.player.playing:
            self.message_bar.hide()
        self.player.toggle()

    def go_to_step(self, step: int) -> bool:
        """Show training as it was at ``step`` (backwards or forwards in the history)."""
        if self.player.playing:
            return False
        return self._command(self.studio.rewind, step)

    def reset(self) -> bool:
        """New initial weights from the seed; asks first when there is training to lose."""
        self.player.stop()
        studio = self.studio
        here, later = studio.step_count, studio.later_steps
        if here + later > 0:
            trained = f"the {here:,} steps trained so far"
            if later:
                trained = (
                    f"the {here:,} steps up to here and the {later:,} later steps on the timeline"
                )
            answer = QMessageBox.question(
                self,
                "Reset the network?",
                f"Reset draws new initial weights from the seed: {trained} are set aside "
                "(the run stays on the loss plot under Compare runs, and Edit ▸ Undo brings it "
                "back). Reset?",
                QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Reset:
                return False
        self.message_bar.hide()
        return self._command(studio.reset)

    def undo(self) -> bool:
        self.player.stop()
        return self._command(self.studio.undo)

    def redo(self) -> bool:
        self.player.stop()
        return self._command(self.studio.redo)

    def confirm_change_in_the_past(self) -> bool:
        """Before a change at an earlier moment: dropping the later history needs a yes."""
        later = self.studio.later_steps
        if later <= 0 or self.player.playing:
            return True
        answer = QMessageBox.question(
            self,
            "Change the past?",
            f"You are at step {self.studio.step_count:,}. Changing something here continues "
            f"training from this moment and drops the {later:,} later steps. Go on?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def edit_weight(self, layer: int, unit: int, input_: int, value: float) -> bool:
        if self.player.playing or not self.confirm_change_in_the_past():
            return False
        if self._command(self.studio.edit_weight, layer, unit, input_, value):
            self.say("Weight changed: the step starts over with the new value.")
            return True
        return False

    def edit_bias(self, layer: int, unit: int, value: float) -> bool:
        if self.player.playing or not self.confirm_change_in_the_past():
            return False
        if self._command(self.studio.edit_bias, layer, unit, value):
            self.say("Bias changed: the step starts over with the new value.")
            return True
        return False

    def _on_settings_edited(self, settings: Settings) -> None:
        studio = self.studio
        old = studio.settings
        changes = {
            name: getattr(settings, name)
            for name in settings.__dataclass_fields__
            if getattr(settings, name) != getattr(old, name)
        }
        if not changes:
            return
        architecture = settings.architecture() != old.architecture()
        trained = studio.step_count + studio.later_steps
        if architecture:
            self.player.stop()
        elif not self.confirm_change_in_the_past():
            self.settings_panel.set_settings(old)
            return
        if not self._command(studio.set, **changes):
            self.settings_panel.set_settings(studio.settings)
        elif architecture and trained:
            self.say(_NEW_RUN.format(what="Another architecture", steps=trained), 10000)

    def _on_data_spec_edited(self, spec: DataSpec) -> None:
        studio = self.studio
        if spec.kind == "rows" and studio.rows is None:
            self.data_settings.set_spec(studio.data_spec, studio.data.raw if studio.data else None)
            self.open_data_dialog()
            return
        rows = studio.rows if spec.kind == "rows" else None
        if spec.features and _raw_inputs(spec, rows) != 2:
            spec = replace(spec, features=())
        self.player.stop()
        trained = studio.step_count + studio.later_steps
        if not self._command(studio.set_data, spec, rows):
            self.data_settings.set_spec(studio.data_spec, studio.data.raw if studio.data else None)
        elif trained:
            self.say(_NEW_RUN.format(what="Other data", steps=trained), 10000)

    def use_example(self, name: str) -> bool:
        self.player.stop()
        return self._command(self.studio.use_example, name)

    def open_data_dialog(self) -> None:
        path = self.files.ask_open("data", "Open data", "CSV files (*.csv);;All files (*)")
        if not path:
            return
        from bp_studio.ui.csv_import import open_csv

        dataset = open_csv(self, path)
        if dataset is not None:
            self.player.stop()
            self._command(self.studio.use_rows, dataset)

    def open_data(self, path: str, target_columns: list[str] | None = None) -> bool:
        """Train on a CSV file (no dialog): its last column, or ``target_columns``, as targets."""
        from bp_studio.data.csv_table import DataError
        from bp_studio.data.table_import import read_dataset

        try:
            dataset = read_dataset(path, target_columns)
        except (DataError, ValueError) as exc:
            self.show_problem(f"Could not use the data: {exc}")
            return False
        self.player.stop()
        return self._command(self.studio.use_rows, dataset)

    def _on_points_edited(self, raw_train: Dataset) -> None:
        self.player.stop()
        self._command(self.studio.edit_points, raw_train)

    def _on_node_hovered(self, selection: Selection | None) -> None:
        network = self.studio.network
        if (
            selection is not None
            and selection.kind == "node"
            and network is not None
            and 0 < selection.layer < len(network.layers)
        ):
            if self.studio.quiz.question is None:  # its map would give the answer away
                self.data_view.show_neuron(selection.layer, selection.unit)
        else:
            self.data_view.show_output()

    def _on_speed_changed(self, value: int) -> None:
        self.speed_label.setText(SPEED_LABELS[value])
        self.speed.setToolTip(f"Play speed: {SPEEDS[value][0].lower()}")
        self.speed_label.setToolTip(SPEEDS[value][0])
        self.player.set_speed(value)

    def _on_playing_changed(self, playing: bool) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_action.setIcon(self.style().standardIcon(icon))
        self.play_action.setText("Pause" if playing else "Play")
        self.canvas.set_editable(not playing)
        self._refresh_actions()
        if not playing:
            self.refresh()

    # -- help and window state ------------------------------------------------------------------

    def docks(self) -> list[QDockWidget]:
        return [
            self.settings_dock,
            self.explain_dock,
            self.data_dock,
            self.data_view_dock,
            self.code_dock,
            self.quiz_dock,
            self.runs_dock,
            self.diagnostics_dock,
        ]

    def show_code(self) -> None:
        """Show the code view (the NumPy code of this training) beside the network."""
        self.code_dock.show()
        self.code_dock.raise_()
        self.code_view.refresh()

    @property
    def code_view(self) -> CodeView:
        """The code view, built the first time it is needed."""
        if self._code_view is None:
            from bp_studio.ui.code_view import CodeView

            self._code_view = CodeView(self.studio)
            self.code_dock.setWidget(self._code_view)
        return self._code_view

    def _on_code_shown(self, visible: bool) -> None:
        if visible:
            self.code_view.refresh()

    def show_quiz(self) -> None:
        self.quiz_dock.show()
        self.quiz_dock.raise_()

    def show_shortcuts(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(commands.shortcuts_table())
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
        """The remembered size, position and docks, kept inside the screen the window opens
        on; on first start a size that suits the screen (90 % of it, at most 1500 x 940)."""
        settings = app_settings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            area = self._available()
            if area.width() < 1400 or area.height() < 850:  # a laptop or a projector: all of it
                self.resize(area.width(), area.height())
                self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
            else:
                self.resize(min(1600, int(area.width() * 0.9)), min(1000, int(area.height() * 0.9)))
        self.fit_to_screen()
        if state is not None:
            self.restoreState(state)
        else:  # first start: once the window has its size, share the width out
            QTimer.singleShot(0, self._default_dock_sizes)

    def _available(self) -> QRect:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry()

    def fit_to_screen(self) -> None:
        """Move and shrink the window so that all of it lies inside the available screen area
        (a geometry remembered on a larger screen must not open off-screen)."""
        if self.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            return  # the window manager keeps it on the screen
        area = self._available()
        frame = self.frameGeometry()
        extra_w = frame.width() - self.width()
        extra_h = frame.height() - self.height()
        least = self.minimumSizeHint()
        width = max(min(self.width(), area.width() - extra_w), least.width())
        height = max(min(self.height(), area.height() - extra_h), least.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), area.left()), area.right() + 1 - frame.width())
        y = min(max(frame.y(), area.top()), area.bottom() + 1 - frame.height())
        self.move(max(x, area.left()), max(y, area.top()))

    def _default_dock_sizes(self) -> None:
        """The network gets the most room: the side columns take what they need, the loss
        plot a quarter of the height, the data view 40 % of the right column."""
        wide = self.width() >= 1600
        self.resizeDocks(
            [self.settings_dock, self.explain_dock],
            [SETTINGS_WIDTH[1] + 40 * wide, EXPLAIN_WIDTH[1] + 80 * wide],
            Qt.Orientation.Horizontal,
        )
        column = self.centre.height()  # the right column is as tall as the centre
        self.resizeDocks(
            [self.explain_dock, self.data_view_dock],
            [column - column * 2 // 5, column * 2 // 5],
            Qt.Orientation.Vertical,
        )
        height = self.centre.height()
        self.centre.setSizes([height - height // 4, height // 4])

    def showEvent(self, event: QShowEvent) -> None:  # Qt's override name
        super().showEvent(event)
        if not self._shown:  # the frame's size is known once shown: keep all of it on screen
            self._shown = True
            QTimer.singleShot(0, self.fit_to_screen)
            QTimer.singleShot(300, self.fit_to_screen)  # after the window manager's frame

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's override name
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.player.stop()
        self.learning.wait()  # a check's result must not arrive at a closed window
        self.autosave_timer.stop()
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.files.remove_autosave()
        self.bridge.detach()
        event.accept()


def _run_page(publication: Publication, evaluation: Evaluation | None) -> str:
    """The explanation while training runs at full speed."""
    loss = ""
    if evaluation is not None:
        loss = (
            f"<p>Loss on all the training data: <b>{evaluation.train_loss:.4g}</b>"
            f"{html.escape(evaluation.describe())}</p>"
        )
    return (
        f"<p><b><span style='font-size:large'>Training: step {publication.step_count:,}"
        f"</span></b></p><p style='color:#5f6368'>Epoch {publication.epoch:,}, next batch "
        f"{publication.batch_index + 1}</p>{loss}<p>At full speed each step still runs the "
        "four phases, forward, error, backward and update, but their records are not kept. "
        "Press <b>Space</b> to pause, then <b>Next layer</b> or <b>Next phase</b> to see the "
        "numbers of the next step, or scrub the timeline back to any step.</p>"
    )


def _done_phases(moment: Moment) -> tuple[Phase, ...]:
    """The phases finished in the step the moment shows."""
    if moment.update is not None:
        return (Phase.FORWARD, Phase.ERROR, Phase.BACKWARD)
    if moment.phase is None:
        return ()  # between steps the nodes show a preview, no phase of a step is done
    done = []
    if moment.forward_layers and len(moment.forward_layers) == len(moment.network.layers):
        done.append(Phase.FORWARD)
    if moment.error is not None:
        done.append(Phase.ERROR)
    if moment.backward_layers and 0 in moment.backward_layers:
        done.append(Phase.BACKWARD)
    return tuple(done)


def _raw_inputs(spec: DataSpec, rows: Dataset | None) -> int:
    """How many raw inputs the data of ``spec`` has (0 if it cannot be loaded)."""
    from bp_studio.data.csv_table import DataError

    try:
        return load_raw(spec, rows).inputs
    except (DataError, ValueError):
        return 0


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
