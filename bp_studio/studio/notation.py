"""One numbering and one notation for everything a person reads: the names of nodes, weights
and biases, counted from 1, as the explanation panel writes them.

Layers are counted as the canvas shows columns: the inputs are not a layer; layer ``l``
(1..L) holds the weights ``w_{j,i}``, the biases ``b_j`` and the nodes that network layer
``l - 1`` computes (``j`` the node it feeds, ``i`` the node it comes from, both from 1). The
same weight is ``w₁,₂ of layer 2`` in a tooltip, the explanation's title, the edit dialog and
the data view, ``weight[0, 1]`` of ``network.layers[1]`` in code.

Qt-free (plain Python): text for ``ui`` and for exports alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bp_studio.data.examples import Dataset

MINUS = "\u2212"
_SUBSCRIPT = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")

NORMALISATION_WORDS = {"standardize": "standardised", "minmax": "scaled to 0..1"}
"""How a normalisation kind is said after a value: ``x₁ = −1 (standardised; raw 0)``."""


def subscript(text: str | int) -> str:
    """Digits as Unicode subscripts: ``subscript("1,2")`` is ``₁,₂``."""
    return str(text).translate(_SUBSCRIPT)


def weight_symbol(unit: int, input: int, html: bool = False) -> str:
    """``w₁,₂`` for ``weight[0, 1]`` (``w<sub>1,2</sub>`` with ``html``)."""
    indices = f"{unit + 1},{input + 1}"
    return f"w<sub>{indices}</sub>" if html else f"w{subscript(indices)}"


def bias_symbol(unit: int, html: bool = False) -> str:
    """``b₁`` for ``bias[0]`` (``b<sub>1</sub>`` with ``html``)."""
    return f"b<sub>{unit + 1}</sub>" if html else f"b{subscript(unit + 1)}"


def input_symbol(unit: int, html: bool = False) -> str:
    """``x₁`` for input 0 (``x<sub>1</sub>`` with ``html``)."""
    return f"x<sub>{unit + 1}</sub>" if html else f"x{subscript(unit + 1)}"


def weight_name(layer: int, unit: int, input: int, html: bool = False) -> str:
    """``w₁,₂ of layer 2``: ``weight[unit, input]`` of network layer ``layer`` (0-based)."""
    return f"{weight_symbol(unit, input, html)} of layer {layer + 1}"


def bias_name(layer: int, unit: int, html: bool = False) -> str:
    """``b₁ of layer 2``: ``bias[unit]`` of network layer ``layer`` (0-based)."""
    return f"{bias_symbol(unit, html)} of layer {layer + 1}"


def node_name(
    layers: int,
    node_layer: int,
    unit: int,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> str:
    """``input node 3 (petal_length)``, ``hidden node 2 of layer 1``, ``output node 1 (setosa)``.

    ``layers`` is the number of network layers (so node layer ``layers`` is the output);
    ``node_layer`` 0 is the inputs. A name is added where one is known.
    """
    if node_layer == 0:
        return f"input node {unit + 1}" + _named(input_names, unit, f"x{unit + 1}")
    if node_layer == layers:
        return f"output node {unit + 1}" + _named(output_names, unit)
    return f"hidden node {unit + 1} of layer {node_layer}"


def column_title(layers: int, node_layer: int) -> str:
    """A column's title on the canvas: ``Input``, ``Hidden layer 1``, ``Output layer 2``."""
    if node_layer == 0:
        return "Input"
    if node_layer == layers:
        return f"Output layer {node_layer}"
    return f"Hidden layer {node_layer}"


def normalisation_word(kind: str | None) -> str:
    """``standardised`` or ``scaled to 0..1`` (empty when the inputs are not normalised)."""
    return NORMALISATION_WORDS.get(kind or "", "")


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def output_names(dataset: Dataset, loss: str) -> tuple[str, ...]:
    """What each output unit of a network trained on ``dataset`` with ``loss`` stands for.

    One output per class: the class names (``0`` .. ``9``, ``setosa`` ...); one output for two
    classes: ``P(<second class>)``; regression: the target names.
    """
    if dataset.classes is not None:
        if dataset.one_hot(loss):
            return tuple(dataset.classes)
        return (f"P({dataset.classes[-1]})",)
    return tuple(dataset.target_names)


def _named(names: Sequence[str] | None, unit: int, plain: str = "") -> str:
    """`` (name)`` of ``unit``; nothing when unknown or when it only repeats ``plain``."""
    if names is None or not 0 <= unit < len(names):
        return ""
    name = str(names[unit])
    return f" ({name})" if name and name != plain else ""
