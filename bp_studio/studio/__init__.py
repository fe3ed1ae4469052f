"""The application without a window: the open document, its settings, commands and events.

Qt-free (a test imports it with PySide6 blocked). The window in ``bp_studio.ui`` draws what
this package holds and sends it commands.
"""
