"""The explanation text: the engine's own numbers, in the right equations, for every phase.

No Qt needed: ``explain`` returns rich text, read here as plain text (tags stripped).
Numbers are checked by parsing them back out of the text and comparing them with the
record values, not only by looking for hard-coded strings.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from bp_studio.engine import (
    ACTIVATIONS,
    LOSSES,
    Network,
    Phase,
    Regularization,
    Trainer,
    hidden_activations,
    output_activations,
)
from bp_studio.studio.explain import MINUS, explain, format_number, formula_html, phase_summary
from bp_studio.studio.moment import Selection, moment_from_trainer

EM_DASH = "\u2014"
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


# -- helpers -----------------------------------------------------------------------------------


def plain(rich: str) -> str:
    """The text a reader sees: paragraphs as lines, tags removed, entities decoded."""
    text = re.sub(r"</p>|<br\s*/?>", "\n", rich)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def numbers_in(text: str) -> list[float]:
    """Every number in ``text``, with U+2212 read as a minus and ``1.2×10⁻⁵`` as 1.2e-5."""
    text = plain(text) if "<" in text else text
    text = text.replace(MINUS, "-")
    found = []
    for match in re.finditer(r"-?\d+(?:\.\d+)?(?:×10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)?", text):
        token = match.group(0)
        if "×10" in token:
            mantissa, exponent = token.split("×10")
            found.append(float(mantissa) * 10.0 ** int(exponent.translate(SUPERSCRIPTS)))
        else:
            found.append(float(token))
    return found


def shows(text: str, value: float, precision: int = 4) -> bool:
    """``value`` appears in ``text`` rounded to ``precision`` significant digits."""
    value = float(value)
    tolerance = 0.5001 * 10.0 ** (math.floor(math.log10(abs(value))) - precision + 1)
    return any(abs(number - value) <= tolerance for number in numbers_in(text))


def result_of(text: str) -> float:
    """The bold result that ends the last equation (``= <b>0.3589</b>``)."""
    bold = re.findall(r"= <b>([^<]+)</b>", text)
    return numbers_in(bold[-1])[0]


def mazur_trainer(**kwargs) -> Trainer:
    """Matt Mazur's worked example: a 2-2-2 sigmoid network, one sample, lr 0.5, mse."""
    network = Network(
        [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        [[0.35, 0.35], [0.60, 0.60]],
        ["sigmoid", "sigmoid"],
        "mse",
    )
    return Trainer(network, np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]]), lr=0.5, **kwargs)


def all_selections(network: Network) -> list[Selection | None]:
    sizes = network.sizes
    selections: list[Selection | None] = [None]
    for layer, size in enumerate(sizes):
        selections += [Selection("node", layer, unit) for unit in range(size)]
    for layer in range(len(sizes) - 1):
        selections += [Selection("bias", layer, unit) for unit in range(sizes[layer + 1])]
        selections += [
            Selection("edge", layer, unit, column)
            for unit in range(sizes[layer + 1])
            for column in range(sizes[layer])
        ]
    return selections


H1 = Selection("node", 1, 0)
O1 = Selection("node", 2, 0)
W5 = Selection("edge", 1, 0, 0)  # hidden node 1 -> output node 1


# -- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "precision", "text"),
    [
        (0.3775, 4, "0.3775"),
        (0.59326999, 4, "0.5933"),
        (-0.74136507, 4, f"{MINUS}0.7414"),
        (0.082167041, 4, "0.08217"),
        (0.35891648, 8, "0.35891648"),
        (0.5, 4, "0.5"),
        (0.0, 4, "0"),
        (-0.0, 4, "0"),
        (2.0, 6, "2"),
        (9.99996, 4, "10"),
        (1234.5678, 4, "1235"),
        (1.23456e-5, 4, "1.235×10⁻⁵"),
        (-3.2e7, 4, f"{MINUS}3.2×10⁷"),
        (float("inf"), 4, "∞"),
        (float("nan"), 4, "NaN"),
    ],
)
def test_format_number(value, precision, text):
    assert format_number(value, precision) == text


def test_format_number_never_uses_a_hyphen_or_plus():
    for value in (-1e-9, -0.001, -1.5, -12345.0, -1e12, 3e-7, 4e9):
        for precision in range(4, 9):
            text = format_number(value, precision)
            assert "-" not in text and "+" not in text and EM_DASH not in text
            assert numbers_in(text)[0] == pytest.approx(value, rel=10.0 ** (1 - precision))


def test_format_number_rejects_a_bad_precision():
    with pytest.raises(ValueError):
        format_number(1.0, 0)


