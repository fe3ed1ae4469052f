"""Guard against a PySide6 release that leaks references to None (6.12.0 on Python 3.11).

Each call of a Qt method that returns nothing must leave ``sys.getrefcount(None)`` as it was;
a binding that decrements it instead aborts the application after a few thousand calls.
"""

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def test_void_methods_keep_none_alive(qtbot):
    table = QTableWidget(4, 4)
    qtbot.addWidget(table)
    item = QTableWidgetItem("x")
    before = sys.getrefcount(None)
    for i in range(200):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight)
        table.setItem(i % 4, i % 3, QTableWidgetItem(str(i)))
    after = sys.getrefcount(None)
    assert after >= before - 20, f"None lost {before - after} references in 400 Qt calls"
