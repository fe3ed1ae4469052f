import contextlib
import json
import os
import signal
import tempfile
from collections.abc import Callable, Iterator

import pytest


def _offscreen_with_a_desktop_screen() -> str:
    """Qt's offscreen platform with one 1920 x 1080 screen. Its default screen is 800 x 600,
    smaller than any laptop; the window keeps itself inside the screen, so the window tests
    would otherwise test a window squeezed below its minimum size. Tests of small screens
    make their own (tests/ui/test_window_geometry.py)."""
    screen = {"name": "tests", "x": 0, "y": 0, "width": 1920, "height": 1080}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config = os.path.join(tempfile.mkdtemp(prefix="bp-tests-screen-"), "screen.json")
    with open(config, "w", encoding="utf-8") as file:
        json.dump({"screens": [screen]}, file)
    return f"offscreen:configfile={config}"


if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = _offscreen_with_a_desktop_screen()


class TimeLimitExceeded(Exception):
    """Raised in the test by ``time_limit`` when the code under test takes too long."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` if the block runs longer than ``seconds`` (a hang fails).

    A generous limit that only a hang (an exponential regex, a blocking open) reaches: this is
    not a speed assertion. It uses ``SIGALRM``, which also interrupts a long regular expression
    match and a blocking ``open`` (Python checks for signals in both).
    """

    def expired(signum, frame):
        raise TimeLimitExceeded(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def time_limit() -> Callable[[float], contextlib.AbstractContextManager[None]]:
    """``with time_limit(30): ...`` fails the test if the block hangs (see ``_time_limit``)."""
    if not hasattr(signal, "setitimer"):
        pytest.skip("needs SIGALRM")
    return _time_limit
