"""The start-up check names missing X11 libraries and the packages that provide them."""

from bp_studio.ui import platform_check
from bp_studio.ui.platform_check import missing_from_ldd, package_for, startup_problem

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-icccm.so.4 => not found
\tlibQt6Gui.so.6 => /x/libQt6Gui.so.6 (0x00007f)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_ldd_not_found_lines_are_collected_once():
    assert missing_from_ldd(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_package_names():
    assert package_for("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert package_for("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert package_for("libxcb-sync.so.1") == "libxcb-sync1"
    assert package_for("libfoo2.so.3") == "libfoo2-3"


def test_message_names_libraries_and_install_command(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(
        platform_check, "missing_xcb_libraries", lambda: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    )
    message = startup_problem({"DISPLAY": ":0"})
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in message
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in message


def test_no_problem_offscreen_or_when_libraries_are_present(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(platform_check, "missing_xcb_libraries", lambda: [])
    assert startup_problem({"DISPLAY": ":0"}) is None
    assert startup_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_no_display(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    assert "no display was found" in startup_problem({})