def test_formula_html_uses_real_symbols():
    assert formula_html("1 / (1 + e^-z)") == f"1 / (1 + e<sup>{MINUS}z</sup>)"
    assert formula_html("w <- w - lr * dL/dw") == f"w ← w {MINUS} η · ∂L/∂w"
    assert "½ (t − o)²" in formula_html("L = (1/n) sum_samples sum_outputs 1/2 (t - o)^2")
    assert "Σ<sub>j</sub>" in formula_html("e^z_k / sum_j e^z_j")
    assert "&gt;" in formula_html("1 if z > 0 else 0")


# -- the worked example, phase by phase ------------------------------------------------------


def test_forward_hidden_node_shows_the_sum_and_the_activation():
    trainer = mazur_trainer()
    record = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    text = plain(explain(moment, H1))
    assert "0.15 × 0.05 + 0.2 × 0.1 + 0.35" in text
    assert "0.3775" in text and "0.5933" in text
    assert "σ(z) = 1 / (1 + e−z)" in text  # the activation's own formula
    assert shows(text, record.z[0, 0]) and shows(text, record.a[0, 0])
    rich = explain(moment, H1)
    assert result_of(rich) == pytest.approx(record.a[0, 0], rel=1e-3)


def test_forward_output_node_and_not_computed_yet():
    trainer = mazur_trainer()
    trainer.next_layer()
    moment = moment_from_trainer(trainer)
    text = plain(explain(moment, O1))
    assert "Not computed yet: press Next layer to run the forward pass of layer 2." in text
    record = trainer.next_layer()
    text = plain(explain(moment_from_trainer(trainer), O1))
    assert "0.7514" in text and shows(text, record.a[0, 0])
    assert "0.4 × 0.5933 + 0.45 × 0.5969 + 0.6" in text
    assert "Not computed" not in text


def test_nothing_started_yet():
    moment = moment_from_trainer(mazur_trainer())
    assert moment.phase is None
    text = plain(explain(moment, O1))
    assert "Not computed yet: press Next layer 2 times to run the forward pass of layer 2." in text
    edge = plain(explain(moment, W5))
    assert "w1,1 = 0.4" in edge
    summary = plain(explain(moment, None))
    assert "press Next layer to start" in summary


def test_error_phase_output_node_and_summary():
    trainer = mazur_trainer()
    trainer.next_phase()
    error = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    assert moment.phase == Phase.ERROR
    text = plain(explain(moment, O1))
    assert "e = t − o" in text and "0.01 − 0.7514" in text
    assert f"{MINUS}0.7414" in text and shows(text, error.error[0, 0])
    assert "½ (t − o)²" in text and "0.2748" in text
    assert shows(text, error.sample_loss[0])
    summary = plain(phase_summary(moment))
    assert "2 Error: the error is the difference between targets and predictions." in summary
    assert "L = (1/n) Σs Σk ½ (t − o)²" in summary  # Loss.formula
    assert "½ × (0.01 − 0.7514)² + ½ × (0.99 − 0.7729)²" in summary
    assert shows(summary, error.loss) and "0.2984" in summary
    assert "Node values: sample 1 of a batch of 1; gradients: mean over the batch." in summary


def test_backward_output_node_and_edge():
    trainer = mazur_trainer()
    trainer.next_phase()
    trainer.next_phase()
    record = trainer.next_layer()  # backward pass of the output layer
    moment = moment_from_trainer(trainer)
    text = plain(explain(moment, O1))
    assert "δ = (o − t) · f′(z)" in text
    assert "(0.7514 − 0.01) × 0.1868" in text and "0.1385" in text
    assert result_of(explain(moment, O1)) == pytest.approx(record.delta[0, 0], rel=1e-3)
    edge = plain(explain(moment, W5))
    assert "∂L/∂wji = δj · ai" in edge and "0.1385 × 0.5933" in edge
    assert "0.08217" in edge and shows(edge, record.grad_weight[0, 0])
    bias = plain(explain(moment, Selection("bias", 1, 0)))
    assert "∂L/∂bj = δj" in bias and shows(bias, record.grad_bias[0])
    hidden = plain(explain(moment, H1))
    assert "Not computed yet: press Next layer to run the backward pass of layer 1." in hidden


