"""The window's commands in one table: text, key, tooltip, icon and where each appears.

``build(window)`` makes one ``QAction`` per ``Command`` (``window.<name>_action``), its key
shown in its tooltip, and the menus and the toolbar from ``MENUS`` and ``TOOLBAR``; the
keyboard-shortcuts dialog lists the same table. ``slot`` is the attribute path of the method
the action calls, from the window (``"files.save"`` is ``window.files.save``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QStyle

from bp_studio.data.examples import EXAMPLES

if TYPE_CHECKING:
    from bp_studio.ui.main_window import MainWindow

SP = QStyle.StandardPixmap


@dataclass(frozen=True)
class Command:
    name: str
    text: str
    keys: tuple[str, ...]
    tip: str
    slot: str
    icon: QStyle.StandardPixmap | None = None
    argument: str | None = None


COMMANDS = (
    Command(
        "next_phase", "Next phase", ("N",), "Finish the current phase of the step", "next_phase"
    ),
    Command(
        "next_layer",
        "Next layer",
        ("L",),
        "Compute one more layer (forward or backward)",
        "next_layer",
    ),
    Command(
        "step_sample",
        "Step sample",
        ("S",),
        "One whole step on one sample (batch size 1)",
        "step_sample",
    ),
    Command(
        "step_batch", "Step batch", ("B",), "One whole step on the current batch", "step_batch"
    ),
    Command(
        "step_epoch",
        "Step epoch",
        ("E",),
        "Train until the current epoch is complete",
        "step_epoch",
    ),
    Command(
        "play",
        "Play",
        ("Space",),
        "Train continuously; press again to pause",
        "toggle_play",
        SP.SP_MediaPlay,
    ),
    Command(
        "back", "Back", ("Backspace",), "Go back one layer, phase or step", "back", SP.SP_ArrowBack
    ),
    Command(
        "reset",
        "Reset",
        ("Ctrl+R",),
        "Draw new initial weights from the seed and start over (Undo brings it back)",
        "reset",
        SP.SP_BrowserReload,
    ),
    Command(
        "undo", "Undo", ("Ctrl+Z",), "Undo the last change (reset, edit, setting, data)", "undo"
    ),
    Command("redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo what was undone", "redo"),
    Command("fit", "Fit network", ("Ctrl+0",), "Fit the network in view", "canvas.fit"),
    Command(
        "new", "New", ("Ctrl+N",), "Start again with the XOR example", "files.new", SP.SP_FileIcon
    ),
    Command(
        "open",
        "Open…",
        ("Ctrl+O",),
        "Open a session (.bpsession) or a network file (.json)",
        "files.open_dialog",
        SP.SP_DialogOpenButton,
    ),
    Command("save", "Save", ("Ctrl+S",), "Save the session", "files.save", SP.SP_DialogSaveButton),
    Command(
        "save_as",
        "Save as…",
        ("Ctrl+Shift+S",),
        "Save everything (network, optimiser state, settings, data, losses, history) "
        "under a new name",
        "files.save_as",
    ),
    Command(
        "open_data",
        "Open data…",
        ("Ctrl+D",),
        "Train on a CSV file (header row; targets in the last columns)",
        "open_data_dialog",
    ),
    Command(
        "export_weights",
        "Export weights…",
        ("Ctrl+Shift+E",),
        "Export the learned weights: network file (JSON), NumPy (PyTorch names), CSV, ONNX "
        "or a Python script",
        "files.export_weights_dialog",
    ),
    Command(
        "import_weights",
        "Import weights…",
        ("Ctrl+Shift+I",),
        "Load weights from a JSON or npz file into this network (shapes must match)",
        "files.import_weights_dialog",
    ),
    Command(
        "export_worksheet",
        "Export worksheet…",
        ("Ctrl+Shift+W",),
        "Write the current step as a worked solution (Markdown, HTML or LaTeX)",
        "files.export_worksheet_dialog",
    ),
    Command(
        "export_diagram",
        "Export diagram…",
        (),
        "Save the network diagram as it looks now (PNG or SVG)",
        "files.export_figure_dialog",
        argument="diagram",
    ),
    Command(
        "export_plot",
        "Export loss plot…",
        (),
        "Save the loss plot (PNG or SVG)",
        "files.export_figure_dialog",
        argument="plot",
    ),
    Command(
        "export_loss_csv",
        "Export loss history…",
        (),
        "Save the loss of every step as CSV (step, epoch, train and test loss, accuracy)",
        "files.export_figure_dialog",
        argument="loss_csv",
    ),
    Command(
        "show_code",
        "Show code",
        ("Ctrl+Shift+C",),
        "The NumPy code of this training, beside the network; the current phase's lines "
        "are highlighted",
        "show_code",
    ),
    Command(
        "quiz",
        "Quiz mode",
        ("Ctrl+Shift+Q",),
        "While stepping, hide one computed quantity and ask for it",
        "show_quiz",
    ),
    Command(
        "diagnostics",
        "Show diagnostics",
        ("Ctrl+Shift+D",),
        "Why is it (not) learning: each layer's gradient norm and update ratio over training, "
        "histograms of weights, activations and gradients, saturated and dead units",
        "learning.show",
    ),
    Command(
        "check_gradients",
        "Check gradients",
        ("Ctrl+G",),
        "Compare backpropagation's ∂L/∂w of the current step with central finite differences "
        "for every parameter (1,000 drawn at random in a large network)",
        "learning.check_gradients",
    ),
    Command("quit", "Quit", ("Ctrl+Q",), "Quit BP Studio", "close"),
    Command(
        "shortcuts", "Keyboard shortcuts", ("F1",), "List the keyboard shortcuts", "show_shortcuts"
    ),
    Command("about", "About BP Studio", (), "About BP Studio", "show_about"),
)
"""Every command of the window, in the order the shortcuts dialog lists them."""

EXAMPLES_MENU = "<examples>"
RECENT_MENU = "<recent>"
MENUS = {
    "&File": (
        "new", "open", RECENT_MENU, "save", "save_as", None, "open_data", EXAMPLES_MENU, None,
        ("Export", ("export_weights", "export_worksheet", "export_diagram", "export_plot",
                    "export_loss_csv")),
        "import_weights", None, "quit",
    ),
    "&Edit": ("undo", "redo", None, "back", "reset"),
    "&Train": ("next_phase", "next_layer", "step_sample", "step_batch", "step_epoch", "play",
               None, "check_gradients", "quiz"),
    "&View": ("fit", "show_code", "diagnostics", None, "<docks>"),
    "&Help": ("shortcuts", "about"),
}  # fmt: skip
TOOLBAR = (
    "next_phase", "next_layer", "step_sample", "step_batch", "step_epoch", None, "play",
    "<speed>", None, "back", "reset",
)  # fmt: skip


def key_text(keys: tuple[str, ...]) -> str:
    """``Ctrl+Shift+Z or Ctrl+Y`` in the platform's own notation."""
    native = QKeySequence.SequenceFormat.NativeText
    return " or ".join(QKeySequence(k).toString(native) for k in keys)


