"""The window's file and time commands: sessions, weight export/import, figures, rewind,
autosave and crash recovery. A mixin of ``MainWindow``, kept apart to keep each module to
one job: everything here reads or restores the window's state through the engine and
``bp_studio.io``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSettings, QSize, QStandardPaths
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QMessageBox

from bp_studio.data.examples import Dataset
from bp_studio.data.source import DataSpec, prepare
from bp_studio.engine import TrainingHistory, rewind
from bp_studio.io.atomic import AtomicWriteError, atomic_write_bytes, atomic_write_text
from bp_studio.io.export import WeightFileError, export_weights, import_weights
from bp_studio.io.session import Session, SessionFileError, load_session, save_session
from bp_studio.ui.settings_panel import HiddenLayer, Settings

AUTOSAVE_MS = 60_000
AUTOSAVE_NAME = "autosave.bpsession"
MAX_RECENT = 8
EXPORT_FILTERS = {
    "json": "BP Studio network (*.json)",
    "npz": "NumPy arrays, PyTorch names (*.npz)",
    "csv": "Spreadsheet table (*.csv)",
    "onnx": "ONNX model (*.onnx)",
}


def settings_to_dict(settings: Settings) -> dict:
    return dataclasses.asdict(settings)


def settings_from_dict(data: dict) -> Settings:
    """Window settings from a session; ``ValueError`` names a field that does not fit."""
    try:
        values = dict(data)
        values["hidden"] = tuple(HiddenLayer(**h) for h in values.get("hidden", ()))
        return Settings(**values)
    except TypeError as exc:
        raise ValueError(f"settings: {exc}") from None


def app_settings() -> QSettings:
    """The window's remembered settings (layout, recent files)."""
    return QSettings("BP Studio", "BP Studio")


