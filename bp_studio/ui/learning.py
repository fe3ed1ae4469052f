"""Why is it (not) learning, in the window: the diagnostics dock, the gradient check, the badges.

``Learning`` holds the window's part of it (as ``FileActions`` holds the files): the
Diagnostics dock, whose view is built the first time it shows (five plots: not needed to open
the window); the gradient check, run in the background (a large network takes seconds) and
shown on the edges, in the explanation panel and in the view; the badges on saturated and
dead units; the health's formulas in the explanation panel. The figures come from the studio
(``Studio.diagnostics``, ``Studio.check_gradients``); nothing here computes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from bp_studio.engine import Network
from bp_studio.engine.gradcheck import GradientCheck
from bp_studio.studio.explain_diagnostics import (
    explain_gradient_check,
    explain_health,
    training_progress,
)
from bp_studio.ui.background import Job

if TYPE_CHECKING:
    from bp_studio.ui.diagnostics_view import DiagnosticsView
    from bp_studio.ui.main_window import MainWindow


class Learning(QObject):
    """The diagnostics dock, the gradient check and the unit badges of ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.studio = window.studio
        self.gradient_check: GradientCheck | None = None
        """The last gradient check's result (``None`` before one, or once it no longer
        applies: another network or document)."""
        self._job: Job | None = None
        self._view: DiagnosticsView | None = None
        self.dock = QDockWidget("Diagnostics", window)
        self.dock.setObjectName("diagnostics_dock")
        self.dock.setWidget(QWidget())  # the view comes when the dock first shows
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.visibilityChanged.connect(self._on_shown)

    # -- the diagnostics view ------------------------------------------------------------------

    @property
    def view(self) -> DiagnosticsView:
        """The diagnostics view, built the first time it is needed."""
        if self._view is None:
            from bp_studio.ui.diagnostics_view import DiagnosticsView

            view = DiagnosticsView(self.studio)
            view.explain_requested.connect(self.explain_health)
            view.show_gradient_check(self.gradient_check)
            self._view = view
            self.dock.setWidget(view)
        return self._view

    @property
    def built(self) -> bool:
        """Whether the view exists (it is built when the dock first shows)."""
        return self._view is not None

    def show(self) -> None:
        """Show the diagnostics: gradient flow, update ratios, distributions, health."""
        self.dock.show()
        self.dock.raise_()
        self.view.refresh()

    def refresh(self) -> None:
        """After a step, a run or a new document: the view (while it shows) and the badges."""
        self.show_health()
        if self._view is not None:
            self._view.refresh()  # nothing to do while it is hidden

    def refresh_live(self, network: Network, heavy: bool) -> None:
        """The display tick of a run in the thread: the view's cheap redraw; the badges on
        the heavy frames (``network`` is the one drawn)."""
        if heavy:
            self.show_health(network)
        if self._view is not None:
            self._view.refresh_live()  # nothing to do while it is hidden

    def _on_shown(self, visible: bool) -> None:
        if visible:
            self.view.refresh()

    # -- badges and the health explained -------------------------------------------------------

    def show_health(self, network: Network | None = None) -> None:
        """Badges on saturated and dead units: the health at the step shown (``network``
        given: a run works in the thread, the newest measurement), none before a step or
        when it does not fit the network drawn."""
        if network is None:
            network = self.studio.network
            health = self.studio.health_now()
        else:
            health = self.studio.diagnostics.latest
        fits = (
            health is not None
            and network is not None
            and len(health) == len(network.layers)
            and all(h.units == layer.units for h, layer in zip(health, network.layers))
        )
        # A network that has learned is not warned about: saturated units are expected
        # there (the diagnostics view says so in words).
        self.window.canvas.set_unit_health(health if fits and not self.learned() else None)

    def learned(self) -> bool:
        """Whether the network has learned (``TrainingProgress.learned``: every training
        sample right, or the loss below 1 % of the first step's)."""
        trainer = self.studio.trainer
        if trainer is None:
            return False
        progress = training_progress(self.studio.evaluation, trainer.step_losses[:1])
        return progress is not None and progress.learned

    def explain_health(self) -> None:
        """The layer health at the step shown with every formula and its numbers, in the
        explanation panel."""
        studio = self.studio
        health = studio.health_now()
        if not health:
            return
        progress = training_progress(studio.evaluation, studio.losses()[0])
        page = explain_health(health, studio.precision, studio.network.loss_name, progress)
        self._explain(page)

    # -- the gradient check --------------------------------------------------------------------

    @property
    def checking(self) -> bool:
        return self._job is not None and self._job.running

    def check_gradients(self) -> bool:
        """Check backpropagation's gradient of the current step against finite differences,
        in the background; the explanation panel, the view and the edges show the result.
        ``False`` when there is nothing to check or a check is running."""
        window = self.window
        if not self.studio.can_train or self.checking:
            return False
        window.player.stop()
        job = Job(self.studio.check_gradients, self)
        job.done.connect(self._show_check)
        job.failed.connect(self._check_failed)
        self._job = job
        window.check_gradients_action.setEnabled(False)
        window.say("Checking gradients: every parameter nudged by ±h …", 0)
        job.start()
        return True

    def forget_check(self) -> None:
        """Another document or network: the last check no longer applies (the canvas drops
        it by itself on the next step)."""
        self.gradient_check = None
        if self._view is not None:
            self._view.show_gradient_check(None)

    def wait(self) -> None:
        """Until a running check is done (closing the window: its result must not arrive at
        a closed window)."""
        if self._job is not None:
            self._job.wait()

    def _show_check(self, check: GradientCheck) -> None:
        window = self.window
        window.check_gradients_action.setEnabled(True)
        self.gradient_check = check
        window.canvas.set_moment(self.studio.moment())
        window.canvas.set_gradient_check(check)
        if self._view is not None:
            self._view.show_gradient_check(check)
        self._explain(explain_gradient_check(check, self.studio.network, self.studio.precision))
        verdict = "passed" if check.passed else "FAILED"
        window.say(
            f"Gradient check {verdict}: worst relative error {check.worst:.2e} over "
            f"{len(check.indices):,} parameters",
            10000,
        )

    def _check_failed(self, message: str) -> None:
        window = self.window
        window.check_gradients_action.setEnabled(True)
        window.statusBar().clearMessage()
        window.show_problem(f"The gradient check could not run: {message}")

    def _explain(self, page: str) -> None:
        window = self.window
        window.explanation.show_page(page, self.studio.moment())
        window.explain_dock.show()
        window.explain_dock.raise_()