def build(window: MainWindow) -> None:
    """Create ``window.<name>_action`` for every command, and the menus and the toolbar."""
    for command in COMMANDS:
        action = QAction(command.text, window)
        tip = command.tip
        if command.keys:
            action.setShortcuts([QKeySequence(k) for k in command.keys])
            tip = f"{tip} ({key_text(command.keys)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if command.icon is not None:
            action.setIcon(window.style().standardIcon(command.icon))
        slot = reduce(getattr, command.slot.split("."), window)
        if command.argument is None:
            action.triggered.connect(lambda _=False, slot=slot: slot())
        else:
            action.triggered.connect(lambda _=False, s=slot, a=command.argument: s(a))
        setattr(window, f"{command.name}_action", action)
    menu_bar = window.menuBar()
    for title, items in MENUS.items():
        _fill(window, menu_bar.addMenu(title), items)
    toolbar = window.addToolBar("Steps")
    toolbar.setObjectName("steps_toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for item in TOOLBAR:
        if item is None:
            toolbar.addSeparator()
        elif item == "<speed>":
            toolbar.addWidget(QLabel(" Speed "))
            toolbar.addWidget(window.speed)
            toolbar.addWidget(window.speed_label)
        else:
            toolbar.addAction(getattr(window, f"{item}_action"))


def _fill(window: MainWindow, menu: QMenu, items: tuple) -> None:
    for item in items:
        if item is None:
            menu.addSeparator()
        elif isinstance(item, tuple):
            title: str = item[0]  # a submenu: (title, items)
            _fill(window, menu.addMenu(title), item[1])
        elif item == RECENT_MENU:
            window.files.recent_menu = menu.addMenu("Open recent")
            window.files.fill_recent_menu()
        elif item == EXAMPLES_MENU:
            examples = menu.addMenu("Example data")
            for name, dataset in EXAMPLES.items():
                action = QAction(dataset.title, window)
                action.setToolTip(dataset.source)
                action.triggered.connect(lambda _=False, n=name: window.use_example(n))
                examples.addAction(action)
        elif item == "<docks>":
            for dock in window.docks():
                toggle = dock.toggleViewAction()
                # Shown from the menu, a dock comes to the front of its tabs.
                toggle.triggered.connect(lambda on, d=dock: d.raise_() if on else None)
                menu.addAction(toggle)
        else:
            menu.addAction(getattr(window, f"{item}_action"))


def shortcuts_table() -> str:
    """The shortcuts dialog's rich text: every command with a key."""
    rows = "".join(
        f"<tr><td style='padding-right:16px'>{c.text.rstrip('…')}</td>"
        f"<td><b>{key_text(c.keys)}</b></td></tr>"
        for c in COMMANDS
        if c.keys
    )
    return f"<table>{rows}</table>"
