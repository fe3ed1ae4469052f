"""The window's lists and colour scales come from the engine's registries.

Parametrised over the registries: an activation or loss added there appears in the settings
panel (hidden layers, the output layer under each loss it pairs with, the loss's reason) and
gets the data view's colour range, with no edit in ``ui/``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bp_studio.engine import ACTIVATIONS, LOSSES, hidden_activations, output_activations
from bp_studio.studio.maps import value_scale
from bp_studio.ui.settings_panel import SettingsPanel


def _items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


@pytest.fixture
def panel(qtbot) -> SettingsPanel:
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_hidden_layers_offer_every_hidden_activation(panel: SettingsPanel) -> None:
    offered = _items(panel._rows[0].activation)
    assert offered == list(hidden_activations())
    for name, activation in ACTIVATIONS.items():
        assert (name in offered) == activation.hidden


@pytest.mark.parametrize("loss", list(LOSSES))
def test_each_loss_offers_the_output_activations_it_pairs_with(
    panel: SettingsPanel, loss: str
) -> None:
    panel.loss.setCurrentIndex(panel.loss.findData(loss))
    assert _items(panel.output_activation) == list(output_activations(loss))
    assert panel.output_activation.isEnabled() == (len(output_activations(loss)) > 1)
    entry = LOSSES[loss]
    if entry.output_activation is None:
        assert panel.reason.text() == "" and not panel.reason.isVisible()
    else:
        needs = f"{entry.title} needs a {entry.output_activation} output layer"
        assert panel.reason.text().startswith(needs) and panel.reason.isVisible()
    assert panel.settings().loss == loss
    assert panel.settings().output_activation in output_activations(loss)


def test_every_activation_is_offered_somewhere(panel: SettingsPanel) -> None:
    offered = set(_items(panel._rows[0].activation))
    for loss in LOSSES:
        panel.loss.setCurrentIndex(panel.loss.findData(loss))
        offered |= set(_items(panel.output_activation))
    assert offered == set(ACTIVATIONS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_colour_scale_follows_the_output_range(name: str) -> None:
    low, high = ACTIVATIONS[name].output_range
    values = np.array([[0.5, -3.0], [2.0, np.nan]])
    scale = value_scale(name, values)
    if math.isfinite(low) and math.isfinite(high):
        assert scale == max(abs(low), abs(high))  # the bound: white at 0, full colour at it
    else:
        assert scale == 3.0  # the largest |a|, NaN ignored
