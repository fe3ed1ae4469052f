"""The explanation panel's text for the diagnostics: layer health and the gradient check.

Qt-free rich text, in the style of ``studio.explain`` (formulas in blue, numbers with the
panel's precision, a real minus sign, layers and units counted from 1). Every figure comes
from ``engine.diagnostics.LayerHealth`` or ``engine.gradcheck.GradientCheck`` and is only
formatted here.

- ``explain_health(health)``: each layer's four figures, the formulas behind them, and what
  usually helps when a layer is saturated, dead, or its gradient vanishes or explodes;
- ``unit_health_tooltip(health, unit)``: the plain-text tooltip of a unit's badge on the canvas;
- ``explain_gradient_check(result, network)``: the check's formula with the worst parameter's
  numbers plugged in, and the verdict;
- ``parameter_check_tooltip(result, index)``: the plain-text check of one parameter, for the
  tooltip of its edge or bias on the canvas.

The diagnostics view's shorter texts, from the same findings:

- ``layer_title(layer, layers)``: ``layer 2 (hidden)``, ``layer 3 (output)``;
- ``health_findings(health, loss, progress)``: one plain sentence per problem, with what
  usually helps;
- ``health_headline(health, loss, progress)``: the problems in a few words, for one line;
- ``health_summary(health, ...)``: the four figures per layer (a table, or a block per layer
  for a narrow view) and the findings;
- ``gradient_check_summary(result, network, ...)``: the check's verdict, worst parameter and
  formula in a few lines.

Small gradients, small update ratios and saturated outputs are what a network that has
learned looks like (the loss is near its minimum), so every text takes a ``TrainingProgress``
(``training_progress(evaluation, step_losses)``): once ``learned`` it says so, calmly, and the
findings become notes without advice.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bp_studio.engine import ACTIVATIONS, LOSSES, Network
from bp_studio.engine.diagnostics import SATURATION_LEVEL, UPDATE_RATIO_GUIDE, LayerHealth
from bp_studio.engine.gradcheck import GradientCheck, parameter_name
from bp_studio.studio.evaluation import Evaluation
from bp_studio.studio.explain import (
    CURRENT_COLOR,
    FORMULA_COLOR,
    MINUS,
    NOTE_COLOR,
    PENDING_COLOR,
    TIMES,
    _check_precision,
    _heading,
    _note,
    _page,
    _para,
    _paren,
    equation,
    format_number,
)

SATURATED_MOST = 0.5
"""A layer (or unit) is reported saturated when more than this share of its pairs is."""

GRADIENT_SPREAD = 100.0
"""Gradient norms of the first and last layer further apart than this: vanishing/exploding."""

HELP_SATURATED = (
    "smaller initial weights, normalised inputs, another activation (ReLU), a lower learning rate"
)
HELP_DEAD = (
    "a lower learning rate, He initialisation, leaky ReLU instead of ReLU, a small positive "
    "initial bias"
)
HELP_VANISHING = (
    "ReLU-type activations in the hidden layers, Xavier or He initialisation, fewer layers, "
    "normalised inputs"
)
HELP_EXPLODING = "a lower learning rate, smaller initial weights, normalised inputs"

LEARNED_SHARE = 0.01
"""A network has learned when its loss is below this share of the first step's loss (or it
classifies every training sample right)."""

NO_PROBLEMS = "no problems found"
"""``health_headline`` when nothing was found."""


@dataclass(frozen=True)
class TrainingProgress:
    """How far training got: ``loss``, the training loss on all the training rows with the
    weights now; ``first_loss``, the loss of step 1 (``None`` before it); ``accuracy``, the
    share of the training samples classified right (``None``: not a classification)."""

    loss: float
    first_loss: float | None = None
    accuracy: float | None = None

    @property
    def learned(self) -> bool:
        """Every training sample classified right (``accuracy == 1``), or the loss below
        ``LEARNED_SHARE`` (1 %) of the first step's: the loss is near its minimum, where
        small gradients and saturated outputs are expected."""
        if not math.isfinite(self.loss):
            return False
        if self.accuracy is not None and self.accuracy >= 1.0:
            return True
        first = self.first_loss
        return first is not None and math.isfinite(first) and self.loss <= LEARNED_SHARE * first

    def describe(self, precision: int = 3) -> str:
        """``the loss is 0.0001 (from 0.25)``, and ``, 100 % accuracy`` for a classification
        that gets every training sample right."""
        f = lambda x: format_number(x, precision)  # noqa: E731
        text = f"the loss is {f(self.loss)}"
        if self.first_loss is not None:
            text += f" (from {f(self.first_loss)})"
        if self.accuracy is not None and self.accuracy >= 1.0:
            text += ", 100 % accuracy"
        return text


def training_progress(
    evaluation: Evaluation | None, step_losses: np.ndarray | Sequence[float]
) -> TrainingProgress | None:
    """``TrainingProgress`` from ``Studio.evaluation`` (the weights now) and the step losses
    (``Studio.losses()[0]``; the first is step 1's); ``None`` without an evaluation."""
    if evaluation is None:
        return None
    first = float(step_losses[0]) if len(step_losses) else None
    return TrainingProgress(evaluation.train_loss, first, evaluation.train_accuracy)


def _learned(progress: TrainingProgress | None) -> bool:
    return progress is not None and progress.learned


def learned_sentence(progress: TrainingProgress, precision: int = 3) -> str:
    """``learned: the loss is 0.0001 (from 0.25); small gradients and saturated outputs are
    expected now``."""
    return (
        f"learned: {progress.describe(precision)}; small gradients and saturated outputs "
        "are expected now"
    )


def _formula(text: str) -> str:
    return f'<span style="color:{FORMULA_COLOR}">{text}</span>'


def _percent(share: float) -> str:
    return f"{100.0 * share:.3g} %"


def _units(units: Sequence[int], limit: int = 8) -> str:
    """``1, 3, 4`` (counted from 1), shortened after ``limit`` units."""
    shown = ", ".join(str(u + 1) for u in units[:limit])
    return shown + (f" and {len(units) - limit} more" if len(units) > limit else "")


def _max_derivative_text(activation: str, precision: int) -> str:
    top = ACTIVATIONS[activation].max_derivative
    assert top is not None, "an activation that saturates has an elementwise derivative"
    return f"max |f′| = {format_number(top, precision)} for {activation}"


def _ratio_note(ratio: float) -> str:
    if ratio == 0.0:
        return "the update did not move this layer's weights."
    if ratio < UPDATE_RATIO_GUIDE / 10:
        return "far below 10⁻³: this layer hardly learns (a higher learning rate may help)."
    if ratio > UPDATE_RATIO_GUIDE * 10:
        return "far above 10⁻³: large steps, training may be unstable (lower the learning rate)."
    return "near the rule of thumb 10⁻³: a healthy pace."


def _layer(h: LayerHealth, p: int) -> list[str]:
    f = lambda x: format_number(x, p)  # noqa: E731
    parts = [_para(f"<b>Layer {h.layer + 1}</b>: {h.units} {h.activation} units", top=10)]
    if h.grad_norm is None:
        parts.append(_note("‖∂L/∂W‖ needs the targets of the batch."))
    else:
        parts.append(equation("‖∂L/∂W‖", None, [], f(h.grad_norm)))
    if h.update_ratio is None:
        parts.append(_note("‖ΔW‖ / ‖W‖: no update yet."))
    else:
        parts.append(equation("‖ΔW‖ / ‖W‖", None, [], f(h.update_ratio)))
        parts.append(_note(_ratio_note(h.update_ratio)))
    if h.saturated is not None:
        parts.append(equation("saturated", None, [], _percent(h.saturated)))
        units = h.saturated_units
        if units:
            parts.append(_note(f"Saturated on most samples: unit {_units(units)}."))
    if h.dead is not None:
        dead = h.dead_units
        parts.append(equation("dead", None, [], f"{len(dead)} of {h.units} units"))
        if dead:
            parts.append(_note(f"Dead on the whole batch: unit {_units(dead)}."))
    return parts


def _formulas(health: Sequence[LayerHealth], p: int) -> list[str]:
    activations = sorted({h.activation for h in health}, key=list(ACTIVATIONS).index)
    saturating = [a for a in activations if ACTIVATIONS[a].saturates]
    dying = [a for a in activations if ACTIVATIONS[a].dead_below is not None]
    level = format_number(100 * SATURATION_LEVEL, p)
    parts = [
        _para("<b>How these are computed</b>", top=14),
        _para(
            "‖∂L/∂W‖ = "
            + _formula("√(Σ<sub>j</sub> Σ<sub>i</sub> (∂L/∂w<sub>ji</sub>)²)")
            + ": the size of the layer's weight gradient on the batch. Shrinking from the "
            "output layer towards the input is a vanishing gradient, growing an exploding one.",
            top=4,
        ),
        _para(
            "‖ΔW‖ / ‖W‖ = "
            + _formula("√(Σ Δw<sub>ji</sub>²) / √(Σ w<sub>ji</sub>²)")
            + ": how far the last update moved the weights, relative to the weights before "
            "it. About 10⁻³ is the classic rule of thumb.",
            top=4,
        ),
    ]
    if saturating:
        maxima = "; ".join(_max_derivative_text(a, p) for a in saturating)
        parts.append(
            _para(
                "saturated = "
                + _formula(f"share of (s, j) with |f′(z<sub>j</sub>[s])| &lt; {level} % · max |f′|")
                + f" ({maxima}): such a unit passes back less than {level} % of the gradient "
                "it could.",
                top=4,
            )
        )
    if dying:
        parts.append(
            _para(
                "dead = "
                + _formula("share of units j with z<sub>j</sub>[s] ≤ 0 for every sample s")
                + ": a ReLU unit then outputs 0 on the whole batch and no gradient reaches its "
                "weights; a leaky ReLU unit passes only its slope, 1 %.",
                top=4,
            )
        )
    return parts


def _layers(health: Sequence[LayerHealth], singular: str, plural: str) -> str:
    """``Layer 3 is`` / ``Layers 1 and 3 are`` (counted from 1)."""
    numbers = [str(h.layer + 1) for h in health]
    if len(numbers) == 1:
        return f"Layer {numbers[0]} {singular}"
    return f"Layers {', '.join(numbers[:-1])} and {numbers[-1]} {plural}"


def _saturated_layers(health: Sequence[LayerHealth], loss: str | None) -> list[LayerHealth]:
    """Layers saturated on more than ``SATURATED_MOST`` of their (sample, unit) pairs; the
    output layer not when the loss cancels its ``f′`` (cross-entropy with its activation)."""
    combined = loss is not None and LOSSES[loss].output_activation == health[-1].activation
    return [
        h
        for h in health
        if h.saturated is not None
        and h.saturated > SATURATED_MOST
        and not (combined and h is health[-1])
    ]


def _gradient_spread(health: Sequence[LayerHealth]) -> float | None:
    """``‖∂L/∂W_1‖ / ‖∂L/∂W_L‖``, first layer over last (``None`` if either is missing or 0)."""
    first, last = health[0].grad_norm, health[-1].grad_norm
    if len(health) > 1 and first is not None and last is not None and last > 0 and first > 0:
        return first / last
    return None


def _advice(health: Sequence[LayerHealth], p: int, loss: str | None) -> list[str]:
    return [_para(text, PENDING_COLOR, top=8) for text in _advice_texts(health, p, loss)]


def _advice_texts(
    health: Sequence[LayerHealth], p: int, loss: str | None, helps: bool = True
) -> list[str]:
    """The problems found, each with what usually helps (unless not ``helps``)."""
    parts = []

    def add(problem: str, help: str) -> None:
        parts.append(f"{problem}. What usually helps: {help}." if helps else f"{problem}.")

    saturated = _saturated_layers(health, loss)
    if saturated:
        add(f"{_layers(saturated, 'is', 'are')} saturated", HELP_SATURATED)
    dead = [h for h in health if h.dead]
    if dead:
        add(f"{_layers(dead, 'has', 'have')} dead units", HELP_DEAD)
    spread = _gradient_spread(health)
    if spread is not None:
        if spread < 1 / GRADIENT_SPREAD:
            add(
                f"The gradient shrinks {TIMES.strip()}{format_number(1 / spread, p)} from layer "
                f"{len(health)} to layer 1: a vanishing gradient",
                HELP_VANISHING,
            )
        elif spread > GRADIENT_SPREAD:
            add(
                f"The gradient grows {TIMES.strip()}{format_number(spread, p)} from layer "
                f"{len(health)} to layer 1: an exploding gradient",
                HELP_EXPLODING,
            )
    return parts


def explain_health(
    health: Sequence[LayerHealth],
    precision: int = 4,
    loss: str | None = None,
    progress: TrainingProgress | None = None,
) -> str:
    """The panel's rich text for ``layer_health`` / ``step_health``: figures, formulas, help.

    ``loss`` (the network's ``loss_name``) lets the text say when the loss cancels the output
    layer's ``f'`` (cross-entropy with softmax or sigmoid), so that its saturation is harmless.
    With ``progress`` ``learned``, the text says so first and the advice becomes notes.
    """
    p = _check_precision(precision)
    if not health:
        return _page([_heading("Layer health", "No layers."), _note("Nothing to show.")])
    samples = health[0].samples
    tag = f"On a batch of {samples} sample{'s' if samples != 1 else ''}"
    parts = [_heading("Layer health", tag)]
    advice = _advice(health, p, loss)
    if progress is not None and progress.learned:
        sentence = learned_sentence(progress, p)
        parts.append(_para(sentence[0].upper() + sentence[1:] + ".", CURRENT_COLOR, top=8))
        advice = [_note(text) for text in _advice_texts(health, p, loss, helps=False)]
    parts += advice
    for h in health:
        parts += _layer(h, p)
    last = health[-1]
    if loss is not None and LOSSES[loss].output_activation == last.activation and last.saturated:
        parts.append(
            _note(
                f"With the {LOSSES[loss].title.lower()} loss, δ = o − t at the output layer: "
                f"the loss cancels f′ there, so a saturated output layer still learns."
            )
        )
    parts += _formulas(health, p)
    return _page(parts)


def unit_health_tooltip(health: LayerHealth, unit: int) -> str | None:
    """Plain text for the badge of ``unit`` (0-based) of a layer, or ``None`` if it is fine."""
    if health.unit_dead is not None and health.unit_dead[unit]:
        entry = ACTIVATIONS[health.activation]
        dead_below, derivative = entry.dead_below, entry.derivative
        assert dead_below is not None and derivative is not None, (
            "only an elementwise activation that can die has dead units"
        )
        z = np.array([[dead_below - 1.0]])
        slope = float(derivative(z, entry.forward(z))[0, 0])
        if slope == 0.0:
            what = "its output does not change and no gradient reaches its weights"
        else:
            what = f"only a slope of {slope:g} of the gradient reaches its weights"
        return (
            f"Dead unit: z ≤ 0 for every sample of the batch, so {what}. "
            f"What usually helps: {HELP_DEAD}."
        )
    if health.unit_saturated is not None and health.unit_saturated[unit] > SATURATED_MOST:
        share = _percent(float(health.unit_saturated[unit]))
        return (
            f"Saturated unit: |f′(z)| is below {100 * SATURATION_LEVEL:g} % of its maximum on "
            f"{share} of the samples, so it passes almost no gradient back to its weights. "
            f"What usually helps: {HELP_SATURATED}."
        )
    return None


def parameter_check_tooltip(result: GradientCheck, index: int, precision: int = 4) -> str:
    """Plain text: the gradient check of flat parameter ``index`` (``g``, ``g_num``, ``r``
    against the tolerance), or that it was not checked (a sampled check)."""
    p = _check_precision(precision)
    f = lambda x: format_number(x, p)  # noqa: E731
    k = int(result.indices.searchsorted(index))
    if k >= len(result.indices) or result.indices[k] != index:
        return (
            f"Gradient check: not checked ({len(result.indices):,} of the "
            f"{result.parameters:,} parameters were, drawn at random)."
        )
    g, g_num, r = result.analytic[k], result.numeric[k], result.errors[k]
    lines = [
        "Gradient check:",
        f"backpropagation g = {f(g)}",
        f"finite differences g_num = {f(g_num)}",
        f"r = |g {MINUS} g_num| / max(|g|, |g_num|, floor) = {f(r)}",
    ]
    if result.near_kink[k]:
        lines.append("The nudge moved z across a kink of the activation: left out of the verdict.")
    elif r < result.tolerance:
        lines.append(f"Below the tolerance {f(result.tolerance)}: they agree.")
    else:
        lines.append(f"Not below the tolerance {f(result.tolerance)}: they disagree.")
    return "\n".join(lines)


def _parameter_title(network: Network, index: int) -> str:
    layer, _, unit, column = parameter_name(network, index)
    if column is not None:  # a weight (a bias has no input column)
        return f"weight w<sub>{unit + 1},{column + 1}</sub> of layer {layer + 1}"
    return f"bias b<sub>{unit + 1}</sub> of layer {layer + 1}"


def explain_gradient_check(result: GradientCheck, network: Network, precision: int = 4) -> str:
    """The panel's rich text for a ``check_gradients`` result on ``network``."""
    p = _check_precision(precision)
    f = lambda x: format_number(x, p)  # noqa: E731
    verdict = "Passed" if result.passed else "Failed"
    tag = (
        f"{verdict}: backpropagation agrees with finite differences"
        if result.passed
        else f"{verdict}: backpropagation and finite differences disagree"
    )
    if result.sampled:
        checked = (
            f"{len(result.indices):,} of the {result.parameters:,} parameters, drawn at random"
        )
    else:
        checked = f"all {result.parameters:,} parameters"
    parts = [
        _heading("Gradient check", tag),
        _note(
            "Each parameter θ<sub>i</sub> is nudged by ±h and the objective J = L + penalty "
            "is evaluated by the forward pass alone; the slope between the two values is "
            "compared with backpropagation's gradient g<sub>i</sub>."
        ),
        _para(
            "g<sub>num,i</sub> = "
            + _formula(f"(J(θ + h e<sub>i</sub>) {MINUS} J(θ {MINUS} h e<sub>i</sub>)) / (2h)")
            + f",&nbsp; h = {f(result.h)}",
            top=8,
        ),
        _para(
            "r<sub>i</sub> = "
            + _formula(
                f"|g<sub>i</sub> {MINUS} g<sub>num,i</sub>| / max(|g<sub>i</sub>|, "
                "|g<sub>num,i</sub>|, floor)"
            )
            + f",&nbsp; floor = {f(result.floor)}",
            top=8,
        ),
        _note(
            "The floor is the rounding noise of the differences (10⁵ · ε · max(1, |J|) / h, "
            f"with J = {f(result.objective)}): below it they cannot tell a gradient from 0."
        ),
        _para(f"Checked: {checked}.", top=8),
    ]
    if len(result.indices):
        index = result.worst_index
        k = int(result.indices.searchsorted(index))
        g, g_num, r = result.analytic[k], result.numeric[k], result.errors[k]
        parts.append(_para(f"Largest relative error: {_parameter_title(network, index)}", top=8))
        parts.append(
            equation(
                "r",
                None,
                [
                    f"|{f(g)} {MINUS} {_paren(f(g_num))}| / "
                    f"max(|{f(g)}|, |{f(g_num)}|, {f(result.floor)})"
                ],
                f(r),
            )
        )
    kinks = int(result.near_kink.sum())
    if kinks:
        parts.append(
            _note(
                f"{kinks} checked parameter{'s' if kinks != 1 else ''} moved the z of "
                "their unit across a kink of its activation (ReLU at z = 0) on some sample: there "
                "the differences are not a derivative, so they are left out of the verdict "
                f"(largest error without them: {f(result.worst_away_from_kinks)})."
            )
        )
    comparison = "&lt;" if result.passed else "≥"
    parts.append(
        _para(
            f"<b>{verdict}</b>: the largest error {f(result.worst_away_from_kinks)} "
            f"{comparison} {f(result.tolerance)}.",
            top=10,
        )
    )
    parts.append(
        _para(
            "For a correct gradient float64 differences give errors around 10⁻⁷ or less; "
            "10⁻² or more means a wrong derivative.",
            NOTE_COLOR,
            top=6,
        )
    )
    return _page(parts)


# -- the diagnostics view's short texts --------------------------------------------------------


def layer_title(layer: int, layers: int) -> str:
    """Network layer ``layer`` (0-based) of ``layers`` for people: ``layer 1 (hidden)`` ...
    ``layer 3 (output)`` (counted from 1, as in the explanation panel)."""
    return f"layer {layer + 1} ({'output' if layer == layers - 1 else 'hidden'})"


def health_findings(
    health: Sequence[LayerHealth],
    loss: str | None = None,
    progress: TrainingProgress | None = None,
) -> list[str]:
    """One plain sentence per problem, with what usually helps, e.g.
    ``Layer 2: 63 % of its sigmoid outputs saturated (|f′| < 1 % of max |f′|) — try …``.

    The same findings as ``explain_health``'s advice: layers saturated on more than half of
    their (sample, unit) pairs (not an output layer whose ``f′`` the loss cancels), layers
    with dead units, and a first-to-last gradient norm ratio beyond ``GRADIENT_SPREAD``; then
    layers not named yet whose ``‖ΔW‖ / ‖W‖`` is more than ×10 away from ``UPDATE_RATIO_GUIDE``.
    Once ``progress`` says the network has learned, the sentences are observations: no
    "try …" (nothing needs fixing).
    """
    if not health:
        return []
    helps = not _learned(progress)

    def sentence(finding: str, help: str) -> str:
        return f"{finding} — try {help}." if helps else f"{finding}."

    level = f"{100 * SATURATION_LEVEL:g}"
    findings = []
    saturated = set(id(h) for h in _saturated_layers(health, loss))
    for h in health:
        if id(h) in saturated and h.saturated is not None:
            findings.append(
                sentence(
                    f"Layer {h.layer + 1}: {_percent(h.saturated)} of its {h.activation} outputs "
                    f"saturated (|f′| < {level} % of max |f′|, almost no gradient passes)",
                    HELP_SATURATED,
                )
            )
        if h.dead:
            dead = len(h.dead_units)
            findings.append(
                sentence(
                    f"Layer {h.layer + 1}: {dead} of its {h.units} {h.activation} units dead "
                    "(z ≤ 0 on every sample, no gradient reaches their weights)",
                    HELP_DEAD,
                )
            )
    spread = _gradient_spread(health)
    last = len(health)
    if spread is not None and spread < 1 / GRADIENT_SPREAD:
        findings.append(
            sentence(
                f"Vanishing gradient: ‖∂L/∂W‖ shrinks {TIMES.strip()}"
                f"{format_number(1 / spread, 3)} from layer {last} to layer 1",
                HELP_VANISHING,
            )
        )
    elif spread is not None and spread > GRADIENT_SPREAD:
        findings.append(
            sentence(
                f"Exploding gradient: ‖∂L/∂W‖ grows {TIMES.strip()}{format_number(spread, 3)} "
                f"from layer {last} to layer 1",
                HELP_EXPLODING,
            )
        )
    slow, fast = _pace_layers(health, loss)
    for h in slow:
        findings.append(
            sentence(
                f"Layer {h.layer + 1}: ‖ΔW‖ / ‖W‖ = {format_number(h.update_ratio or 0.0, 3)}, "
                "far below the rule of thumb 10⁻³: it hardly learns",
                "a higher learning rate",
            )
        )
    for h in fast:
        findings.append(
            sentence(
                f"Layer {h.layer + 1}: ‖ΔW‖ / ‖W‖ = {format_number(h.update_ratio or 0.0, 3)}, "
                "far above the rule of thumb 10⁻³: large steps, training may be unstable",
                "a lower learning rate",
            )
        )
    return findings


def _pace_layers(
    health: Sequence[LayerHealth], loss: str | None
) -> tuple[list[LayerHealth], list[LayerHealth]]:
    """``(slow, fast)``: layers whose update ratio is more than ×10 below / above the rule of
    thumb, leaving out layers already reported saturated or dead (the cause named first)."""
    flagged = {id(h) for h in _saturated_layers(health, loss)} | {id(h) for h in health if h.dead}
    ratios = [(h, h.update_ratio) for h in health if id(h) not in flagged]
    slow = [h for h, r in ratios if r is not None and 0.0 < r < UPDATE_RATIO_GUIDE / 10]
    fast = [h for h, r in ratios if r is not None and r > UPDATE_RATIO_GUIDE * 10]
    return slow, fast


def health_headline(
    health: Sequence[LayerHealth] | None,
    loss: str | None = None,
    progress: TrainingProgress | None = None,
) -> str:
    """The problems in a few words for one line (``layer 1 saturated · layer 2: dead units``),
    ``NO_PROBLEMS``, or ``""`` before any measurement. Once ``progress`` says the network has
    learned: ``learned_sentence`` instead (what would be problems is expected then)."""
    if not health:
        return ""
    if progress is not None and progress.learned:
        return learned_sentence(progress)
    words = [f"layer {h.layer + 1} saturated" for h in _saturated_layers(health, loss)]
    words += [f"layer {h.layer + 1}: dead units" for h in health if h.dead]
    spread = _gradient_spread(health)
    if spread is not None and spread < 1 / GRADIENT_SPREAD:
        words.append("vanishing gradient")
    elif spread is not None and spread > GRADIENT_SPREAD:
        words.append("exploding gradient")
    slow, fast = _pace_layers(health, loss)
    words += [f"layer {h.layer + 1} learns slowly" for h in slow]
    words += [f"layer {h.layer + 1} takes large steps" for h in fast]
    return " · ".join(words) if words else NO_PROBLEMS


def health_is_calm(
    health: Sequence[LayerHealth] | None,
    loss: str | None = None,
    progress: TrainingProgress | None = None,
) -> bool:
    """Whether ``health_headline`` is good news (nothing found, or learned), for its colour."""
    return _learned(progress) or health_headline(health, loss) == NO_PROBLEMS


def _cell(text: str, align: str = "right", bold: bool = False) -> str:
    tag = "th" if bold else "td"
    return f'<{tag} align="{align}" style="padding:1px 4px;">{text}</{tag}>'


def health_summary(
    health: Sequence[LayerHealth] | None,
    precision: int = 3,
    loss: str | None = None,
    step: int | None = None,
    progress: TrainingProgress | None = None,
    narrow: bool = False,
) -> str:
    """Rich text: each layer's ``‖∂L/∂W‖``, ``‖ΔW‖ / ‖W‖``, saturated % and dead % (``—``
    where a figure does not apply), as a table or, ``narrow``, one wrapping block per layer;
    then ``health_findings`` (or that none were found), measured after step ``step`` when
    given. With ``progress`` ``learned``: that first, in a calm colour, and the findings as
    grey notes."""
    p = _check_precision(precision)
    if not health:
        return _page([_note("No layer health yet: take a step or press Play.")])
    f = lambda x: format_number(x, p)  # noqa: E731
    samples = health[0].samples
    where = f"after step {step:,} " if step is not None else ""
    parts = [
        _para(
            f"<b>Layer health</b> {where}on {samples} sample{'s' if samples != 1 else ''}",
            top=0,
        )
    ]
    learned = _learned(progress)
    if progress is not None and learned:
        sentence = learned_sentence(progress, p)
        parts.append(_para(sentence[0].upper() + sentence[1:] + ".", CURRENT_COLOR, top=4))
    names = ["‖∂L/∂W‖", "‖ΔW‖ / ‖W‖", "saturated", "dead"]
    rows = []
    for h in health:
        figures = [
            "—" if h.grad_norm is None else f(h.grad_norm),
            "—" if h.update_ratio is None else f(h.update_ratio),
            "—" if h.saturated is None else _percent(h.saturated),
            "—" if h.dead is None else _percent(h.dead),
        ]
        rows.append((f"{h.layer + 1} {h.activation}", figures))
    if narrow:
        for name, figures in rows:
            pairs = " · ".join(
                f"{label}&nbsp;{figure}".replace(" ", "&nbsp;")
                for label, figure in zip(names, figures)
            )
            parts.append(_para(f"<b>Layer {name}</b>: {pairs}", top=4))
    else:
        header = "".join(
            _cell(t, "left" if i == 0 else "right", bold=True)
            for i, t in enumerate(["layer", *names])
        )
        lines = [f"<tr>{header}</tr>"]
        for name, figures in rows:
            lines.append(
                "<tr>" + _cell(name, "left") + "".join(_cell(x) for x in figures) + "</tr>"
            )
        parts.append(
            '<table cellspacing="0" style="margin-top:4px;">' + "".join(lines) + "</table>"
        )
    findings = health_findings(health, loss, progress)
    if findings and learned:
        parts += [_note(html.escape(text)) for text in findings]
    elif findings:
        parts += [_para(html.escape(text), PENDING_COLOR, top=6) for text in findings]
    else:
        parts.append(
            _para(
                "No layer is saturated or dead, and the gradient neither vanishes nor explodes.",
                CURRENT_COLOR,
                top=6,
            )
        )
    parts.append(
        _note(
            "‖∂L/∂W‖: size of the layer's weight gradient. ‖ΔW‖ / ‖W‖: how far the last "
            "update moved its weights (about 10⁻³ is the rule of thumb)."
        )
    )
    return _page(parts)


def _verdict_index(result: GradientCheck) -> int | None:
    """The flat index of the parameter with the verdict's error (largest away from kinks)."""
    away = np.flatnonzero(~result.near_kink)
    if not len(away):
        return None
    return int(result.indices[away[int(np.argmax(result.errors[away]))]])


def gradient_check_summary(
    result: GradientCheck, network: Network, precision: int = 3, step: int | None = None
) -> str:
    """Rich text in a few lines: passed or failed, the largest relative error (away from
    kinks) and its parameter, the tolerance, how many parameters were checked, and
    ``r = |g − g_num| / max(|g|, |g_num|, floor)`` with ``g_num = (L(w + h) − L(w − h)) / 2h``."""
    p = _check_precision(precision)
    f = lambda x: format_number(x, p)  # noqa: E731
    verdict = "passed" if result.passed else "failed"
    colour = CURRENT_COLOR if result.passed else "#b2182b"
    at = f" at step {step:,}" if step is not None else ""
    worst = result.worst_away_from_kinks
    index = _verdict_index(result)
    comparison = "below" if result.passed else "not below"
    if index is None:
        error = "every checked parameter sits at a kink: nothing to compare"
    else:
        error = (
            f"largest relative error r = {f(worst)}, at the {_parameter_title(network, index)}, "
            f"{comparison} the tolerance {f(result.tolerance)}"
        )
    if result.sampled:
        checked = (
            f"{len(result.indices):,} of the {result.parameters:,} parameters checked "
            "(drawn at random)"
        )
    else:
        checked = f"all {result.parameters:,} parameters checked"
    parts = [
        _para(
            f'<b><span style="color:{colour}">Gradient check {verdict}</span></b>{at}: '
            f"{error}; {checked}.",
            top=0,
        ),
        _para(
            "r = "
            + _formula(f"|g {MINUS} g<sub>num</sub>| / max(|g|, |g<sub>num</sub>|, floor)")
            + ",&nbsp; g<sub>num</sub> = "
            + _formula(f"(L(w + h) {MINUS} L(w {MINUS} h)) / 2h")
            + f",&nbsp; h = {f(result.h)}, floor = {f(result.floor)}",
            top=4,
        ),
    ]
    kinks = int(result.near_kink.sum())
    if kinks:
        parts.append(
            _note(
                f"{kinks} parameter{'s' if kinks != 1 else ''} at a kink of the activation "
                "(ReLU at z = 0) left out: there the differences are not a derivative."
            )
        )
    return _page(parts)