def test_backward_hidden_node_uses_the_next_layers_weights_and_deltas():
    trainer = mazur_trainer()
    trainer.next_phase()
    trainer.next_phase()
    output = trainer.next_layer()
    hidden = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    rich = explain(moment, H1)
    text = plain(rich)
    assert "δ = f′(z) · Σk wkj δk" in text
    assert f"0.2413 × (0.4 × 0.1385 + 0.5 × ({MINUS}0.0381))" in text
    assert shows(text, hidden.derivative[0, 0]) and shows(text, hidden.grad_output[0, 0])
    assert shows(text, output.delta[0, 1])
    assert result_of(rich) == pytest.approx(hidden.delta[0, 0], rel=1e-3)


def test_update_of_an_edge_and_the_precision():
    trainer = mazur_trainer()
    trainer.next_phase()
    trainer.next_phase()
    backward = trainer.next_phase()
    update = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    assert moment.phase == Phase.UPDATE
    rich = explain(moment, W5)
    text = plain(rich)
    assert "w ← w − η · ∂L/∂w" in text  # SGD.formula
    assert "0.4 − 0.5 × 0.08217" in text and "0.3589" in text
    assert shows(text, update.step[1].weight[0, 0])
    assert result_of(rich) == pytest.approx(update.after[1].weight[0, 0], rel=1e-3)
    assert shows(text, backward.layers[1].grad_weight[0, 0])
    eight = plain(explain(moment, W5, precision=8))
    assert "0.35891648" in eight and "0.35891648" not in text
    assert shows(eight, update.after[1].weight[0, 0], 8)
    bias = plain(explain(moment, Selection("bias", 1, 0)))
    assert "b ← b − η · ∂L/∂b" in bias and shows(bias, update.after[1].bias[0])


def test_backward_equations_use_the_weights_before_the_update():
    trainer = mazur_trainer()
    trainer.step()
    done = moment_from_trainer(trainer)
    assert done.network.layers[1].weight[0, 0] != 0.4  # the network has moved on
    backward = dataclasses.replace(done, phase=Phase.BACKWARD)
    text = plain(explain(backward, H1))
    assert f"(0.4 × 0.1385 + 0.5 × ({MINUS}0.0381))" in text


def test_results_are_the_record_values_not_recomputed():
    trainer = mazur_trainer()
    step = trainer.step()
    moment = moment_from_trainer(trainer)
    for precision in (4, 8):
        for unit in range(2):
            for column in range(2):
                rich = explain(moment, Selection("edge", 0, unit, column), precision)
                after = step.update.after[0].weight[unit, column]
                assert format_number(after, precision) in plain(rich)
                assert result_of(rich) == pytest.approx(after, rel=10.0 ** (1 - precision))


def test_sample_and_batch_line():
    network = Network.create([2, 3, 1], "sigmoid", seed=1)
    X = np.arange(8.0).reshape(4, 2) / 10
    trainer = Trainer(network, X, np.ones(4), lr=0.5)
    trainer.next_layer()
    text = plain(explain(moment_from_trainer(trainer, sample=2), None))
    assert "Node values: sample 3 of a batch of 4; gradients: mean over the batch." in text
    assert "1 Forward: the forward pass produces predictions." in text
    assert "3 Backward: the gradients are computed backwards, layer by layer." in text
    assert "4 Update: the weights are adjusted from the output back towards the input." in text


# -- every selection, every phase --------------------------------------------------------------


def test_no_em_dash_anywhere_and_real_minus_signs():
    network = Network.create([2, 3, 2], ["tanh", "sigmoid"], seed=4)
    rng = np.random.default_rng(0)
    trainer = Trainer(network, rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), lr=0.3)
    selections = all_selections(network)
    selections += [Selection("edge", 7, 0, 0), Selection("node", 1, 9), Selection("edge", 0, 0)]
    phases = set()
    for _ in range(2 * len(network.layers) + 3):  # a whole step, and the start of the next
        moment = moment_from_trainer(trainer, sample=1)
        phases.add(moment.phase)
        for selection in selections:
            for precision in (4, 8):
                rich = explain(moment, selection, precision)
                assert EM_DASH not in rich, (moment.phase, selection)
                assert not re.search(r"(?<![\w])-\d", plain(rich)), (moment.phase, selection)
        trainer.next_layer()
    assert phases == {None, Phase.FORWARD, Phase.ERROR, Phase.BACKWARD, Phase.UPDATE}


def test_a_selection_outside_the_network_is_explained_not_raised():
    moment = moment_from_trainer(mazur_trainer())
    text = plain(explain(moment, Selection("edge", 5, 0, 0)))
    assert "not part of this network" in text


# -- batches, optimisers, regularisation, other losses ---------------------------------------


