import contextlib
import os
import signal
from collections.abc import Callable, Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
