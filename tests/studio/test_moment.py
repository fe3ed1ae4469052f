"""What a moment gives the views: node values by column, raw inputs, names."""

from __future__ import annotations

import numpy as np
import pytest

from bp_studio.engine import Network, Trainer
from bp_studio.engine.normalization import Normalization
from bp_studio.studio.moment import Moment, moment_from_trainer

X = np.array([[0.0, 2.0], [1.0, 6.0]])
T = np.array([[0.0], [1.0]])


def trainer() -> Trainer:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.normalization = Normalization("standardize", [0.5, 4.0], [0.5, 2.0])
    return Trainer(net, X, T)


def test_column_values_are_the_records_of_the_shown_sample():
    t = trainer()
    assert Moment(t.network).column_values(0) is None
    t.next_layer()
    moment = moment_from_trainer(t, sample=1)
    assert moment.column_values(0).tolist() == [1.0, 1.0]  # (1 - 0.5) / 0.5, (6 - 4) / 2
    assert np.array_equal(moment.column_values(1), t.progress.forward_layers[0].a[1])
    assert moment.column_values(2) is None  # not computed yet
    assert moment.node_value(1, 2) == float(t.progress.forward_layers[0].a[1, 2])
    t.next_layer()
    t.next_layer()  # error
    output = t.next_layer()  # backward, output layer
    moment = moment_from_trainer(t, sample=1)
    assert moment.shows_delta(2) and not moment.shows_delta(1) and not moment.shows_delta(0)
    assert np.array_equal(moment.column_values(2), output.delta[1])
    assert np.array_equal(moment.column_values(1), t.progress.forward_layers[0].a[1])


def test_raw_inputs_undo_the_normalisation():
    t = trainer()
    t.next_layer()
    moment = moment_from_trainer(t, sample=0)
    assert moment.normalization_kind == "standardize"
    assert moment.node_value(0, 0) == -1.0 and moment.raw_input(0) == pytest.approx(0.0)
    assert moment.node_value(0, 1) == -1.0 and moment.raw_input(1) == pytest.approx(2.0)
    t.network.normalization = None
    plain = moment_from_trainer(t, sample=0)
    assert plain.normalization_kind is None and plain.raw_input(0) == plain.node_value(0, 0)
    assert Moment(t.network).raw_input(0) is None


def test_output_names_travel_with_the_moment():
    t = trainer()
    assert moment_from_trainer(t).output_names is None
    assert moment_from_trainer(t, output_names=("P(yes)",)).output_names == ("P(yes)",)
