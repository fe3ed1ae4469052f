"""The explanation panel's text: a moment and a selection turned into equations with numbers.

Qt-free (plain Python and numpy): the functions return rich text (the HTML subset Qt's
``QTextBrowser`` renders), so they can be tested, and written to worksheets, without a display.

Every number comes from the engine's records (``Moment.forward_layers``, ``error``,
``backward_layers``, ``update``) and is only formatted here; the bold result of each equation
is the record's own value, never recomputed, so the text agrees with the canvas. The weights
printed in the forward and backward equations are the ones the engine used: the update
record's ``before`` once the update is done, else the network's current weights.

Each equation is three lines: the formula, the formula with the numbers plugged in, and the
result in bold (``=`` lines may add an intermediate value between them)::

    z = Σᵢ wⱼᵢ aᵢ + bⱼ
      = 0.15 × 0.05 + 0.2 × 0.1 + 0.35
      = 0.3775

Numbers have ``precision`` significant digits (trailing zeros dropped), a real minus sign
(U+2212) and parentheses when they are a negative factor or a later term of a sum.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable

import numpy as np

from bp_studio.engine import OPTIMIZERS, ErrorRecord, Phase, Regularization, UpdateRecord
from bp_studio.studio.moment import Moment, Selection
from bp_studio.studio.notation import (
    bias_name,
    input_symbol,
    node_name,
    normalisation_word,
    weight_name,
)

MINUS = "\u2212"
"""The minus sign used for negative numbers and subtraction."""

MIN_PRECISION, MAX_PRECISION = 1, 17
MAX_TERMS = 8
"""Sums with more terms than this show only the first ``SHOWN_TERMS`` and a count."""
SHOWN_TERMS = 3

TIMES = " × "
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

# Colours: formulas in blue, explanations and notes in grey, "not computed yet" in amber.
FORMULA_COLOR = "#1d4f91"
NOTE_COLOR = "#5f6368"
PENDING_COLOR = "#9a5b00"
CURRENT_COLOR = "#0b6e4f"

PHASE_SENTENCES = {
    Phase.FORWARD: "the forward pass produces predictions.",
    Phase.ERROR: "the error is the difference between targets and predictions.",
    Phase.BACKWARD: "the gradients are computed backwards, layer by layer.",
    Phase.UPDATE: "the weights are adjusted from the output back towards the input.",
}
"""One sentence for each of the seed's four steps."""

# -- numbers ---------------------------------------------------------------------------------


def _check_precision(precision: int) -> int:
    value = int(precision)
    if not MIN_PRECISION <= value <= MAX_PRECISION:
        raise ValueError(
            f"precision must be {MIN_PRECISION} to {MAX_PRECISION} significant digits, "
            f"got {precision!r}"
        )
    return value


def format_number(x: float, precision: int) -> str:
    """``x`` with ``precision`` significant digits, e.g. ``0.3775``, ``−0.7414``, ``0.5``.

    Trailing zeros are dropped; negative numbers get the minus sign U+2212 (never ``-`` or a
    dash) and positive ones no sign. Numbers below 10⁻⁴ or from 10⁶ on (10^precision if that
    is larger) are written ``1.235×10⁻⁵``. ``NaN`` and ``∞`` are spelled out.
    """
    p = _check_precision(precision)
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    if x == 0.0:
        return "0"
    mantissa, exponent_text = f"{abs(x):.{p - 1}e}".split("e")
    exponent = int(exponent_text)
    if -4 <= exponent < max(p, 6):
        text = _strip_zeros(f"{abs(x):.{max(p - 1 - exponent, 0)}f}")
    else:
        text = _strip_zeros(mantissa) + "×10" + str(exponent).translate(_SUPERSCRIPT)
    return MINUS + text if x < 0 else text


