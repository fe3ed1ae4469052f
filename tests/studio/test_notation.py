"""One numbering for people: names counted from 1, as the explanation writes them."""

from __future__ import annotations

import numpy as np

from bp_studio.data.examples import Dataset
from bp_studio.studio.notation import (
    bias_name,
    column_title,
    node_name,
    normalisation_word,
    output_names,
    subscript,
    weight_name,
)


def test_weights_and_biases_count_from_one():
    assert weight_name(1, 0, 1) == "w₁,₂ of layer 2"  # weight[0, 1] of network layer 1
    assert weight_name(0, 11, 2, html=True) == "w<sub>12,3</sub> of layer 1"
    assert bias_name(0, 2) == "b₃ of layer 1"
    assert subscript("10,-1") == "₁₀,₋₁"


def test_nodes_are_named_by_their_layer():
    assert node_name(2, 1, 1) == "hidden node 2 of layer 1"
    assert node_name(2, 2, 0) == "output node 1"
    assert node_name(2, 2, 0, output_names=("setosa", "versicolor")) == "output node 1 (setosa)"
    assert node_name(2, 0, 2, input_names=("a", "b", "petal_length")) == (
        "input node 3 (petal_length)"
    )
    assert node_name(2, 0, 0, input_names=("x1", "x2")) == "input node 1"  # no echo of x1
    assert node_name(2, 0, 5, input_names=("x1",)) == "input node 6"
    assert [column_title(3, c) for c in range(4)] == [
        "Input",
        "Hidden layer 1",
        "Hidden layer 2",
        "Output layer 3",
    ]


def test_normalisation_words():
    assert normalisation_word("standardize") == "standardised"
    assert normalisation_word("minmax") == "scaled to 0..1"
    assert normalisation_word(None) == ""


def data(classes, target_names=("y",)) -> Dataset:
    return Dataset("d", "d", np.zeros((2, 2)), np.zeros((2, 1)), ("x1", "x2"), target_names,
                   classes=classes)  # fmt: skip


def test_output_names_follow_the_loss():
    iris = data(("setosa", "versicolor", "virginica"), ("species",))
    assert output_names(iris, "cross_entropy") == ("setosa", "versicolor", "virginica")
    assert output_names(iris, "mse") == ("setosa", "versicolor", "virginica")  # one-hot too
    two = data(("no", "yes"))
    assert output_names(two, "binary_cross_entropy") == ("P(yes)",)
    assert output_names(two, "cross_entropy") == ("no", "yes")
    assert output_names(data(None, ("price",)), "mse") == ("price",)
