"""The application without a window: the open document, its settings, commands and events.

Qt-free (a test imports it with PySide6 blocked). The window in ``bp_studio.ui`` draws what
a ``Studio`` holds and sends it commands; scripts and notebooks drive the same ``Studio``::

    from bp_studio.studio import Studio

    s = Studio()                        # the document the window opens with
    s.set(lr=0.05, optimizer="adam")
    s.run(1000)
    s.rewind(500)
    s.save("run.bpsession")
"""

from bp_studio.studio.changes import Change
from bp_studio.studio.settings import HiddenLayer, Settings
from bp_studio.studio.studio import Studio, StudioError

__all__ = ["Change", "HiddenLayer", "Settings", "Studio", "StudioError"]