def _strip_zeros(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _paren(text: str) -> str:
    """``text`` in parentheses if it is a negative number."""
    return f"({text})" if text.startswith(MINUS) else text


def _sum(count: int, term: Callable[[int], str]) -> str:
    """``term(0) + term(1) + …``; over ``MAX_TERMS`` terms only the first few and the count.

    Later terms that are negative numbers are put in parentheses.
    """
    shown = count if count <= MAX_TERMS else SHOWN_TERMS
    parts = [term(index) for index in range(shown)]
    text = " + ".join([parts[0]] + [_paren(part) for part in parts[1:]]) if parts else "0"
    if shown < count:
        text += f" + … ({count} terms)"
    return text


# -- formulas --------------------------------------------------------------------------------

_WORDS = (
    (r"\blambda\b", "λ"),
    (r"\bdelta\b", "δ"),
    (r"\blr\b", "η"),
    (r"\bmu\b", "μ"),
    (r"\beps\b", "ε"),
    (r"\bsqrt\(", "√("),
    (r"\bsum_samples\b", "Σ_s"),
    (r"\bsum_outputs\b", "Σ_k"),
    (r"\bsum_classes\b", "Σ_k"),
    (r"\bsum_j\b", "Σ_j"),
    (r"\bsum\b", "Σ"),
    (r"dL/d([wb])\b", r"∂L/∂\1"),
    (r"\bf'", "f′"),
    (r"\b1/2\b", "½"),
    (r"<-", "←"),
    (r" \* ", " · "),
    (r" - ", f" {MINUS} "),
    (r"(^|[\s(\[=])-", rf"\1{MINUS}"),
    (r"\^-", f"^{MINUS}"),
)


def formula_html(text: str) -> str:
    """The engine's plain-text formula (``1 / (1 + e^-z)``) as rich text (``e<sup>−z</sup>``).

    Greek letters replace their names (``lr`` → η, ``lambda`` → λ), ``sum_j`` becomes Σⱼ,
    ``^2`` a square, ``^(…)`` a superscript (``e^(−0.3775)``: the registries write numbers
    into exponents so), ``*`` a centred dot and ``-`` a minus sign.
    """
    for pattern, replacement in _WORDS:
        text = re.sub(pattern, replacement, text)
    text = html.escape(text, quote=False)
    text = re.sub(r"\^\(([^()]*)\)", r"<sup>\1</sup>", text)
    text = text.replace("^2", "²")
    text = re.sub(
        rf"\^({MINUS}?[A-Za-z0-9]+)(?:_([A-Za-z0-9]+))?",
        lambda m: (
            f"<sup>{m.group(1)}" + (f"<sub>{m.group(2)}</sub>" if m.group(2) else "") + "</sup>"
        ),
        text,
    )
    return re.sub(r"([A-Za-zΣ])_([A-Za-z0-9]+)", r"\1<sub>\2</sub>", text)


# -- html building blocks ------------------------------------------------------------------


def _para(text: str, color: str | None = None, margin_left: int = 0, top: int = 4) -> str:
    style = f"margin-top:{top}px; margin-bottom:0px; margin-left:{margin_left}px;"
    if color:
        style += f" color:{color};"
    return f'<p style="{style}">{text}</p>'


def _note(text: str) -> str:
    return _para(text, NOTE_COLOR, top=6)


def _pending(text: str) -> str:
    return _para(f"<i>{text}</i>", PENDING_COLOR, top=8)


def equation(lhs: str, formula: str | None, numbers: list[str], result: str, op: str = "=") -> str:
    """An equation block: ``lhs op formula``, then ``= numbers`` lines, then ``= result`` bold.

    Without ``formula`` and ``numbers`` it is one line, ``lhs = result``.
    """
    if formula is None and not numbers:
        return _para(f"{lhs} {op} <b>{result}</b>", top=8)
    lines = []
    if formula is not None:
        lines.append(
            _para(f'{lhs} {op} <span style="color:{FORMULA_COLOR}">{formula}</span>', top=8)
        )
        rest = numbers
    else:
        lines.append(_para(f"{lhs} {op} {numbers[0]}", top=8))
        rest = numbers[1:]
    lines.extend(_para(f"= {line}", margin_left=18, top=1) for line in rest)
    lines.append(_para(f"= <b>{result}</b>", margin_left=18, top=1))
    return "".join(lines)


def _heading(title: str, tag: str) -> str:
    """The title in large bold, with a grey line under it (what is selected, which phase)."""
    return _para(f'<b><span style="font-size:large">{title}</span></b>', top=0) + _para(
        tag, NOTE_COLOR, top=1
    )


def _page(parts: list[str]) -> str:
    return "<html><body>" + "".join(parts) + "</body></html>"


# -- the moment, read through one object ------------------------------------------------------


class _View:
    """A moment with the numbers and names the explanations need."""

    def __init__(self, moment: Moment, precision: int) -> None:
        self.moment = moment
        self.p = precision
        self.network = moment.network
        self.layers = len(self.network.layers)
        self.forward = moment.forward_layers
        self.backward = moment.backward_layers
        self.n = self.forward[0].inputs.shape[0] if self.forward else moment.batch_size
        self.s = min(max(moment.sample, 0), max(self.n - 1, 0))

    # numbers
    def f(self, x: float) -> str:
        return format_number(x, self.p)

    def fp(self, x: float) -> str:
        """A factor of a product: negative numbers in parentheses."""
        return _paren(self.f(x))

    def sum(self, count: int, term: Callable[[int], str]) -> str:
        """``term(0) + term(1) + …``, shortened over ``MAX_TERMS`` terms (see ``_sum``)."""
        return _sum(count, term)

    @property
    def lr(self) -> float:
        return self.moment.update.lr if self.moment.update is not None else self.moment.lr

    # the step's records, read where the phase order guarantees them
    @property
    def error(self) -> ErrorRecord:
        """The error record; read only once the error phase has run (``error_piece``)."""
        error = self.moment.error
        assert error is not None, "the error phase has run"
        return error

    @property
    def update(self) -> UpdateRecord:
        """The update record; read only in the update phase."""
        update = self.moment.update
        assert update is not None, "the update phase has run"
        return update

    # parameters as the engine used them in this step
    def weight(self, layer: int) -> np.ndarray:
        if self.moment.update is not None:
            return self.moment.update.before[layer].weight
        return self.network.layers[layer].weight

    def bias(self, layer: int) -> np.ndarray | None:
        if self.moment.update is not None:
            return self.moment.update.before[layer].bias
        return self.network.layers[layer].bias

    # names (``notation``: the canvas, tooltips and dialogs say the same)
    def node_name(self, node_layer: int, unit: int) -> str:
        return node_name(
            self.layers,
            node_layer,
            unit,
            self.network.input_names,
            self.moment.output_names,
        )

    def phase_tag(self) -> str:
        phase = self.moment.phase
        if phase is None:
            if self.moment.step_number:
                return f"Between steps: step {self.moment.step_number + 1:,} not started"
            return "Not started"
        return f"Phase {int(phase)} of 4: {phase.title}"

    def sample_line(self) -> str:
        """``Node values: sample 3 of a batch of 4; gradients: mean over the batch.``"""
        if self.n == 0:
            return ""
        text = (
            f"Node values: sample {self.s + 1} of a batch of {self.n}; "
            "gradients: mean over the batch."
        )
        batch = self.moment.batch
        if batch is not None and len(batch) == self.n and int(batch[self.s]) != self.s:
            text += f" Sample {self.s + 1} is row {int(batch[self.s]) + 1} of the training data."
        return text

    # what has been computed, counted in presses of "Next layer"
    def done(self) -> int:
        phase, layers = self.moment.phase, self.layers
        if phase is None:
            return 0
        if phase == Phase.FORWARD:
            return len(self.forward)
        if phase == Phase.ERROR:
            return layers + 1
        if phase == Phase.BACKWARD:
            return layers + 1 + len(self.backward)
        return 2 * layers + 2

    def forward_piece(self, layer: int) -> int:
        return layer + 1

    def error_piece(self) -> int:
        return self.layers + 1

    def backward_piece(self, layer: int) -> int:
        return self.layers + 1 + (self.layers - layer)

    def computed(self, piece: int) -> bool:
        return self.done() >= piece

    def not_yet(self, piece: int, what: str) -> str:
        presses = piece - self.done()
        if presses <= 1:
            return _pending(f"Not computed yet: press Next layer to run {what}.")
        return _pending(f"Not computed yet: press Next layer {presses} times to run {what}.")

    def forward_done(self, layer: int) -> bool:
        return layer < len(self.forward)

    def backward_done(self, layer: int) -> bool:
        return layer in self.backward


# -- the loss of one output ------------------------------------------------------------------


def _loss_share(view: _View, k: int) -> tuple[str, str, float]:
    """``(formula, numbers, value)`` of output ``k``'s share of the sample loss ``L_s``."""
    last = view.forward[-1]
    s = view.s
    z, o = last.z[s : s + 1], last.a[s : s + 1]
    t = view.error.targets[s : s + 1]
    loss = view.network.loss
    value = float(loss.terms(z, o, t)[0, k])
    numbers = formula_html(loss.term_numbers(z[0], o[0], t[0], k, view))
    return formula_html(loss.term_formula), numbers, value


def _loss_equations(view: _View) -> list[str]:
    """The chosen sample's loss ``L_s`` with its numbers, then the batch mean ``L``."""
    error = view.error
    outputs = view.network.outputs
    first = _loss_share(view, 0)[0]
    parts = [
        equation(
            "L<sub>s</sub>",
            f"Σ<sub>k</sub> {first}",
            [_sum(outputs, lambda k: _loss_share(view, k)[1])],
            view.f(error.sample_loss[view.s]),
        )
    ]
    if view.n > 1:
        parts.append(
            equation(
                "L",
                "(1/n) Σ<sub>s</sub> L<sub>s</sub>",
                [f"(1/{view.n}){TIMES}({_sum(view.n, lambda i: view.f(error.sample_loss[i]))})"],
                view.f(error.loss),
            )
        )
    else:
        parts.append(equation("L", "L<sub>s</sub>", [], view.f(error.loss)))
    if error.penalty != 0.0:
        parts.append(
            equation(
                "L + penalty",
                None,
                [f"{view.f(error.loss)} + {view.fp(error.penalty)}"],
                view.f(error.total),
            )
        )
    return parts


# -- nodes -------------------------------------------------------------------------------------


def _activation_numbers(view: _View, layer: int, unit: int) -> str | None:
    """``f(z)`` with the number of ``z`` plugged in, or ``None`` where it adds nothing."""
    activation = view.network.layers[layer].function
    if activation.formula_numbers is None:
        return None
    text = activation.formula_numbers(view.forward[layer].z[view.s], unit, view)
    return None if text is None else formula_html(text)


def _forward_equations(view: _View, layer: int, unit: int) -> list[str]:
    """``z = Σ w a + b`` and ``a = f(z)`` of one node, with the numbers of sample ``s``."""
    record = view.forward[layer]
    s = view.s
    weight, bias = view.weight(layer), view.bias(layer)
    inputs = record.inputs[s]
    numbers = _sum(len(inputs), lambda i: f"{view.fp(weight[unit, i])}{TIMES}{view.fp(inputs[i])}")
    formula = "Σ<sub>i</sub> w<sub>ji</sub> a<sub>i</sub>"
    if bias is not None:
        numbers += f" + {view.fp(bias[unit])}"
        formula += " + b<sub>j</sub>"
    activation = view.network.layers[layer].function
    fname = activation.symbol
    rule = formula_html(activation.formula)
    a_formula = f"{fname}(z)" if rule == f"{fname}(z)" else f"{fname}(z) = {rule}"
    plugged = _activation_numbers(view, layer, unit)
    return [
        equation("z", formula, [numbers], view.f(record.z[s, unit])),
        equation("a", a_formula, [plugged] if plugged else [], view.f(record.a[s, unit])),
    ]


def _derivative_equation(view: _View, layer: int, unit: int, derivative: float) -> str:
    """``f′(z) = <derivative formula> = numbers = value`` (the value from the record)."""
    activation = view.network.layers[layer].function
    a = float(view.forward[layer].a[view.s, unit])
    z = float(view.forward[layer].z[view.s, unit])
    formula = formula_html(activation.derivative_formula)
    numbers: list[str] = []
    if activation.derivative_numbers is not None:
        text = activation.derivative_numbers(z, a, view)
        if text is not None:
            numbers = [formula_html(text)]
    if activation.kinks:
        formula += f",&nbsp; with z = {view.f(z)}"
    # A constant slope (linear): one line is enough.
    shown = None if formula == view.f(derivative) else formula
    return equation("f′(z)", shown, numbers, view.f(derivative))


def _backward_equations(view: _View, layer: int, unit: int) -> list[str]:
    """``δ`` of one node: from the loss at the output layer, from the next layer's δ else."""
    s = view.s
    record = view.backward[layer]
    delta = view.f(record.delta[s, unit])
    if layer == view.layers - 1:
        o = float(view.forward[layer].a[s, unit])
        t = float(view.error.targets[s, unit])
        lhs, _, rule = formula_html(view.network.loss.delta_formula).partition(" = ")
        if record.derivative is None:
            return [
                _note(
                    f"With the {view.network.loss.title.lower()} loss and a "
                    f"{view.network.layers[layer].activation} output layer, the derivatives "
                    "of the loss and of the activation combine into δ = o − t."
                ),
                equation("δ", rule, [f"{view.f(o)} {MINUS} {view.fp(t)}"], delta),
            ]
        derivative = float(record.derivative[s, unit])
        return [
            _note("δ says how fast this sample's loss changes when this node's z changes."),
            _derivative_equation(view, layer, unit, derivative),
            equation(
                "δ",
                rule,
                [f"({view.f(o)} {MINUS} {view.fp(t)}){TIMES}{view.fp(derivative)}"],
                delta,
            ),
        ]
    later = view.backward[layer + 1]
    next_weight = view.weight(layer + 1)
    assert record.derivative is not None and record.grad_output is not None, (
        "a hidden layer's backward record holds f'(z) and the gradient from the next layer"
    )
    derivative = float(record.derivative[s, unit])
    units = next_weight.shape[0]
    terms = _sum(
        units, lambda k: f"{view.fp(next_weight[k, unit])}{TIMES}{view.fp(later.delta[s, k])}"
    )
    return [
        _note(
            "A hidden node's δ gathers the δ of the next layer through the weights this node "
            "feeds, times its own slope f′(z)."
        ),
        _derivative_equation(view, layer, unit, derivative),
        equation(
            "δ",
            "f′(z) · Σ<sub>k</sub> w<sub>kj</sub> δ<sub>k</sub>",
            [
                f"{view.fp(derivative)}{TIMES}({terms})",
                f"{view.fp(derivative)}{TIMES}{view.fp(record.grad_output[s, unit])}",
            ],
            delta,
        ),
    ]


def _input_node(view: _View, unit: int) -> list[str]:
    if not view.forward:
        return [
            _note("The input nodes hold the values of the sample being shown."),
            view.not_yet(view.forward_piece(0), "the forward pass of layer 1"),
        ]
    value = view.f(view.forward[0].inputs[view.s, unit])
    parts = [_note("The input nodes hold the values of the sample being shown; they feed layer 1.")]
    word = normalisation_word(view.moment.normalization_kind)
    raw = view.moment.raw_input(unit)
    if word and raw is not None:  # x₁ = −1 (standardised; raw 0)
        parts.append(
            _para(
                f"{input_symbol(unit, html=True)} = <b>{value}</b> ({word}; raw {view.f(raw)})",
                top=8,
            )
        )
    else:
        parts.append(equation(input_symbol(unit, html=True), None, [], value))
    if view.moment.phase == Phase.BACKWARD:
        parts.append(_note("Inputs have no δ: the backward pass ends at the weights of layer 1."))
    return parts


def _node(view: _View, node_layer: int, unit: int) -> list[str]:
    if node_layer == 0:
        return _input_node(view, unit)
    layer = node_layer - 1
    phase = view.moment.phase
    output = layer == view.layers - 1
    if not view.forward_done(layer):
        return [view.not_yet(view.forward_piece(layer), f"the forward pass of layer {node_layer}")]
    a = view.f(view.forward[layer].a[view.s, unit])
    activation = view.network.layers[layer].activation
    forward_intro = _note(
        f"The node adds up its weighted inputs and its bias, then applies its activation "
        f"function ({activation})."
        + (" Its output is the network's prediction o." if output else "")
    )
    if phase == Phase.FORWARD or phase is None:
        return [forward_intro, *_forward_equations(view, layer, unit)]
    if phase == Phase.ERROR:
        if not output:
            return [
                _note(
                    "The error is measured at the output nodes; this node keeps its value "
                    "from the forward pass."
                ),
                *_forward_equations(view, layer, unit),
            ]
        return _error_node(view, unit)
    if phase == Phase.BACKWARD:
        if not view.backward_done(layer):
            return [
                view.not_yet(
                    view.backward_piece(layer), f"the backward pass of layer {node_layer}"
                ),
                _note("Its value from the forward pass:"),
                equation("o" if output else "a", None, [], a),
            ]
        return _backward_equations(view, layer, unit)
    # update: nodes keep their values; show what this step computed for them
    parts = [
        _note(
            "The update changes weights and biases, not nodes: select an edge or a bias to "
            "see its update. This step computed for this node:"
        ),
        equation("a", None, [], a),
    ]
    if view.backward_done(layer):
        parts.append(equation("δ", None, [], view.f(view.backward[layer].delta[view.s, unit])))
    return parts


def _error_node(view: _View, unit: int) -> list[str]:
    error = view.error
    s = view.s
    t, o = error.targets[s, unit], error.outputs[s, unit]
    formula, numbers, value = _loss_share(view, unit)
    return [
        _note(
            "The error is the difference between the target t and the prediction o; the "
            f"loss ({view.network.loss.title.lower()}) turns it into one number per sample."
        ),
        equation(
            "e", f"t {MINUS} o", [f"{view.f(t)} {MINUS} {view.fp(o)}"], view.f(error.error[s, unit])
        ),
        _note("This output's share of the sample loss L<sub>s</sub>:"),
        equation("share", formula, [numbers], view.f(value)),
        equation(
            "L<sub>s</sub>",
            "Σ<sub>k</sub> (share of output k)",
            [_sum(view.network.outputs, lambda k: view.f(_loss_share(view, k)[2]))]
            if view.network.outputs > 1
            else [],
            view.f(error.sample_loss[s]),
        ),
    ]


# -- weights and biases ----------------------------------------------------------------------


def _flat_index(view: _View, layer: int, kind: str, unit: int, column: int = 0) -> int | None:
    for name, where, shape in view.network.parameter_slices():
        if name == f"layers.{layer}.{kind}":
            return where.start + (unit * shape[1] + column if kind == "weight" else unit)
    return None


def _optimizer_constants(name: str) -> dict[str, float]:
    cls = OPTIMIZERS.get(name)
    if cls is None:
        return {}
    instance = cls(1, 1.0)
    return {
        key: float(getattr(instance, key))
        for key in ("momentum", "beta1", "beta2", "eps")
        if hasattr(instance, key)
    }


def _update_equations(
    view: _View,
    symbol: str,
    before: float,
    step: float,
    after: float,
    grad: float,
    index: int | None,
) -> list[str]:
    """``θ ← θ − η · ∂L/∂θ`` (or momentum / Adam) with the update record's numbers."""
    update = view.update
    name = update.optimizer
    cls = OPTIMIZERS.get(name)
    plain = cls.formula if cls is not None else "w <- w + step"
    if symbol == "b":
        plain = re.sub(r"\bw\b", "b", plain.replace("dL/dw", "dL/db"))
    constants = _optimizer_constants(name)
    state_before, state_after = update.optimizer_state_before, update.optimizer_state_after
    grad_text = view.fp(grad)
    b, d, a = view.f(before), view.fp(step), view.f(after)
    eta = view.f(update.lr)
    parts = [
        _note(
            f"{cls.title if cls else name}: the parameter moves against its gradient "
            f"∂L/∂{symbol} = {view.f(grad)}, scaled by the learning rate η = {eta}."
        )
    ]
    rules = [rule.strip() for rule in plain.split(";")]
    if name == "sgd":
        lhs, _, rhs = rules[0].partition("<-")
        parts.append(
            equation(
                formula_html(lhs.strip()),
                formula_html(rhs.strip()),
                [f"{b} {MINUS} {eta}{TIMES}{grad_text}", f"{b} + {d}"],
                a,
                op="←",
            )
        )
        return parts
    if name == "momentum" and index is not None and "velocity" in state_before:
        mu = constants.get("momentum", 0.9)
        v_before = float(state_before["velocity"][index])
        v_after = float(state_after["velocity"][index])
        v_rule, w_rule = rules[0], rules[-1]
        parts.append(
            equation(
                "v",
                formula_html(v_rule.partition("<-")[2].strip()),
                [f"{view.f(mu)}{TIMES}{view.fp(v_before)} {MINUS} {eta}{TIMES}{grad_text}"],
                view.f(v_after),
                op="←",
            )
        )
        parts.append(
            equation(
                formula_html(w_rule.partition("<-")[0].strip()),
                formula_html(w_rule.partition("<-")[2].strip()),
                [f"{b} + {view.fp(v_after)}"],
                a,
                op="←",
            )
        )
        return parts
    if name == "adam" and index is not None and "m" in state_after:
        b1, b2 = constants.get("beta1", 0.9), constants.get("beta2", 0.999)
        eps = constants.get("eps", 1e-8)
        t = int(state_after.get("t", update.step_number))
        m_before, v_before = float(state_before["m"][index]), float(state_before["v"][index])
        m_after, v_after = float(state_after["m"][index]), float(state_after["v"][index])
        m_hat = m_after / (1.0 - b1**t)
        v_hat = v_after / (1.0 - b2**t)
        parts.append(
            equation(
                "m",
                f"β<sub>1</sub> · m + (1 {MINUS} β<sub>1</sub>) · ∂L/∂{symbol}",
                [f"{view.f(b1)}{TIMES}{view.fp(m_before)} + {view.f(1.0 - b1)}{TIMES}{grad_text}"],
                view.f(m_after),
                op="←",
            )
        )
        parts.append(
            equation(
                "v",
                f"β<sub>2</sub> · v + (1 {MINUS} β<sub>2</sub>) · (∂L/∂{symbol})²",
                [f"{view.f(b2)}{TIMES}{view.fp(v_before)} + {view.f(1.0 - b2)}{TIMES}{grad_text}²"],
                view.f(v_after),
                op="←",
            )
        )
        parts.append(_note(f"Bias correction after t = {t} updates:"))
        for key, value, beta, label in (("m", m_after, b1, "1"), ("v", v_after, b2, "2")):
            corrected = value / (1.0 - beta**t)
            parts.append(
                equation(
                    f"{key}<sub>hat</sub>",
                    f"{key} / (1 {MINUS} β<sub>{label}</sub><sup>t</sup>)",
                    [f"{view.fp(value)} / (1 {MINUS} {view.f(beta)}<sup>{t}</sup>)"],
                    view.f(corrected),
                )
            )
        lhs, _, rhs = rules[0].partition("<-")
        parts.append(
            equation(
                formula_html(lhs.strip()),
                formula_html(rhs.strip()),
                [
                    f"{b} {MINUS} {eta}{TIMES}{view.fp(m_hat)} / (√{view.fp(v_hat)} + "
                    f"{view.f(eps)})",
                    f"{b} + {d}",
                ],
                a,
                op="←",
            )
        )
        return parts
    parts.append(equation(symbol, f"{symbol} + Δ{symbol}", [f"{b} + {d}"], a, op="←"))
    return parts


def _regularization(view: _View) -> Regularization | None:
    try:
        rule = Regularization(view.moment.regularization, view.moment.regularization_rate)
    except ValueError:
        return None
    return rule if rule.active else None


def _gradient_weight(view: _View, layer: int, unit: int, column: int) -> list[str]:
    s, n = view.s, view.n
    record = view.backward[layer]
    delta = record.delta
    inputs = view.forward[layer].inputs
    if n > 1:
        formula = "(1/n) Σ<sub>s</sub> δ<sub>j</sub>[s] a<sub>i</sub>[s]"
        terms = _sum(n, lambda r: f"{view.fp(delta[r, unit])}{TIMES}{view.fp(inputs[r, column])}")
        numbers = f"(1/{n}){TIMES}({terms})"
    else:
        formula = "δ<sub>j</sub> · a<sub>i</sub>"
        numbers = f"{view.fp(delta[s, unit])}{TIMES}{view.fp(inputs[s, column])}"
    rule = _regularization(view)
    if record.penalty_grad_weight is not None and rule is not None:
        w = float(view.weight(layer)[unit, column])
        lam = view.f(rule.rate)
        if rule.kind == "l1":
            formula += " + λ · sign(w<sub>ji</sub>)"
            numbers += f" + {lam}{TIMES}{view.fp(float(np.sign(w)))}"
        else:
            formula += " + λ · w<sub>ji</sub>"
            numbers += f" + {lam}{TIMES}{view.fp(w)}"
    mean = "averaged over the batch" if n > 1 else "for this one-sample batch"
    return [
        _note(
            "A weight's gradient is the δ of the node it feeds times the value a that flows "
            f"through it, {mean}"
            + (", plus the gradient of the regularisation penalty." if rule else ".")
        ),
        equation(
            "∂L/∂w<sub>ji</sub>", formula, [numbers], view.f(record.grad_weight[unit, column])
        ),
    ]


def _gradient_bias(view: _View, layer: int, unit: int) -> list[str]:
    record = view.backward[layer]
    delta, grad_bias = record.delta, record.grad_bias
    assert grad_bias is not None, "only a layer with a bias has a bias to select"
    if view.n > 1:
        formula = "(1/n) Σ<sub>s</sub> δ<sub>j</sub>[s]"
        numbers = [f"(1/{view.n}){TIMES}({_sum(view.n, lambda r: view.f(delta[r, unit]))})"]
    else:
        formula, numbers = "δ<sub>j</sub>", []
    return [
        _note(
            "A bias's gradient is the δ of its node (its input is always 1), averaged over "
            "the batch. Biases are never regularised."
        ),
        equation("∂L/∂b<sub>j</sub>", formula, numbers, view.f(grad_bias[unit])),
    ]


def _edge(view: _View, layer: int, unit: int, column: int) -> list[str]:
    phase = view.moment.phase
    w = float(view.weight(layer)[unit, column])
    value = equation(f"w<sub>{unit + 1},{column + 1}</sub>", None, [], view.f(w))
    if phase == Phase.UPDATE and view.moment.update is not None and view.backward_done(layer):
        update = view.moment.update
        return _update_equations(
            view,
            "w",
            float(update.before[layer].weight[unit, column]),
            float(update.step[layer].weight[unit, column]),
            float(update.after[layer].weight[unit, column]),
            float(view.backward[layer].grad_weight[unit, column]),
            _flat_index(view, layer, "weight", unit, column),
        )
    if phase == Phase.BACKWARD and view.backward_done(layer):
        return _gradient_weight(view, layer, unit, column)
    parts = [value]
    if view.forward_done(layer):
        a_in = float(view.forward[layer].inputs[view.s, column])
        parts.append(
            _note(
                "In the forward pass this weight carries a<sub>i</sub> into "
                f"z<sub>j</sub> = {view.f(view.forward[layer].z[view.s, unit])}:"
            )
        )
        parts.append(
            equation(
                "w<sub>ji</sub> · a<sub>i</sub>",
                None,
                [f"{view.fp(w)}{TIMES}{view.fp(a_in)}"],
                view.f(w * a_in),
            )
        )
        parts.append(
            view.not_yet(
                view.backward_piece(layer),
                f"the backward pass of layer {layer + 1}, "
                "which computes this weight's gradient ∂L/∂w",
            )
        )
    else:
        parts.append(
            view.not_yet(view.forward_piece(layer), f"the forward pass of layer {layer + 1}")
        )
    return parts


def _bias(view: _View, layer: int, unit: int) -> list[str]:
    phase = view.moment.phase
    bias = view.bias(layer)
    if bias is None:
        return [_note(f"Layer {layer + 1} has no bias.")]
    if phase == Phase.UPDATE and view.moment.update is not None and view.backward_done(layer):
        update = view.moment.update
        before, step = update.before[layer].bias, update.step[layer].bias
        after, grad = update.after[layer].bias, view.backward[layer].grad_bias
        assert before is not None and step is not None and after is not None, "it has a bias"
        assert grad is not None, "a layer with a bias has its gradient"
        return _update_equations(
            view,
            "b",
            float(before[unit]),
            float(step[unit]),
            float(after[unit]),
            float(grad[unit]),
            _flat_index(view, layer, "bias", unit),
        )
    if phase == Phase.BACKWARD and view.backward_done(layer):
        return _gradient_bias(view, layer, unit)
    parts = [equation(f"b<sub>{unit + 1}</sub>", None, [], view.f(bias[unit]))]
    if view.forward_done(layer):
        parts.append(
            _note(
                "In the forward pass the bias is added to "
                f"z<sub>j</sub> = {view.f(view.forward[layer].z[view.s, unit])}."
            )
        )
        parts.append(
            view.not_yet(
                view.backward_piece(layer),
                f"the backward pass of layer {layer + 1}, "
                "which computes this bias's gradient ∂L/∂b",
            )
        )
    else:
        parts.append(
            view.not_yet(view.forward_piece(layer), f"the forward pass of layer {layer + 1}")
        )
    return parts


# -- public ------------------------------------------------------------------------------------


def _selection_problem(view: _View, selection: Selection) -> str | None:
    sizes = view.network.sizes
    if selection.kind == "node":
        if 0 <= selection.layer < len(sizes) and 0 <= selection.unit < sizes[selection.layer]:
            return None
    elif selection.kind in ("edge", "bias"):
        if 0 <= selection.layer < view.layers:
            layer = view.network.layers[selection.layer]
            if 0 <= selection.unit < layer.units:
                if selection.kind == "bias":
                    return None
                if selection.input is not None and 0 <= selection.input < layer.inputs:
                    return None
    return "The selection is not part of this network."


def _title(view: _View, selection: Selection) -> tuple[str, str]:
    """``(title, detail)`` of a selection: its name, and where it sits in the network."""
    if selection.kind == "node":
        name = view.node_name(selection.layer, selection.unit)
        return name[0].upper() + name[1:], ""
    layer = selection.layer
    unit = selection.unit
    target = view.node_name(layer + 1, unit)
    if selection.kind == "bias":
        return f"Bias {bias_name(layer, unit, html=True)}", f"into {target}"
    column = selection.input
    assert column is not None, "_selection_problem refuses an edge without its input"
    source = view.node_name(layer, column)
    return (
        f"Weight {weight_name(layer, unit, column, html=True)}",
        f"{source} → {target}",
    )


def explain(moment: Moment, selection: Selection | None, precision: int = 4) -> str:
    """The panel's rich text for ``selection`` at ``moment``, numbers to ``precision`` digits.

    Without a selection it is the ``phase_summary``.
    """
    precision = _check_precision(precision)
    if selection is None:
        return phase_summary(moment, precision)
    view = _View(moment, precision)
    problem = _selection_problem(view, selection)
    if problem is not None:
        return _page([_heading("Selection", view.phase_tag()), _note(problem)])
    if selection.kind == "node":
        body = _node(view, selection.layer, selection.unit)
    elif selection.kind == "edge":
        column = selection.input
        assert column is not None, "_selection_problem refuses an edge without its input"
        body = _edge(view, selection.layer, selection.unit, column)
    else:
        body = _bias(view, selection.layer, selection.unit)
    title, detail = _title(view, selection)
    tag = f"{detail} · {view.phase_tag()}" if detail else view.phase_tag()
    parts = [_heading(title, tag[0].upper() + tag[1:]), *body]
    if view.n:
        parts.append(_para(view.sample_line(), NOTE_COLOR, top=12))
    return _page(parts)


def _status(view: _View) -> str:
    moment, layers = view.moment, view.layers
    phase = moment.phase
    if phase is None:
        return (
            "No step in progress: press Next layer to start a step with the forward pass "
            "of layer 1."
        )
    if phase == Phase.FORWARD:
        done = len(view.forward)
        text = f"Forward pass: layer {done} of {layers} computed. "
        if done < layers:
            return text + f"Next layer runs the forward pass of layer {done + 1}."
        return text + "Next layer computes the error."
    if phase == Phase.ERROR:
        return (
            "The error and the loss are computed. Next layer starts the backward pass at "
            f"layer {layers}."
        )
    if phase == Phase.BACKWARD:
        lowest = min(view.backward) if view.backward else layers
        text = (
            f"Backward pass: layer {lowest + 1} computed ({len(view.backward)} of "
            f"{layers} layers). "
        )
        if lowest > 0:
            return text + f"Next layer runs the backward pass of layer {lowest}."
        return text + "Next layer applies the update."
    update = moment.update
    optimizer = OPTIMIZERS.get(update.optimizer) if update is not None else None
    title = optimizer.title if optimizer is not None else moment.optimizer
    lr = view.f(update.lr if update is not None else moment.lr)
    return (
        f"The weights and biases were updated ({title}, η = {lr}). Next layer starts the next step."
    )


def phase_summary(moment: Moment, precision: int = 4) -> str:
    """An overview for when nothing is selected: the four steps, the current one highlighted,
    the loss formula (with its numbers in the error phase) and which sample is shown."""
    view = _View(moment, _check_precision(precision))
    phase = moment.phase
    if phase is None:
        title = f"Step {moment.step_number + 1:,}"
        if moment.step_number:
            title = f"After step {moment.step_number:,}"
    elif moment.update is not None:
        title = f"Step {moment.update.step_number:,}"
    else:
        title = f"Step {moment.step_number + 1:,}"
    parts = [_heading(title, view.phase_tag())]
    for step, sentence in PHASE_SENTENCES.items():
        text = f"{int(step)} {step.title}: {sentence}"
        if step == phase:
            parts.append(
                _para(f'<b><span style="color:{CURRENT_COLOR}">▶ {text}</span></b>', top=3)
            )
        else:
            parts.append(_para(text, NOTE_COLOR, margin_left=14, top=3))
    parts.append(_para(_status(view), top=10))
    loss = moment.network.loss
    parts.append(_para(f"<b>Loss</b> ({loss.title.lower()}):", top=10))
    parts.append(
        _para(
            f'<span style="color:{FORMULA_COLOR}">{formula_html(loss.formula)}</span>',
            margin_left=18,
            top=2,
        )
    )
    rule = _regularization(view)
    if rule is not None:
        parts.append(
            _para(
                f"Regularisation ({rule.kind.upper()}, λ = {view.f(rule.rate)}): "
                f'<span style="color:{FORMULA_COLOR}">{formula_html(rule.formula)}</span>',
                top=4,
            )
        )
    if moment.error is not None and view.forward:
        if phase == Phase.ERROR:
            parts.append(_note(f"The loss of sample {view.s + 1} and of the batch:"))
            parts.extend(_loss_equations(view))
        else:
            parts.append(equation("L", None, [], view.f(moment.error.loss)))
    if view.n:
        parts.append(_para(view.sample_line(), NOTE_COLOR, top=12))
    parts.append(_note("Select a node, an edge or a bias to see its equations with the numbers."))
    return _page(parts)
