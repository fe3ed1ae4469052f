"""The engine, data, file and command-line modules work without Qt installed.

A subprocess installs an import hook that makes ``PySide6``, ``shiboken6`` and ``pyqtgraph``
(and their submodules) unimportable, imports the Qt-free packages and trains a network.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

QT_FREE_MODULES = [
    "bp_studio.engine",
    "bp_studio.engine.diagnostics",
    "bp_studio.engine.early_stopping",
    "bp_studio.data",
    "bp_studio.io",
    "bp_studio.studio",
    "bp_studio.studio.explain_diagnostics",
    "bp_studio.cli",
    "bp_studio.cli_generate",
    "bp_studio.io.codegen",
    "bp_studio.studio.glossary",
    "bp_studio.studio.worksheet",
]

SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import sys

    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")


    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: this must run without Qt")
            return None


    sys.meta_path.insert(0, BlockQt())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]

    try:
        import PySide6  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the import hook does not work")

    for name in sys.argv[1:]:
        importlib.import_module(name)

    import numpy as np

    from bp_studio.engine import Network
    from bp_studio.io.network_file import network_from_json, network_to_json

    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [1.0]])
    net = Network.create([2, 3, 1], activations=["tanh", "sigmoid"], loss="mse", seed=0)
    history = net.train(X, Y, epochs=200, lr=1.0)
    assert len(history) == 200 and history[-1] < history[0] / 2, history[::50]
    again = network_from_json(network_to_json(net))
    assert np.array_equal(again.parameters, net.parameters)

    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("PySide6 in sys.modules:", "PySide6" in sys.modules)
    print("qt-free ok", round(history[-1], 6))
    """
)


def run_without_qt(*modules: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *modules],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_qt_free_modules_import_and_train_without_qt() -> None:
    result = run_without_qt(*QT_FREE_MODULES)
    assert result.returncode == 0, result.stderr
    assert "PySide6 in sys.modules: False" in result.stdout
    assert "qt-free ok" in result.stdout


def test_the_import_hook_really_blocks_qt() -> None:
    """A module that needs Qt fails under the hook, so the test above proves something."""
    result = run_without_qt("pyqtgraph")
    assert result.returncode != 0
    assert "pyqtgraph is blocked" in result.stderr
