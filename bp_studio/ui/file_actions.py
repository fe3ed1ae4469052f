"""The window's file commands: the dialogs around the studio's open and save, exports,
recent files, autosave and crash recovery.

The document is a session file: Save writes the session the document came from, Save As
and the close/open prompts offer a session, and the network file stays available under
Export. Everything read or written goes through the studio and ``bp_studio.io``; this
module only asks the user (file dialogs, questions) and reports (message bar, status bar).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QRectF, QSettings, QSize, QStandardPaths
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from bp_studio.io.atomic import AtomicWriteError, atomic_write_bytes
from bp_studio.studio import Studio, StudioError

if TYPE_CHECKING:
    from bp_studio.ui.main_window import MainWindow

AUTOSAVE_MS = 60_000
AUTOSAVE_NAME = "autosave.bpsession"
MAX_RECENT = 8
SESSION_FILTER = "BP Studio session (*.bpsession)"
EXPORT_FILTERS = {
    "json": "BP Studio network (*.json)",
    "npz": "NumPy arrays, PyTorch names (*.npz)",
    "csv": "Spreadsheet table (*.csv)",
    "onnx": "ONNX model (*.onnx)",
    "py": "Python script, NumPy only (*.py)",
}
WORKSHEET_FILTERS = {
    "md": "Markdown (*.md)",
    "html": "Web page (*.html)",
    "tex": "LaTeX (*.tex)",
}


def app_settings() -> QSettings:
    """The window's remembered settings (layout, recent files, dialog folders), in an INI
    file in the user's configuration folder (``QSettings.setPath`` moves it, as tests do)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "BP Studio", "BP Studio"
    )


