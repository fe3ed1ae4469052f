"""The diagnostics' explanation text: layer health and the gradient check, read as plain text."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from bp_studio.data.source import DataSpec
from bp_studio.engine import Network, Trainer, backward, forward
from bp_studio.engine.diagnostics import layer_health, step_health
from bp_studio.engine.gradcheck import check_gradients, parameter_name
from bp_studio.studio import HiddenLayer, Studio
from bp_studio.studio.explain import MINUS, PENDING_COLOR, format_number
from bp_studio.studio.explain_diagnostics import (
    HELP_DEAD,
    HELP_SATURATED,
    TrainingProgress,
    explain_gradient_check,
    explain_health,
    gradient_check_summary,
    health_findings,
    health_headline,
    health_is_calm,
    health_summary,
    layer_title,
    training_progress,
    unit_health_tooltip,
)


def plain(rich: str) -> str:
    text = re.sub(r"</p>|<br\s*/?>", "\n", rich)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def sick_network() -> tuple[Network, np.ndarray, np.ndarray]:
    """Layer 1 sigmoid with huge weights (saturated), layer 2 relu with units 1 and 3 dead."""
    net = Network.create([4, 8, 5, 1], ["sigmoid", "relu", "linear"], seed=0)
    net.layers[0].weight[...] *= 40.0
    net.layers[1].bias[[0, 2]] = -50.0
    rng = np.random.default_rng(0)
    return net, rng.normal(0.0, 1.0, (32, 4)), rng.uniform(0.0, 1.0, (32, 1))


def test_health_text_shows_every_figure_and_what_helps() -> None:
    net, X, T = sick_network()
    trainer = Trainer(net, X, T, lr=0.1)
    health = step_health(net, trainer.step())
    text = plain(explain_health(health))
    assert "Layer health" in text and "On a batch of 32 samples" in text
    for h in health:
        assert f"Layer {h.layer + 1}: {h.units} {h.activation} units" in text
        assert f"‖∂L/∂W‖ = {format_number(h.grad_norm, 4)}" in text
        assert f"‖ΔW‖ / ‖W‖ = {format_number(h.update_ratio, 4)}" in text
    assert f"saturated = {100 * health[0].saturated:.3g} %" in text
    assert health[0].saturated > 0.5
    assert "dead = 2 of 5 units" in text and "Dead on the whole batch: unit 1, 3." in text
    assert f"Layer 1 is saturated. What usually helps: {HELP_SATURATED}." in text
    assert f"Layer 2 has dead units. What usually helps: {HELP_DEAD}." in text
    # the formulas behind the figures
    assert "‖∂L/∂W‖ = √(Σj Σi (∂L/∂wji)²)" in text
    assert "‖ΔW‖ / ‖W‖ = √(Σ Δwji²) / √(Σ wji²)" in text
    assert "|f′(zj[s])| < 1 % · max |f′|" in text and "max |f′| = 0.25 for sigmoid" in text
    assert "share of units j with zj[s] ≤ 0 for every sample s" in text
    assert "-" not in text.replace("10⁻³", "")  # real minus signs only


def test_a_healthy_network_gets_no_advice() -> None:
    net = Network.create([2, 8, 1], ["tanh", "sigmoid"], seed=1)
    X = np.random.default_rng(1).normal(0.0, 1.0, (50, 2))
    text = plain(explain_health(layer_health(net, X)))
    assert "What usually helps" not in text
    assert "‖∂L/∂W‖ needs the targets of the batch." in text
    assert "‖ΔW‖ / ‖W‖: no update yet." in text
    assert "dead =" not in text  # no relu layer: no dead formula either


def test_vanishing_gradient_is_named() -> None:
    net = Network.create([2, 6, 6, 6, 6, 1], "sigmoid", seed=2)
    rng = np.random.default_rng(2)
    X, T = rng.normal(0.0, 1.0, (40, 2)), rng.uniform(0.0, 1.0, (40, 1))
    health = layer_health(net, X, T)
    spread = health[-1].grad_norm / health[0].grad_norm
    assert spread > 100
    text = plain(explain_health(health))
    assert f"The gradient shrinks ×{format_number(spread, 4)} from layer 5 to layer 1" in text
    assert "a vanishing gradient" in text


def test_a_saturated_output_layer_under_cross_entropy_is_not_advice() -> None:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", seed=3)
    net.layers[1].weight[...] = 60.0
    X = np.random.default_rng(3).uniform(0.5, 1.0, (10, 2))
    health = layer_health(net, X, np.ones((10, 1)))
    assert health[-1].saturated > 0.5
    text = plain(explain_health(health, loss="binary_cross_entropy"))
    assert "What usually helps" not in text
    assert "the loss cancels f′ there, so a saturated output layer still learns" in text
    assert "Layer 2 is saturated" in plain(explain_health(health, loss="mse"))


@pytest.mark.parametrize(("activation", "says"), [("relu", "no gradient"), ("leaky_relu", "0.01")])
def test_badge_tooltips(activation: str, says: str) -> None:
    net = Network([[[1.0], [1.0]]], [[-5.0, 5.0]], [activation], "mse")
    health = layer_health(net, np.array([[0.5], [1.0]]))[0]
    dead = unit_health_tooltip(health, 0)
    assert dead.startswith("Dead unit: z ≤ 0 for every sample of the batch") and says in dead
    assert HELP_DEAD in dead
    assert unit_health_tooltip(health, 1) is None
    saturated = layer_health(Network([[[30.0]]], [[0.0]], ["tanh"], "mse"), np.ones((4, 1)))[0]
    tip = unit_health_tooltip(saturated, 0)
    assert "below 1 % of its maximum on 100 % of the samples" in tip and HELP_SATURATED in tip


def test_gradient_check_text_names_the_worst_parameter_and_the_verdict() -> None:
    net, X, T = sick_network()
    result = check_gradients(net, X, T)
    text = plain(explain_gradient_check(result, net))
    assert "Passed: backpropagation agrees with finite differences" in text
    assert f"gnum,i = (J(θ + h ei) {MINUS} J(θ {MINUS} h ei)) / (2h),\xa0 h = 1×10⁻⁵" in text
    assert "ri = |gi − gnum,i| / max(|gi|, |gnum,i|, floor)" in text
    assert f"Checked: all {net.parameters.size} parameters." in text
    layer, kind, unit, column = parameter_name(net, result.worst_index)
    name = f"w{unit + 1},{column + 1}" if kind == "weight" else f"b{unit + 1}"
    assert f"Largest relative error: {kind} {name} of layer {layer + 1}" in text
    assert f"= {format_number(result.worst, 4)}" in text
    assert f"Passed: the largest error {format_number(result.worst_away_from_kinks, 4)} < " in text


def test_a_failed_and_sampled_check_says_so() -> None:
    net = Network.create([64, 32, 10], ["relu", "softmax"], "cross_entropy", seed=1)
    rng = np.random.default_rng(1)
    X, T = rng.normal(0.0, 1.0, (16, 64)), rng.integers(0, 10, 16)
    right = check_gradients(net, X, T)
    gradient = backward(net, forward(net, X), np.eye(10)[T]).gradient * 1.02
    result = check_gradients(net, X, T, analytic=gradient)
    text = plain(explain_gradient_check(result, net))
    assert "Failed: backpropagation and finite differences disagree" in text
    assert "Checked: 1,000 of the 2,410 parameters, drawn at random." in text
    assert f"Failed: the largest error {format_number(result.worst_away_from_kinks, 4)} ≥ " in text
    assert right.passed


def test_kinks_are_explained() -> None:
    net = Network(
        [[[1.0, -1.0], [0.5, 0.25]], [[0.7, -0.3]]], [[0.0, 0.1], [0.2]], ["relu", "linear"]
    )
    X = np.array([[0.5, 0.5], [1.0, -0.5], [-0.4, 0.9]])
    result = check_gradients(net, X, np.array([[0.3], [-0.2], [0.5]]))
    text = plain(explain_gradient_check(result, net))
    assert "3 checked parameters moved the z of their unit across a kink" in text
    assert "Passed" in text


# -- the diagnostics view's short texts ---------------------------------------------------------


def test_layer_titles_count_from_one() -> None:
    assert [layer_title(i, 3) for i in range(3)] == [
        "layer 1 (hidden)",
        "layer 2 (hidden)",
        "layer 3 (output)",
    ]


def test_findings_say_saturated_and_dead_with_what_helps() -> None:
    net, X, T = sick_network()
    health = step_health(net, Trainer(net, X, T, lr=0.1).step())
    findings = health_findings(health)
    assert findings[0] == (
        f"Layer 1: {100 * health[0].saturated:.3g} % of its sigmoid outputs saturated "
        f"(|f′| < 1 % of max |f′|, almost no gradient passes) — try {HELP_SATURATED}."
    )
    assert findings[1].startswith("Layer 2: 2 of its 5 relu units dead (z ≤ 0 on every sample")
    assert findings[1].endswith(f"try {HELP_DEAD}.")
    assert health_headline(health) == "layer 1 saturated · layer 2: dead units"
    text = plain(health_summary(health, step=7))
    assert "Layer health after step 7 on 32 samples" in text
    assert "layer‖∂L/∂W‖‖ΔW‖ / ‖W‖saturateddead" in text.replace(" ", "").replace(
        "‖ΔW‖/‖W‖", "‖ΔW‖ / ‖W‖"
    )
    assert f"2 relu{format_number(health[1].grad_norm, 3)}" in text
    assert "40 %" in text  # 2 of the relu layer's 5 units dead
    assert findings[0] in text and findings[1] in text


def test_a_healthy_summary_and_an_empty_one() -> None:
    net = Network.create([2, 8, 1], ["tanh", "sigmoid"], seed=1)
    rng = np.random.default_rng(1)
    X, T = rng.normal(0.0, 1.0, (50, 2)), rng.uniform(0.0, 1.0, (50, 1))
    health = layer_health(net, X, T)
    assert health_findings(health) == [] and health_headline(health) == "no problems found"
    text = plain(health_summary(health))
    assert "No layer is saturated or dead, and the gradient neither vanishes nor explodes." in text
    assert "1 tanh" in text and "—" in text  # no update yet: no ratio, and tanh cannot die
    assert health_headline(None) == "" and "take a step or press Play" in plain(health_summary([]))


def test_vanishing_gradient_finding() -> None:
    net = Network.create([2, 6, 6, 6, 6, 1], "sigmoid", seed=2)
    rng = np.random.default_rng(2)
    health = layer_health(net, rng.normal(0.0, 1.0, (40, 2)), rng.uniform(0.0, 1.0, (40, 1)))
    spread = health[-1].grad_norm / health[0].grad_norm
    assert health_findings(health)[-1].startswith(
        f"Vanishing gradient: ‖∂L/∂W‖ shrinks ×{format_number(spread, 3)} from layer 5 to layer 1"
    )
    assert health_headline(health).endswith("vanishing gradient")


def test_gradient_check_summary_passed_and_failed() -> None:
    net, X, T = sick_network()
    good = check_gradients(net, X, T)
    text = plain(gradient_check_summary(good, net, step=3))
    layer, kind, unit, column = parameter_name(net, good.worst_index)
    name = f"w{unit + 1},{column + 1}" if kind == "weight" else f"b{unit + 1}"
    assert text.startswith("Gradient check passed at step 3: largest relative error r = ")
    assert f"at the {kind} {name} of layer {layer + 1}, below the tolerance 0.0001" in text
    assert f"all {net.parameters.size} parameters checked." in text
    assert "r = |g − gnum| / max(|g|, |gnum|, floor)" in text
    assert "gnum = (L(w + h) − L(w − h)) / 2h" in text
    analytic = backward(net, forward(net, X), T).gradient.copy()
    analytic[5] += 1.0  # weight w2,2 of layer 1 made wrong
    bad = check_gradients(net, X, T, analytic=analytic)
    text = plain(gradient_check_summary(bad, net))
    assert text.startswith("Gradient check failed: largest relative error r = ")
    assert "at the weight w2,2 of layer 1, not below the tolerance 0.0001" in text


def test_update_ratios_far_from_the_rule_of_thumb_are_named() -> None:
    import dataclasses

    net = Network.create([2, 8, 1], ["tanh", "sigmoid"], seed=1)
    rng = np.random.default_rng(1)
    health = layer_health(net, rng.normal(0.0, 1.0, (50, 2)), rng.uniform(0.0, 1.0, (50, 1)))
    paced = [
        dataclasses.replace(health[0], update_ratio=5e-5),
        dataclasses.replace(health[1], update_ratio=0.02),
    ]
    assert health_findings(paced) == [
        "Layer 1: ‖ΔW‖ / ‖W‖ = 5×10⁻⁵, far below the rule of thumb 10⁻³: it hardly learns — "
        "try a higher learning rate.",
        "Layer 2: ‖ΔW‖ / ‖W‖ = 0.02, far above the rule of thumb 10⁻³: large steps, training "
        "may be unstable — try a lower learning rate.",
    ]
    assert health_headline(paced) == "layer 1 learns slowly · layer 2 takes large steps"
    near = [dataclasses.replace(h, update_ratio=2e-3) for h in health]
    assert health_findings(near) == [] and health_headline(near) == "no problems found"


def test_a_trained_xor_is_learned_and_calm() -> None:
    studio = Studio()  # XOR, 2-3-1 sigmoid
    steps = 0
    while studio.evaluation.train_accuracy < 1.0 and steps < 50_000:
        studio.run(500)
        steps += 500
    studio.run(20_000)  # on towards the minimum: the gradients and update ratios shrink
    health = studio.health_now()
    loss = studio.network.loss_name
    progress = training_progress(studio.evaluation, studio.losses()[0])
    assert progress is not None and progress.learned and progress.accuracy == 1.0
    assert health_findings(health, loss)  # without the progress: alarms ...
    headline = health_headline(health, loss, progress)
    first = format_number(studio.losses()[0][0], 3)
    assert headline == (
        f"learned: the loss is {format_number(studio.evaluation.train_loss, 3)} (from {first}), "
        "100 % accuracy; small gradients and saturated outputs are expected now"
    )
    assert health_is_calm(health, loss, progress)
    # ... with it: notes, without "try"
    notes = health_findings(health, loss, progress)
    assert notes and not any("try" in note for note in notes)
    summary = health_summary(health, loss=loss, progress=progress)
    assert f"color:{PENDING_COLOR}" not in summary
    assert "Learned: the loss is" in plain(summary)
    page = plain(explain_health(health, loss=loss, progress=progress))
    assert "Learned: the loss is" in page and "What usually helps" not in page


def test_a_stuck_deep_sigmoid_net_keeps_the_alarm() -> None:
    studio = Studio()
    studio.set_data(DataSpec("generator", "moons", samples=200))
    studio.set(hidden=(HiddenLayer(8, "sigmoid"),) * 6, lr=0.05)
    studio.run(200)
    health = studio.health_now()
    loss = studio.network.loss_name
    progress = training_progress(studio.evaluation, studio.losses()[0])
    assert progress is not None and not progress.learned
    headline = health_headline(health, loss, progress)
    assert "vanishing gradient" in headline and not health_is_calm(health, loss, progress)
    assert any("— try" in text for text in health_findings(health, loss, progress))


def test_the_learned_rule() -> None:
    assert TrainingProgress(0.0024, 0.25).learned  # below 1 % of where it started
    assert not TrainingProgress(0.0026, 0.25).learned
    assert TrainingProgress(0.2, 0.25, accuracy=1.0).learned  # every sample right
    assert not TrainingProgress(0.2, 0.25, accuracy=0.99).learned
    assert not TrainingProgress(float("nan"), 0.25, accuracy=1.0).learned
    assert not TrainingProgress(0.001, None).learned  # no first step to compare with
    assert training_progress(None, [0.3]) is None


def test_a_narrow_summary_has_one_block_per_layer() -> None:
    net, X, T = sick_network()
    health = step_health(net, Trainer(net, X, T, lr=0.1).step())
    narrow = health_summary(health, narrow=True)
    assert "<table" not in narrow and "white-space:nowrap" not in narrow
    text = plain(narrow).replace("\u00a0", " ")
    for h in health:
        assert (
            f"Layer {h.layer + 1} {h.activation}: ‖∂L/∂W‖ {format_number(h.grad_norm, 3)}" in text
        )
    assert "<table" in health_summary(health)