def test_batch_of_three_with_momentum_and_l2():
    network = Network.create([2, 3, 2], "sigmoid", seed=2)
    rng = np.random.default_rng(3)
    trainer = Trainer(
        network,
        rng.normal(size=(3, 2)),
        rng.uniform(size=(3, 2)),
        lr=0.2,
        optimizer="momentum",
        regularization=Regularization("l2", 0.01),
    )
    trainer.step()  # a first step, so that the velocity is not zero
    trainer.next_phase()
    trainer.next_phase()
    backward = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    edge = Selection("edge", 0, 1, 0)
    rich = explain(moment, edge)
    text = plain(rich)
    assert "(1/n) Σs δj[s] ai[s] + λ · wji" in text
    assert "(1/3) × (" in text and " + 0.01 × " in text
    w = network.layers[0].weight[1, 0]
    assert shows(text.split("+ 0.01 × ")[1], w)
    assert result_of(rich) == pytest.approx(backward.layers[0].grad_weight[1, 0], rel=1e-3)
    bias = plain(explain(moment, Selection("bias", 0, 1)))
    assert "(1/n) Σs δj[s]" in bias and shows(bias, backward.layers[0].grad_bias[1])

    update = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    rich = explain(moment, edge)
    text = plain(rich)
    assert "v ← μ · v − η · ∂L/∂w" in text and "w ← w + v" in text
    index = 1 * 2 + 0  # layers.0.weight[1, 0] in the flat parameter vector
    assert shows(text, update.optimizer_state_before["velocity"][index])
    assert shows(text, update.step[0].weight[1, 0])
    assert result_of(rich) == pytest.approx(update.after[0].weight[1, 0], rel=1e-3)


def test_adam_update_shows_its_moments():
    trainer = mazur_trainer(optimizer="adam")
    update = trainer.step().update
    moment = moment_from_trainer(trainer)
    rich = explain(moment, W5)
    text = plain(rich)
    assert "m ← β1 · m + (1 − β1) · ∂L/∂w" in text
    assert "w ← w − η · mhat / (√(vhat) + ε)" in text  # Adam.formula
    index = 6  # layers.1.weight[0, 0]: after the 4 weights and 2 biases of layer 0
    assert shows(text, update.optimizer_state_after["m"][index])
    assert shows(text, update.optimizer_state_after["v"][index])
    assert result_of(rich) == pytest.approx(update.after[1].weight[0, 0], rel=1e-3)


def test_softmax_cross_entropy_output_delta_is_o_minus_t():
    network = Network.create([2, 3, 3], ["relu", "softmax"], "cross_entropy", seed=5)
    trainer = Trainer(network, np.array([[0.3, -0.7]]), np.array([2]), lr=0.1)
    trainer.next_phase()
    error = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    share = plain(explain(moment, Selection("node", 2, 2)))
    assert "−t log o" in share and shows(share, error.sample_loss[0])
    record = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    for unit in range(3):
        rich = explain(moment, Selection("node", 2, unit))
        text = plain(rich)
        assert "δ = o − t" in text and "f′" not in text
        assert result_of(rich) == pytest.approx(record.delta[0, unit], rel=1e-3, abs=1e-12)


def test_binary_cross_entropy_sigmoid_output_delta_is_o_minus_t():
    network = Network.create([2, 2, 1], "sigmoid", "binary_cross_entropy", seed=6)
    trainer = Trainer(network, np.array([[0.3, -0.7]]), np.array([[1.0]]), lr=0.1)
    trainer.next_phase()
    trainer.next_phase()
    record = trainer.next_layer()
    text = plain(explain(moment_from_trainer(trainer), Selection("node", 2, 0)))
    assert "δ = o − t" in text and shows(text, record.delta[0, 0])


def test_many_inputs_show_the_first_terms_and_the_exact_total():
    network = Network.create([64, 2, 1], "sigmoid", seed=7)
    X = np.linspace(-1, 1, 64).reshape(1, 64)
    trainer = Trainer(network, X, np.array([[0.5]]), lr=0.1)
    record = trainer.next_layer()
    rich = explain(moment_from_trainer(trainer), H1)
    text = plain(rich)
    assert "… (64 terms)" in text
    assert shows(text, record.z[0, 0])
    assert text.count(" × ") < 10


# -- every registry entry is explained ---------------------------------------------------------