def autosave_path() -> Path:
    """Where the session is autosaved (the user's application-data folder)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder or Path.home() / ".bp-studio") / AUTOSAVE_NAME


class FileActions(QObject):
    """File commands of ``window`` on its studio (``window.studio``)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.recent_menu: QMenu | None = None
        self._writer: threading.Thread | None = None

    @property
    def studio(self) -> Studio:
        return self.window.studio

    # -- dialogs that remember their folder ------------------------------------------------------

    def _folder(self, kind: str) -> str:
        value = app_settings().value(f"folders/{kind}", "")
        return str(value) if value and os.path.isdir(str(value)) else ""

    def _remember(self, kind: str, path: str) -> None:
        app_settings().setValue(f"folders/{kind}", os.path.dirname(os.path.abspath(path)))

    def ask_open(self, kind: str, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, title, self._folder(kind), filters)
        if path:
            self._remember(kind, path)
        return path

    def ask_save(self, kind: str, title: str, name: str, filters: str) -> tuple[str, str]:
        start = os.path.join(self._folder(kind), name) if not os.path.isabs(name) else name
        path, chosen = QFileDialog.getSaveFileName(self.window, title, start, filters)
        if path:
            self._remember(kind, path)
        return path, chosen

    # -- the document ---------------------------------------------------------------------------

    def confirm_discard(self) -> bool:
        """Before the document is closed or replaced: offer to save unsaved work (as a
        session). ``True`` to go on."""
        if not self.studio.dirty:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"{self.studio.name} has changed since it was last saved. Save the session first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return True

    def save(self) -> bool:
        """Save the session to its own file (Save As when untitled)."""
        if self.studio.path is None:
            return self.save_as()
        return self.save_to(self.studio.path)

    def save_as(self) -> bool:
        path, _ = self.ask_save(
            "sessions", "Save session", self.studio.path or "session.bpsession", SESSION_FILTER
        )
        if not path:
            return False
        if not path.endswith(".bpsession"):
            path += ".bpsession"
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        try:
            self.studio.save(path)
        except StudioError as exc:
            self.window.show_problem(str(exc).capitalize())
            return False
        self.add_recent(path)
        self.window.say(f"Saved {path}")
        return True

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path = self.ask_open(
            "sessions",
            "Open",
            "BP Studio files (*.bpsession *.json);;Sessions (*.bpsession);;"
            "Networks (*.json);;All files (*)",
        )
        if path:
            self.open_path(path, confirm=False)

    def open_path(self, path: str, *, confirm: bool = True) -> bool:
        """Open a session (the document) or a network file (a new untitled session on it);
        on any problem say so and keep the current work."""
        if confirm and not self.confirm_discard():
            return False
        self.window.player.stop()
        try:
            self.studio.load(path)
        except StudioError as exc:
            self.window.show_problem(f"Could not open {os.path.basename(path)}: {exc}")
            return False
        self.add_recent(path)
        return True

    def new(self) -> None:
        if not self.confirm_discard():
            return
        self.window.player.stop()
        self.studio.new()

    # -- recent files ---------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = app_settings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(p) for p in value] if isinstance(value, (list, tuple)) else []

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [p for p in self.recent_files() if p != path]
        app_settings().setValue("recent_files", ([path] + recent)[:MAX_RECENT])
        self.fill_recent_menu()

    def fill_recent_menu(self) -> None:
        menu = self.recent_menu
        if menu is None:
            return
        menu.clear()
        recent = self.recent_files()
        for path in recent:
            action = QAction(os.path.basename(path), menu)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
            menu.addAction(action)
        menu.setEnabled(bool(recent))

    # -- weights --------------------------------------------------------------------------------

    def export_weights_dialog(self) -> None:
        self.window.player.stop()
        filters = ";;".join(EXPORT_FILTERS.values())
        path, chosen = self.ask_save("exports", "Export weights", "weights.json", filters)
        if not path:
            return
        fmt = next((k for k, v in EXPORT_FILTERS.items() if v == chosen), None)
        suffix = Path(path).suffix.lstrip(".").lower()
        fmt = suffix if suffix in EXPORT_FILTERS else (fmt or "json")
        if not Path(path).suffix:
            path += "." + fmt
        self.export_weights_to(path, fmt)

    def export_weights_to(self, path: str, fmt: str) -> bool:
        try:
            from bp_studio.io.export import export_weights  # not needed to open the window

            export_weights(self.studio.network, path, fmt)
        except (AtomicWriteError, OSError, ValueError, ImportError) as exc:
            self.window.show_problem(f"The weights were not exported: {exc}")
            return False
        self.window.say(f"Exported the weights to {path}")
        return True

    def import_weights_dialog(self) -> None:
        path = self.ask_open("exports", "Import weights", "Weights (*.json *.npz);;All files (*)")
        if path:
            self.import_weights_from(path)

    def import_weights_from(self, path: str) -> bool:
        """Copy weights from a json or npz file into the network when every shape matches."""
        self.window.player.stop()
        if not self.window.confirm_change_in_the_past():
            return False
        try:
            self.studio.import_weights(path)
        except StudioError as exc:
            self.window.show_problem(str(exc).capitalize())
            return False
        self.window.say("Imported the weights of " + os.path.basename(path))
        return True

    # -- worksheets -----------------------------------------------------------------------------

    def export_worksheet_dialog(self) -> None:
        self.window.player.stop()
        filters = ";;".join(WORKSHEET_FILTERS.values())
        path, chosen = self.ask_save("exports", "Export worksheet", "worksheet.html", filters)
        if not path:
            return
        suffix = Path(path).suffix.lstrip(".").lower()
        fmt = suffix if suffix in WORKSHEET_FILTERS else None
        fmt = fmt or next((k for k, v in WORKSHEET_FILTERS.items() if v == chosen), "html")
        if not Path(path).suffix:
            path += "." + fmt
        self.export_worksheet(path, fmt)

    def export_worksheet(self, path: str, fmt: str) -> bool:
        """The current step as a worked solution (every number to the explanation's digits)."""
        from bp_studio.studio.worksheet import build, render

        studio = self.studio
        try:
            moment = studio.whole_step()
            text = render(build(moment, studio.precision, data_name=studio.data_spec.name), fmt)
            atomic_write_bytes(path, text.encode("utf-8"))
        except (StudioError, ValueError, AtomicWriteError, OSError) as exc:
            self.window.show_problem(f"The worksheet was not written: {exc}")
            return False
        assert moment.update is not None, "whole_step ends with the update"
        self.window.say(f"Wrote the worksheet of step {moment.update.step_number:,} to {path}")
        return True

    # -- figures and logs -----------------------------------------------------------------------

    def export_figure_dialog(self, what: str) -> None:
        self.window.player.stop()
        if what == "loss_csv":
            path, _ = self.ask_save("exports", "Export loss history", "loss.csv", "CSV (*.csv)")
            if path:
                self.export_loss_csv(path)
            return
        path, _ = self.ask_save(
            "exports",
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

    def export_diagram(self, path: str) -> bool:
        """The network diagram as it looks now, as PNG or SVG (by the file's suffix)."""
        canvas = self.window.canvas

        def svg() -> bytes:
            scene = canvas.scene()
            rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
            target = QRectF(0, 0, rect.width(), rect.height())
            return svg_bytes(
                lambda painter: scene.render(painter, target, rect),
                rect.width(),
                rect.height(),
                "BP Studio network",
                self.studio.network.describe(),
            )

        return self._write(
            path,
            "diagram",
            svg
            if path.lower().endswith(".svg")
            else lambda: png_bytes(canvas.render_to_image(1600, 1000)),
        )

    def export_loss_plot(self, path: str) -> bool:
        """The loss plot as it shows, with its summary line and legend: PNG (the widget drawn
        at twice its size) or SVG (Qt's QSvgGenerator: pyqtgraph's SVGExporter fails on the
        path data of Qt 6.11)."""
        loss_plot = self.window.loss_plot

        def svg() -> bytes:
            size = loss_plot.size()
            return svg_bytes(
                lambda painter: loss_plot.render(painter, QPoint()),
                size.width(),
                size.height(),
                "BP Studio loss",
                loss_plot.summary.text(),
            )

        def png() -> bytes:
            scale = 2
            image = QImage(loss_plot.size() * scale, QImage.Format.Format_ARGB32)
            image.setDevicePixelRatio(scale)
            image.fill(loss_plot.palette().color(loss_plot.backgroundRole()))
            painter = QPainter(image)
            try:
                loss_plot.render(painter, QPoint())
            finally:
                painter.end()
            return png_bytes(image)

        return self._write(path, "loss plot", svg if path.lower().endswith(".svg") else png)

    def _write(self, path: str, what: str, make: Callable[[], bytes]) -> bool:
        try:
            atomic_write_bytes(path, make())
        except (AtomicWriteError, OSError) as exc:
            self.window.show_problem(f"The {what} was not exported: {exc}")
            return False
        self.window.say(f"Exported the {what} to {path}")
        return True

    def export_loss_csv(self, path: str) -> bool:
        """step, epoch, train loss, test loss, accuracy, test accuracy: one row per step."""
        if not self.studio.can_train:
            return False
        step_losses, _, epoch_end_steps = self.studio.losses()
        evaluations = self.studio.evaluations
        measured = {
            step: (e.test_loss, e.train_accuracy, e.test_accuracy)
            for step, e in zip(list(evaluations.steps), list(evaluations.items))
        }
        try:
            from bp_studio.io.loss_history import write_loss_history

            write_loss_history(path, step_losses, epoch_end_steps, measured)
        except (AtomicWriteError, OSError) as exc:
            self.window.show_problem(f"The loss history was not exported: {exc}")
            return False
        self.window.say(f"Exported the loss history to {path}")
        return True

    # -- autosave and crash recovery ------------------------------------------------------------

    def autosave(self) -> bool:
        """Save the session to the application-data folder when it changed. While training
        runs, the state of a step boundary is taken without pausing the run; the file is
        written in a thread of its own (a large session takes a while), one at a time.
        ``False`` when there is nothing to save or a write is still going."""
        if not self.studio.dirty or not self.studio.can_train:
            return False
        writer = self._writer
        if writer is not None and writer.is_alive():
            return False
        try:
            session = self.studio.capture_session()
        except (StudioError, ValueError):
            return False
        path = autosave_path()
        from bp_studio.io.session import save_session  # not needed to open the window

        def write() -> None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                save_session(str(path), session)
            except (AtomicWriteError, OSError, ValueError):
                pass  # the next autosave tries again; the user's work is in the window

        self._writer = threading.Thread(target=write, name="autosave", daemon=True)
        self._writer.start()
        return True

    def wait_for_autosave(self) -> None:
        """Until the autosave being written is on disk."""
        if self._writer is not None:
            self._writer.join()

    def remove_autosave(self) -> None:
        self.wait_for_autosave()
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
            self.window,
            "Restore your work?",
            "BP Studio did not close normally last time. Restore the session autosaved at "
            "that time?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.remove_autosave()
            return False
        try:
            self.studio.recover(str(path))
        except StudioError as exc:
            self.window.show_problem(f"The autosaved session could not be restored: {exc}")
            return False
        self.window.say("Restored the autosaved session.")
        return True


def svg_bytes(
    render: Callable[[QPainter], object], width: float, height: float, title: str, description: str
) -> bytes:
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


def png_bytes(image: QImage) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs type the format as bytes, but the binding takes str (bytes: ValueError).
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(array.data())
