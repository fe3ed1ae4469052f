"""The canvas's tooltips and edit-dialog text: plain text from a ``Moment``, no Qt.

Names and numbers are the explanation panel's (``bp_studio.studio.notation``,
``format_number``): ``Weight w₁,₂ of layer 2 = −0.55``, ``Hidden node 2 of layer 1``.
A number an open quiz question asks for is written ``?`` (``hidden``).
"""

from __future__ import annotations

import textwrap

from bp_studio.engine import Phase
from bp_studio.studio.explain import format_number
from bp_studio.studio.moment import Moment, Selection
from bp_studio.studio.notation import (
    bias_name,
    capitalised,
    input_symbol,
    node_name,
    normalisation_word,
    weight_name,
)
from bp_studio.ui.canvas.hidden import Hidden, shown

SUM_RULE = "z = Σᵢ wⱼᵢ aᵢ + bⱼ"


def fmt(value: float) -> str:
    return format_number(value, 4)


def name_of_node(moment: Moment, node_layer: int, unit: int) -> str:
    """``hidden node 2 of layer 1``, ``output node 1 (setosa)``, ``input node 3 (petal_length)``."""
    network = moment.network
    return node_name(
        len(network.layers), node_layer, unit, network.input_names, moment.output_names
    )


def input_text(moment: Moment, unit: int) -> str:
    """``x₁ = −1 (standardised; raw 0)``, ``x₁ = 0.05``, or ``x₁: not fed yet``."""
    value = moment.node_value(0, unit)
    symbol = input_symbol(unit)
    if value is None:
        return f"{symbol}: not fed yet"
    text = f"{symbol} = {fmt(value)}"
    word = normalisation_word(moment.normalization_kind)
    raw = moment.raw_input(unit)
    if word and raw is not None:
        text += f" ({word}; raw {fmt(raw)})"
    return text


def edge_ends(moment: Moment, layer: int, unit: int, input: int) -> str:
    """``hidden node 2 of layer 1 → output node 1``: where a weight comes from and goes."""
    return f"{name_of_node(moment, layer, input)} → {name_of_node(moment, layer + 1, unit)}"


NOTE_WIDTH = 64
"""Notes added under a tooltip (a badge's, the gradient check's) wrap at this many characters."""


def tooltip(
    moment: Moment,
    selection: Selection,
    hidden: Hidden = frozenset(),
    notes: tuple[str, ...] = (),
) -> str:
    """The value, gradient and formula of a node, edge or bias; ``?`` for the ``hidden``
    quantities (``hidden.hidden_quantities``); each of ``notes`` (plain text: what a badge
    means, the gradient check of a weight) after a blank line, wrapped."""
    if selection.kind == "edge":
        assert selection.input is not None  # an edge selection names its input
        text = _edge(moment, selection.layer, selection.unit, selection.input, hidden)
    elif selection.kind == "bias":
        text = _bias(moment, selection.layer, selection.unit, hidden)
    else:
        text = _node(moment, selection.layer, selection.unit, hidden)
    for note in notes:
        wrapped = "\n".join(textwrap.fill(line, NOTE_WIDTH) for line in note.split("\n"))
        text += "\n\n" + wrapped
    return text


def edit_prompt(moment: Moment, selection: Selection) -> tuple[str, str]:
    """``(title, label)`` of the dialog that asks for a new weight or bias."""
    if selection.kind == "edge":
        assert selection.input is not None  # an edge selection names its input
        name = weight_name(selection.layer, selection.unit, selection.input)
        where = edge_ends(moment, selection.layer, selection.unit, selection.input)
        return "Edit weight", f"New value of {name}\n({where}):"
    name = bias_name(selection.layer, selection.unit)
    where = name_of_node(moment, selection.layer + 1, selection.unit)
    return "Edit bias", f"New value of {name}\n(into {where}):"


def _sample_note(moment: Moment) -> str:
    if moment.batch is None or moment.batch_size <= 1:
        return ""
    row = int(moment.batch[moment.sample]) + 1
    return f"\n(sample {moment.sample + 1} of {moment.batch_size}, data row {row})"