def _explained_trainer(hidden: str, output: str, loss: str) -> Trainer:
    """A 2-3-k network, one sample with units on both sides of 0 where possible."""
    outputs = 3 if LOSSES[loss].targets == "one_hot" else 2
    network = Network(
        [
            [[0.8, -0.4], [-0.9, 0.3], [0.2, 0.6]],
            np.linspace(-0.7, 0.9, 3 * outputs).reshape(outputs, 3),
        ],
        [[0.1, -0.2, 0.05], np.linspace(-0.3, 0.3, outputs)],
        [hidden, output],
        loss,
    )
    targets = np.array([1]) if outputs == 3 else np.array([[0.25, 0.75]])
    return Trainer(network, np.array([[0.6, -0.9]]), targets, lr=0.1)


@pytest.mark.parametrize("name", hidden_activations())
def test_every_hidden_activation_is_explained_forward_and_backward(name: str) -> None:
    activation = ACTIVATIONS[name]
    trainer = _explained_trainer(name, "linear", "mse")
    record = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    for unit in range(3):
        rich = explain(moment, Selection("node", 1, unit))
        text = plain(rich)
        assert f"activation function ({name})" in text
        assert plain(activation.symbol) + "(z)" in text
        if plain(formula_html(activation.formula)) != f"{activation.symbol}(z)":
            assert plain(formula_html(activation.formula)) in text
        assert result_of(rich) == pytest.approx(record.a[0, unit], rel=1e-3, abs=1e-12)
        assert "^(" not in rich and "None" not in text
    trainer.next_phase()  # rest of forward
    trainer.next_phase()  # error
    trainer.next_layer()  # backward, output layer
    hidden = trainer.next_layer()  # backward, hidden layer
    moment = moment_from_trainer(trainer)
    for unit in range(3):
        text = plain(explain(moment, Selection("node", 1, unit)))
        assert "f′(z)" in text
        assert hidden.derivative[0, unit] == 0.0 or shows(text, hidden.derivative[0, unit])
        derivative = plain(formula_html(activation.derivative_formula))
        assert derivative in text or derivative == format_number(hidden.derivative[0, unit], 4)


OUTPUT_PAIRS = [(output, loss) for loss in LOSSES for output in output_activations(loss)]


@pytest.mark.parametrize(("output", "loss"), OUTPUT_PAIRS)
def test_every_output_activation_and_loss_is_explained(output: str, loss: str) -> None:
    trainer = _explained_trainer("tanh", output, loss)
    trainer.next_phase()
    error = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    outputs = trainer.network.outputs
    shares = []
    for unit in range(outputs):
        rich = explain(moment, Selection("node", 2, unit))
        text = plain(rich)
        assert plain(formula_html(LOSSES[loss].term_formula)) in text
        after_share = rich[rich.index("share = ") :]
        shares.append(numbers_in(re.search(r"= <b>([^<]+)</b>", after_share).group(1))[0])
        assert shows(text, error.sample_loss[0])
    assert sum(shares) == pytest.approx(error.sample_loss[0], rel=1e-3, abs=1e-4)
    record = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    for unit in range(outputs):
        rich = explain(moment, Selection("node", 2, unit))
        assert result_of(rich) == pytest.approx(record.delta[0, unit], rel=1e-3, abs=1e-12)
        assert plain(formula_html(LOSSES[loss].delta_formula)).partition(" = ")[2] in plain(rich)


def test_explain_imports_no_qt():
    code = (
        "import sys, bp_studio.studio.explain; "
        "sys.exit(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_names_and_normalised_inputs_read_as_on_the_canvas():
    from bp_studio.engine.normalization import Normalization

    net = Network.create([2, 3, 2], ["tanh", "softmax"], "cross_entropy", seed=0)
    net.normalization = Normalization("standardize", [0.5, 2.0], [0.5, 4.0])
    net.input_names = ("sepal_length", "x2")
    trainer = Trainer(net, np.array([[0.0, 2.0], [1.0, 6.0]]), np.eye(2))
    trainer.next_phase()
    moment = moment_from_trainer(trainer, output_names=("setosa", "versicolor"))
    text = plain(explain(moment, Selection("node", 0, 0))).splitlines()
    assert text[0] == "Input node 1 (sepal_length)"
    assert f"x1 = {MINUS}1 (standardised; raw 0)" in text
    assert plain(explain(moment, Selection("node", 2, 1))).startswith("Output node 2 (versicolor)")
    edge = plain(explain(moment, Selection("edge", 1, 1, 2))).splitlines()
    assert edge[:2] == [
        "Weight w2,3 of layer 2",
        "Hidden node 3 of layer 1 → output node 2 (versicolor) · Phase 1 of 4: Forward",
    ]
    assert plain(explain(moment, Selection("bias", 0, 2))).startswith("Bias b3 of layer 1")
