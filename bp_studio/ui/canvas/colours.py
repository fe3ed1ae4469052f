"""The canvas's colours: a colour-blind-safe diverging pair (blue positive, orange negative)
taken with the background and text from the widget palette, light or dark."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QPalette


class Colours:
    """The canvas's colours, taken from the widget palette (light or dark)."""

    def __init__(self, palette: QPalette) -> None:
        self.background = palette.color(QPalette.ColorRole.Base)
        self.text = palette.color(QPalette.ColorRole.Text)
        self.dark = self.background.lightnessF() < 0.5
        if self.dark:
            self.positive = QColor("#4f9bd9")
            self.negative = QColor("#f28e2b")
            self.active = QColor("#c39bd3")
        else:
            self.positive = QColor("#2166ac")
            self.negative = QColor("#e66101")
            self.active = QColor("#7b3294")
        self.zero = QColor("#f7f7f7")
        self.selection = palette.color(QPalette.ColorRole.Highlight)
        if self.selection.lightnessF() > 0.8 or _close(self.selection, self.positive):
            self.selection = QColor("#1a9850") if not self.dark else QColor("#66bd63")
        self.accent = self.active.lighter(115) if self.dark else self.active
        self.faint = mix(self.background, self.text, 0.45)
        self.key = (self.background.rgba(), self.text.rgba(), self.selection.rgba())
        # opaque: translucent fills and strokes are slow in Qt's raster engine
        self.band = mix(self.background, self.active, 0.18 if self.dark else 0.10)
        self.halo = mix(self.band, self.active, 0.6)
        self.border = mix(self.background, self.text, 0.7)
        self.label_background = QColor(self.background)

    def faded(self, colour: QColor, strength: float) -> QColor:
        """``colour`` drawn at ``strength`` (0..1) over the background, but opaque."""
        return colour if strength >= 1.0 else mix(self.background, colour, strength)

    def sign(self, value: float) -> QColor:
        return self.negative if value < 0 else self.positive

    def diverging(self, value: float) -> QColor:
        """``value`` in ``[-1, 1]``: orange (negative) through white (0) to blue (positive)."""
        t = min(1.0, abs(value))
        return mix(self.zero, self.sign(value), t)

    def diverging_rgb(self, values: np.ndarray) -> np.ndarray:
        """``diverging`` of many values at once: uint8 RGB ``values.shape + (3,)`` (NaN: 0)."""
        t = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), -1.0, 1.0)
        zero = _rgb(self.zero)
        ends = np.where(t[..., None] < 0, _rgb(self.negative), _rgb(self.positive))
        return np.rint(zero + np.abs(t)[..., None] * (ends - zero)).astype(np.uint8)


def _rgb(colour: QColor) -> np.ndarray:
    return np.array([colour.red(), colour.green(), colour.blue()], dtype=np.float64)


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """The colour ``(1 - t) a + t b`` (alpha included)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        a.alphaF() + (b.alphaF() - a.alphaF()) * t,
    )


def _close(a: QColor, b: QColor) -> bool:
    return abs(a.hueF() - b.hueF()) < 0.06 and a.hslSaturationF() > 0.3


def luminance(colour: QColor) -> float:
    return 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()