def _node(moment: Moment, column: int, unit: int, hidden: Hidden) -> str:
    network = moment.network
    title = capitalised(name_of_node(moment, column, unit))
    if column == 0:
        return f"{title}\n{input_text(moment, unit)}{_sample_note(moment)}"
    index = column - 1
    layer = network.layers[index]
    lines = [f"{title} · {layer.activation}"]
    s = moment.sample
    node = Selection("node", column, unit)
    if index < len(moment.forward_layers):
        record = moment.forward_layers[index]
        lines.append(f"a = f(z) = {shown(fmt(float(record.a[s, unit])), hidden, 'a', node)}")
        lines.append(f"z = {shown(fmt(float(record.z[s, unit])), hidden, 'z', node)}")
    else:
        lines.append("a, z: not computed yet")
    backward = moment.backward_layers.get(index)
    if backward is not None:
        delta = shown(fmt(float(backward.delta[s, unit])), hidden, "delta", node)
        lines.append(f"δ = ∂L/∂z = {delta}")
    if layer.bias is not None:
        bias = Selection("bias", index, unit)
        value = shown(fmt(float(layer.bias[unit])), hidden, "value", bias)
        lines.append(f"{bias_name(index, unit)} = {value}")
    lines.append(f"{SUM_RULE},  a = {layer.function.formula}")
    if column == len(network.layers):
        lines.append(f"δ at the output: {network.loss.delta_formula}")
    else:
        lines.append(f"δⱼ = f′(zⱼ) Σₖ wₖⱼ δₖ,  f′ = {layer.function.derivative_formula}")
    return "\n".join(lines) + _sample_note(moment)


def _edge(moment: Moment, index: int, unit: int, input: int, hidden: Hidden) -> str:
    weight = float(moment.network.layers[index].weight[unit, input])
    edge = Selection("edge", index, unit, input)
    lines = [
        f"Weight {weight_name(index, unit, input)} = {shown(fmt(weight), hidden, 'value', edge)}",
        edge_ends(moment, index, unit, input),
    ]
    record = moment.backward_layers.get(index)
    if record is not None:
        gradient = fmt(float(record.grad_weight[unit, input]))
        lines.append(f"∂L/∂w = {shown(gradient, hidden, 'gradient', edge)}")
    if moment.phase == Phase.UPDATE and moment.update is not None:
        old = float(moment.update.before[index].weight[unit, input])
        step = float(moment.update.step[index].weight[unit, input])
        new = shown(fmt(weight), hidden, "value", edge)
        lines.append(
            f"update: {fmt(old)} → {new}  (step {shown(fmt(step), hidden, 'value', edge)})"
        )
    lines.append(SUM_RULE)
    if record is not None:
        lines.append("∂L/∂wⱼᵢ = mean over the batch of δⱼ aᵢ")
    return "\n".join(lines)


def _bias(moment: Moment, index: int, unit: int, hidden: Hidden) -> str:
    biases = moment.network.layers[index].bias
    assert biases is not None  # a bias is selectable only in a layer that has biases
    value = float(biases[unit])
    bias = Selection("bias", index, unit)
    new = shown(fmt(value), hidden, "value", bias)
    lines = [
        f"Bias {bias_name(index, unit)} = {new}",
        f"into {name_of_node(moment, index + 1, unit)}",
    ]
    record = moment.backward_layers.get(index)
    if record is not None and record.grad_bias is not None:
        gradient = fmt(float(record.grad_bias[unit]))
        lines.append(f"∂L/∂b = {shown(gradient, hidden, 'gradient', bias)}")
    if moment.phase == Phase.UPDATE and moment.update is not None:
        before = moment.update.before[index].bias
        assert before is not None  # the same layer before the update: it had biases too
        old = float(before[unit])
        lines.append(f"update: {fmt(old)} → {new}")
    lines.append(SUM_RULE)
    if record is not None:
        lines.append("∂L/∂bⱼ = mean over the batch of δⱼ")
    return "\n".join(lines)
