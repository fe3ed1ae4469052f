"""The window fits the screen it opens on, down to 1024 x 640, and the network gets the most room.

Each case runs the window in a subprocess whose offscreen screen has the given size (Qt's
offscreen platform reads its screens from a JSON file), so the checks see what a user on that
screen sees: the frame inside the available area, the smallest size the window accepts, and
the areas of the canvas and the side panels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = textwrap.dedent(
    """
    import json, sys, tempfile
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
    from bp_studio.data.source import DataSpec
    from bp_studio.studio import HiddenLayer
    from bp_studio.ui.main_window import MainWindow

    def settle():
        for _ in range(20):
            app.processEvents()

    def area(widget):
        return widget.width() * widget.height() if widget.isVisible() else 0

    w = MainWindow()
    w.show()
    settle()
    architecture = sys.argv[2]
    if architecture == "deep":
        w.studio.set(hidden=(HiddenLayer(32, "tanh"),) * 3)
    elif architecture == "digits":
        w.studio.set_data(DataSpec("real", "digits"))
        w.studio.set(hidden=(HiddenLayer(32, "tanh"),), output_activation="softmax",
                     loss="cross_entropy")
    elif architecture == "widest":
        w.studio.set(hidden=(HiddenLayer(512, "relu"),) * 6)
    settle()
    opened = w.frameGeometry()
    screen = w.screen().availableGeometry()
    banner = [w.phase_indicator.height()]
    for _ in range(4):
        w.next_phase()
        settle()
        banner.append(w.phase_indicator.height())
    w.resize(1024, 640)
    settle()
    small = [w.width(), w.height()]
    w.grab().save(sys.argv[3])
    print(json.dumps({
        "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
        "frame": [opened.x(), opened.y(), opened.width(), opened.height()],
        "small": small,
        "minimum": [w.minimumSizeHint().width(), w.minimumSizeHint().height()],
        "banner": banner,
    }))
    w.files.confirm_discard = lambda: True
    w.close()
    """
)

AREAS = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
    from bp_studio.ui.main_window import MainWindow
    w = MainWindow()
    w.show()
    for _ in range(30):
        app.processEvents()
    def area(widget):
        return widget.width() * widget.height() if widget.isVisible() else 0
    print(json.dumps({
        "canvas": area(w.canvas),
        "settings": area(w.settings_dock),
        "explanation": area(w.explain_dock),
        "data view": area(w.data_view_dock),
        "loss plot": area(w.loss_plot),
    }))
    w.files.confirm_discard = lambda: True
    w.close()
    """
)


def run_on_screen(tmp_path: Path, width: int, height: int, code: str, *args: str) -> dict:
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "screen",
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    settings = tmp_path / "settings"
    settings.mkdir(exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code, str(settings), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def inside(frame: list[int], screen: list[int]) -> bool:
    x, y, w, h = frame
    sx, sy, sw, sh = screen
    return x >= sx and y >= sy and x + w <= sx + sw and y + h <= sy + sh


@pytest.mark.parametrize(
    ("screen", "architecture"),
    [
        ((1024, 640), "default"),
        ((1280, 720), "deep"),
        ((1280, 720), "digits"),
        ((1920, 1080), "widest"),
    ],
)
def test_the_window_fits_the_screen_and_shrinks_to_1024_by_640(tmp_path, screen, architecture):
    shot = tmp_path / "shot.png"
    probe = run_on_screen(tmp_path, *screen, PROBE, architecture, str(shot))
    assert inside(probe["frame"], probe["screen"]), probe
    assert probe["small"] == [1024, 640], probe
    assert probe["minimum"][0] <= 1024 and probe["minimum"][1] <= 640, probe
    assert len(set(probe["banner"])) == 1, "the phase banner changed height: the drawing jumped"


@pytest.mark.parametrize("screen", [(1280, 720), (1920, 1080)])
def test_the_canvas_is_the_largest_area(tmp_path, screen):
    areas = run_on_screen(tmp_path, *screen, AREAS)
    canvas = areas.pop("canvas")
    assert all(canvas > other for other in areas.values()), areas


def test_a_remembered_geometry_from_a_larger_screen_is_clamped(tmp_path):
    big = run_on_screen(
        tmp_path,
        2560,
        1440,
        PROBE.replace("w.resize(1024, 640)", "w.resize(2400, 1300); w.move(100, 100)"),
        "default",
        str(tmp_path / "a.png"),
    )
    assert big["small"] == [2400, 1300]
    # the same settings folder, now on a laptop screen
    laptop = run_on_screen(tmp_path, 1280, 720, PROBE, "default", str(tmp_path / "b.png"))
    assert inside(laptop["frame"], laptop["screen"]), laptop


DIAGNOSTICS = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
    from bp_studio.ui.main_window import MainWindow
    w = MainWindow()
    w.show()
    for _ in range(30):
        app.processEvents()
    opened = w.frameGeometry()
    w.studio.run(200)
    w.refresh()
    w.learning.show()
    for _ in range(30):
        app.processEvents()
    shown = w.frameGeometry()
    screen = w.screen().availableGeometry()
    view = w.learning.view
    print(json.dumps({
        "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
        "opened": [opened.x(), opened.y(), opened.width(), opened.height()],
        "shown": [shown.x(), shown.y(), shown.width(), shown.height()],
        "view": [view.width(), view.height()],
        "visible": view.isVisible(),
    }))
    w.files.confirm_discard = lambda: True
    w.close()
    """
)


def test_showing_the_diagnostics_keeps_the_window_on_a_laptop_screen(tmp_path):
    probe = run_on_screen(tmp_path, 1280, 720, DIAGNOSTICS)
    assert probe["visible"], probe
    assert inside(probe["shown"], probe["screen"]), probe
    assert probe["shown"][3] == probe["opened"][3], "the window grew when the dock showed"


def test_a_tall_diagnostics_view_lets_the_window_shrink_to_a_laptop(qtbot):
    """Shown tall on a large screen (plots stacked), the view must not hold the window above
    720 px when it is made smaller: its minimum is the short arrangement's."""
    from PySide6.QtCore import Qt

    from bp_studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.resize(1600, 1000)
    qtbot.wait(50)
    window.learning.show()
    window.resizeDocks([window.diagnostics_dock], [600], Qt.Orientation.Vertical)
    qtbot.wait(50)
    assert window.learning.view.height() >= 360  # tall: the plots stacked
    assert window.diagnostics_dock.minimumSizeHint().height() <= 200  # asks for the short one
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.size().height() == 720, timeout=2000)
    assert window.size().width() == 1280
    window.files.confirm_discard = lambda: True