def autosave_path() -> Path:
    """Where the session is autosaved (the user's application-data folder)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder or Path.home() / ".bp-studio") / AUTOSAVE_NAME


class FilesMixin:
    """Session, export and rewind commands of the main window."""

    # -- sessions ------------------------------------------------------------------------

    def capture_session(self) -> Session:
        """The whole session now: network, trainer state, settings, data and history."""
        settings = {
            "window": settings_to_dict(self.settings_value),
            "data_spec": self.data_spec.to_dict(),
            "precision": self.precision,
        }
        if self.data_spec.kind == "rows" and self.rows is not None:
            rows = self.rows
            data = {
                "rows": {
                    "X": rows.X.tolist(),
                    "T": rows.T.tolist(),
                    "input_names": list(rows.input_names),
                    "target_names": list(rows.target_names),
                    "classes": None if rows.classes is None else list(rows.classes),
                }
            }
        else:
            data = {"generator": "bp-studio.data-spec", "params": self.data_spec.to_dict()}
        return Session.capture(self.trainer, settings, data, self.history)

    def save_session(self, path: str) -> bool:
        """Write the session atomically; a failed write says so and keeps the old file."""
        if self.trainer is None:
            self.message_bar.show_message("There is no training session to save (no data).")
            return False
        self.stop_play()
        try:
            save_session(path, self.capture_session())
        except (AtomicWriteError, OSError, ValueError) as exc:
            self.message_bar.show_message(f"The session was not saved: {exc}")
            return False
        self.session_path = path
        self.dirty = False
        self._add_recent(path)
        self.statusBar().showMessage(f"Saved session {path}", 5000)
        self._refresh_status()
        return True

    def open_session(self, path: str, *, confirm: bool = True) -> bool:
        """Open a session file; on any problem say so and keep the current session."""
        if confirm and not self._confirm_discard():
            return False
        try:
            session = load_session(path)
            self._restore_session(session)
        except (SessionFileError, ValueError, LookupError) as exc:
            self.message_bar.show_message(f"Could not open the session: {exc}")
            return False
        self.session_path = path
        self.network_path = None
        self._add_recent(path)
        self.dirty = False
        self._refresh_status()
        return True

    def _restore_session(self, session: Session) -> None:
        settings = session.settings
        window = settings_from_dict(settings.get("window", {}))
        spec = DataSpec.from_dict(settings.get("data_spec", {}))
        rows = None
        if session.data is not None and "rows" in session.data:
            raw = session.data["rows"]
            T = np.asarray(raw["T"], dtype=np.float64)
            rows = Dataset(
                spec.name,
                spec.name,
                np.asarray(raw["X"], dtype=np.float64),
                T.reshape(-1, 1) if T.ndim == 1 else T,
                tuple(raw.get("input_names") or [f"x{i + 1}" for i in range(raw["X"].shape[1])]),
                tuple(raw.get("target_names") or ["y"]),
                classes=None if raw.get("classes") is None else tuple(map(str, raw["classes"])),
                source=spec.name,
            )
        data = prepare(spec, rows)
        targets = data.train.targets_for_loss(session.network.loss_name)
        trainer = session.make_trainer(data.train.X, targets)  # checks that everything fits
        self.stop_play()
        self.settings_value = window
        self.settings_panel.set_settings(window)
        self.data_spec, self.rows, self.data = spec, rows, data
        self.data_settings.set_spec(spec, data.raw)
        self.network = trainer.network
        self.trainer = trainer
        self.history = session.history or TrainingHistory()
        if session.history is None:
            self.history.record(trainer)
        self.selection = None
        self.sample = 0
        self._reset_evaluations()
        self._data_view_data()
        self.refresh()
        self.canvas.fit()

    def _on_save_session(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save session",
            self.session_path or "session.bpsession",
            "BP Studio session (*.bpsession)",
        )
        return bool(path) and self.save_session(path)

    def _on_open_session(self) -> None:
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Open session", "", "BP Studio session (*.bpsession);;All files (*)"
        )
        if path:
            self.open_session(path, confirm=False)

    # -- recent files --------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = app_settings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(p) for p in (value or [])]

    def _add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [p for p in self.recent_files() if p != path]
        app_settings().setValue("recent_files", ([path] + recent)[:MAX_RECENT])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self.recent_files()
        for path in recent:
            action = QAction(os.path.basename(path), menu)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
            menu.addAction(action)
        menu.setEnabled(bool(recent))

    def open_path(self, path: str) -> bool:
        """Open a session (``.bpsession``) or a network file (anything else)."""
        if path.endswith(".bpsession"):
            return self.open_session(path)
        if not self._confirm_discard():
            return False
        return self.open_network(path)

    # -- weights -------------------------------------------------------------------------

    def export_weights_to(self, path: str, fmt: str) -> bool:
        try:
            export_weights(self.network, path, fmt)
        except (AtomicWriteError, OSError, ValueError, ImportError) as exc:
            self.message_bar.show_message(f"The weights were not exported: {exc}")
            return False
        self.statusBar().showMessage(f"Exported the weights to {path}", 5000)
        return True

    def _on_export_weights(self) -> None:
        self.stop_play()
        filters = ";;".join(EXPORT_FILTERS.values())
        path, chosen = QFileDialog.getSaveFileName(self, "Export weights", "weights.json", filters)
        if not path:
            return
        fmt = next((k for k, v in EXPORT_FILTERS.items() if v == chosen), None)
        suffix = Path(path).suffix.lstrip(".").lower()
        fmt = suffix if suffix in EXPORT_FILTERS else (fmt or "json")
        if not Path(path).suffix:
            path += "." + fmt
        self.export_weights_to(path, fmt)

    def import_weights_from(self, path: str) -> bool:
        """Copy weights from a json or npz file into the network when every shape matches."""
        self.stop_play()
        try:
            import_weights(self.network, path)
        except (WeightFileError, ValueError, OSError) as exc:
            self.message_bar.show_message(f"The weights were not imported: {exc}")
            return False
        self._after_edit("Imported the weights of " + os.path.basename(path))
        return True

    def _on_import_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import weights", "", "Weights (*.json *.npz);;All files (*)"
        )
        if path:
            self.import_weights_from(path)

    # -- figures and logs ----------------------------------------------------------------

    def export_diagram(self, path: str) -> bool:
        """The network diagram as it looks now, as PNG or SVG (by the file's suffix)."""
        try:
            if path.lower().endswith(".svg"):
                data = self._diagram_svg()
            else:
                data = _png_bytes(self.canvas.render_to_image(1600, 1000))
            atomic_write_bytes(path, data)
        except (AtomicWriteError, OSError) as exc:
            self.message_bar.show_message(f"The diagram was not exported: {exc}")
            return False
        self.statusBar().showMessage(f"Exported the diagram to {path}", 5000)
        return True

    def _diagram_svg(self) -> bytes:
        scene = self.canvas.scene()
        rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        target = QRectF(0, 0, rect.width(), rect.height())
        return _svg_bytes(
            lambda painter: scene.render(painter, target, rect),
            rect.width(),
            rect.height(),
            "BP Studio network",
            self.network.describe(),
        )

    def export_loss_csv(self, path: str) -> bool:
        """step, epoch, train loss, test loss, accuracy, test accuracy: one row per step."""
        trainer = self.trainer
        if trainer is None:
            return False
        losses = np.frombuffer(trainer.step_losses, dtype=float)
        ends = np.asarray(trainer.epoch_end_steps, dtype=np.int64)
        epochs = np.searchsorted(ends, np.arange(1, len(losses) + 1), side="left") + 1
        measured = dict(zip(self.evaluations.steps, self.evaluations.items))
        lines = ["step,epoch,train_loss,test_loss,train_accuracy,test_accuracy"]
        for step, (epoch, loss) in enumerate(zip(epochs, losses), start=1):
            e = measured.get(step)
            cells = [str(step), str(int(epoch)), repr(float(loss))]
            for value in (
                None if e is None else e.test_loss,
                None if e is None else e.train_accuracy,
                None if e is None else e.test_accuracy,
            ):
                cells.append("" if value is None else repr(float(value)))
            lines.append(",".join(cells))
        try:
            atomic_write_text(path, "\n".join(lines) + "\n")
        except (AtomicWriteError, OSError) as exc:
            self.message_bar.show_message(f"The loss history was not exported: {exc}")
            return False
        self.statusBar().showMessage(f"Exported the loss history to {path}", 5000)
        return True

    def export_loss_plot(self, path: str) -> bool:
        """The loss plot as PNG (pyqtgraph's ImageExporter) or SVG, written atomically.

        pyqtgraph's SVGExporter fails on the path data of Qt 6.11, so the SVG is drawn with
        Qt's own QSvgGenerator, as the diagram is.
        """
        plot = self.loss_plot.plot
        try:
            if path.lower().endswith(".svg"):
                size = plot.size()
                data = _svg_bytes(
                    lambda painter: plot.render(painter),
                    size.width(),
                    size.height(),
                    "BP Studio loss",
                    self.loss_plot.summary.text(),
                )
            else:
                from pyqtgraph.exporters import ImageExporter

                exporter = ImageExporter(plot.getPlotItem())
                exporter.parameters()["width"] = 1600
                data = _png_bytes(exporter.export(toBytes=True))
            atomic_write_bytes(path, data)
        except (AtomicWriteError, OSError) as exc:
            self.message_bar.show_message(f"The loss plot was not exported: {exc}")
            return False
        self.statusBar().showMessage(f"Exported the loss plot to {path}", 5000)
        return True

    def _on_export_figure(self, what: str) -> None:
        self.stop_play()
        if what == "loss_csv":
            path, _ = QFileDialog.getSaveFileName(
                self, "Export loss history", "loss.csv", "CSV (*.csv)"
            )
            if path:
                self.export_loss_csv(path)
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export " + ("diagram" if what == "diagram" else "loss plot"),
            f"{what}.png",
            "PNG image (*.png);;SVG drawing (*.svg)",
        )
        if not path:
            return
        if what == "diagram":
            self.export_diagram(path)
        else:
            self.export_loss_plot(path)

    # -- rewind --------------------------------------------------------------------------

    def record_history(self) -> None:
        if self.trainer is not None and self.trainer.progress is None:
            self.history.record(self.trainer)
        self._refresh_timeline()

    def _refresh_timeline(self) -> None:
        slider = self.timeline
        slider.blockSignals(True)
        try:
            last = self.history.last_step if len(self.history) else 0
            step = self.trainer.step_count if self.trainer else 0
            slider.setRange(0, max(last, step))
            slider.setValue(step)
            slider.setEnabled(self.trainer is not None and not self.playing and last > 0)
            self.timeline_label.setText(f" step {step:,} of {max(last, step):,} ")
        finally:
            slider.blockSignals(False)

    def go_to_step(self, step: int) -> bool:
        """Show training as it was at ``step`` (backwards or forwards in the recorded history)."""
        if self.trainer is None or self.playing or not len(self.history):
            return False
        try:
            rewind(self.trainer, self.history, step)
        except (ValueError, LookupError) as exc:
            self.message_bar.show_message(f"Cannot go to step {step}: {exc}")
            return False
        self.history.attach(self.trainer)
        self._reset_evaluations()
        self.refresh()
        return True

    def back(self) -> bool:
        """Undo the last piece of work: a layer or phase of the step, or the last update."""
        trainer = self.trainer
        if trainer is None or self.playing:
            return False
        progress = trainer.progress
        if progress is not None:
            pieces = len(progress.forward_layers) + (progress.error is not None)
            pieces += len(progress.backward_layers)
            trainer.discard_progress()
            for _ in range(pieces - 1):
                trainer.next_layer()
            self.refresh()
            return True
        if trainer.step_count == 0 or not len(self.history):
            return False
        if not self.go_to_step(trainer.step_count - 1):
            return False
        for _ in range(2 * len(self.network.layers) + 1):
            trainer.next_layer()  # the step again, up to just before its update
        self.refresh()
        return True

    def _confirm_rewrite_history(self) -> bool:
        """Before a change at an earlier moment: dropping the later history needs a yes."""
        if self.trainer is None or not len(self.history):
            return True
        later = self.history.last_step - self.trainer.step_count
        if later <= 0:
            return True
        answer = QMessageBox.question(
            self,
            "Change the past?",
            f"You are at step {self.trainer.step_count:,}. Changing something here continues "
            f"training from this moment and drops the {later:,} later steps. Go on?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.history.truncate(self.trainer.step_count)
        return True

    # -- autosave and crash recovery -----------------------------------------------------

    def autosave(self) -> bool:
        """Save the session to the application-data folder (only when it changed)."""
        if self.trainer is None or not self.dirty or self.playing:
            return False
        path = autosave_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_session(str(path), self.capture_session())
        except (AtomicWriteError, OSError, ValueError):
            return False
        return True

    def remove_autosave(self) -> None:
        try:
            autosave_path().unlink()
        except OSError:
            pass

    def offer_recovery(self) -> bool:
        """After a crash (an autosave is left behind), offer to restore it."""
        path = autosave_path()
        if not path.exists():
            return False
        answer = QMessageBox.question(
            self,
            "Restore your work?",
            "BP Studio did not close normally last time. Restore the session autosaved at "
            "that time?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.remove_autosave()
            return False
        restored = self.open_session(str(path), confirm=False)
        if restored:
            self.session_path = None
            self.dirty = True
            self.statusBar().showMessage("Restored the autosaved session.", 8000)
        return restored


def _svg_bytes(render, width: float, height: float, title: str, description: str) -> bytes:
    """SVG text of what ``render(painter)`` draws on a ``width`` x ``height`` page."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtSvg import QSvgGenerator

    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(int(width), int(height)))
    generator.setViewBox(QRectF(0, 0, width, height))
    generator.setTitle(title)
    generator.setDescription(description)
    painter = QPainter(generator)
    render(painter)
    painter.end()
    buffer.close()
    return bytes(array.data())


def _png_bytes(image: QImage) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(array.data())
