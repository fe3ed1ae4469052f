"""The glossary network: the project's seed text, built in and set beside BP Studio's phases.

The seed (a glossary entry on backpropagation) describes four steps and shows them as a
NumPy snippet for a network with one sigmoid hidden layer, a linear output, no biases, the
½ squared error, one sample at a time and plain gradient descent. ``EXAMPLES["glossary"]``
is that network on a small regression set; this module holds what the window shows for it:

- ``glossary_page(phase)``: the explanation panel's first page, the seed's four steps beside
  BP Studio's four phases (rich text, like ``explain``);
- ``SEED_SNIPPET`` (verbatim, with ``SEED_STEP_LINES`` per phase), ``SEED_MISTAKES`` and
  ``CORRECTED_SNIPPET``, and ``snippet_page()``, the snippet with its two mistakes pointed out;
- ``example_network(dataset)``: the network an example is made for (``ExampleNetwork``).

Qt-free.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bp_studio.data.examples import Dataset
from bp_studio.engine import Network, Phase
from bp_studio.studio.explain import (
    CURRENT_COLOR,
    FORMULA_COLOR,
    MINUS,
    NOTE_COLOR,
    PHASE_SENTENCES,
)

EM_DASH = "\u2014"

SEED_SNIPPET = f"""\
# Convert inputs list to 2d array
inputs = np.array(inputs_list, ndmin=2).T
targets = np.array(targets_list, ndmin=2).T

### Step 1: Implementation of the Forward pass ###

# Hidden layer
hidden_inputs = np.dot(self.weights_input_to_hidden, inputs)
hidden_outputs = self.activation_function(hidden_inputs)
# Output layer
# calculate signals into final output layer
final_inputs = np.dot(self.weights_hidden_to_output, hidden_outputs)
# set signals from final output layer
final_outputs = final_inputs

### Implementation of the Backward pass ###

# Step 2: Compute output layer error (difference between known target and network output)
output_errors = targets {EM_DASH} final_outputs

# Step 3: Compute backpropagated error
# Calculate hidden layer gradients
hidden_gradients = (hidden_outputs * (1-hidden_outputs))

# Calculate errors propagated to the hidden layer
hidden_errors = np.dot(output_errors, self.weights_hidden_to_output)

# Step 4: Backpropagate and update the weights
# First, update hidden-to-output weights with gradient descent step
self.weights_hidden_to_output += self.lr * np.dot(output_errors, hidden_outputs.T)
# Then update input-to-hidden weights with gradient descent step
self.weights_input_to_hidden += self.lr * np.dot(hidden_errors.T, inputs.T) * hidden_gradients
"""
"""The seed's NumPy snippet, character for character (it does not run: see SEED_MISTAKES)."""

SEED_STEP_LINES: dict[Phase, tuple[int, int]] = {
    Phase.FORWARD: (5, 14),
    Phase.ERROR: (18, 19),
    Phase.BACKWARD: (21, 26),
    Phase.UPDATE: (28, 32),
}
"""The lines (first, last; counted from 1) of ``SEED_SNIPPET`` that do each phase."""


@dataclass(frozen=True)
class Mistake:
    """A line of ``SEED_SNIPPET`` (counted from 1) that is wrong, what it should say, and why."""

    line: int
    wrong: str
    right: str
    why: str


SEED_MISTAKES = (
    Mistake(
        19,
        f"output_errors = targets {EM_DASH} final_outputs",
        "output_errors = targets - final_outputs",
        "The minus sign is an em dash (U+2014), which Python cannot read: the snippet stops "
        "with a SyntaxError before anything runs.",
    ),
    Mistake(
        26,
        "hidden_errors = np.dot(output_errors, self.weights_hidden_to_output)",
        "hidden_errors = self.weights_hidden_to_output.T @ output_errors",
        "The error flows back through the transposed weights. output_errors is a column "
        "(outputs, 1) and weights_hidden_to_output is (outputs, hidden), so the seed's product "
        "only has matching shapes when there is a single output, and then gives a row "
        "(1, hidden) instead of a column. With the fix, hidden_errors is the column "
        "(hidden, 1) for any number of outputs, and the last line becomes "
        "np.dot(hidden_errors * hidden_gradients, inputs.T) (the seed's order of factors "
        "only fits its row).",
    ),
)
"""The seed snippet's two mistakes."""

CORRECTED_SNIPPET = (
    SEED_SNIPPET.replace(SEED_MISTAKES[0].wrong, SEED_MISTAKES[0].right)
    .replace(SEED_MISTAKES[1].wrong, SEED_MISTAKES[1].right)
    .replace(
        "self.lr * np.dot(hidden_errors.T, inputs.T) * hidden_gradients",
        "self.lr * np.dot(hidden_errors * hidden_gradients, inputs.T)",
    )
)
"""The snippet with both mistakes fixed: right for any number of outputs."""


def example_network(dataset: Dataset) -> Network:
    """The network ``dataset`` is made for (its ``ExampleNetwork``), ready to train.

    ``ValueError`` if the example has none.
    """
    spec = dataset.network
    if spec is None:
        raise ValueError(f"the example {dataset.name!r} has no network of its own")
    if spec.weights is not None:
        biases = spec.biases if spec.biases is not None else [None] * len(spec.weights)
        return Network(spec.weights, biases, list(spec.activations), spec.loss)
    return Network.create(
        list(spec.sizes),
        list(spec.activations),
        spec.loss,
        bias=list(spec.bias),
        init=spec.init,
        seed=spec.seed,
    )


# -- the panel's pages ---------------------------------------------------------------------------

_SEED_STEPS = (
    (
        Phase.FORWARD,
        "Pass the batch through the network: the forward pass, which generates predictions.",
        (
            "hidden_inputs = np.dot(W_ih, inputs)",
            "hidden_outputs = sigmoid(hidden_inputs)",
            "final_outputs = np.dot(W_ho, hidden_outputs)",
        ),
        "z = a W<sup>T</sup> + b,&nbsp; a = f(z), layer by layer (samples are rows; "
        "the glossary network has no b)",
    ),
    (
        Phase.ERROR,
        "Calculate the error: the difference between the known labels and the predictions.",
        ("output_errors = targets - final_outputs",),
        f"e = t {MINUS} o;&nbsp; L = Σ<sub>k</sub> ½ (t {MINUS} o)²",
    ),
    (
        Phase.BACKWARD,
        "Calculate the gradient: the transposed input times the delta.",
        (
            "hidden_errors = W_ho.T @ output_errors",
            "hidden_gradients = hidden_outputs * (1 - hidden_outputs)",
        ),
        f"δ = (o {MINUS} t) f′(z) at the output,&nbsp; δ = f′(z) · Σ<sub>k</sub> "
        "w<sub>kj</sub> δ<sub>k</sub> below;&nbsp; ∂L/∂w<sub>ji</sub> = δ<sub>j</sub> "
        "a<sub>i</sub>",
    ),
    (
        Phase.UPDATE,
        "Adjust the weights, backwards from layer i to layer i − 1.",
        (
            "W_ho += lr * np.dot(output_errors, hidden_outputs.T)",
            "W_ih += lr * np.dot(hidden_errors * hidden_gradients, inputs.T)",
        ),
        f"w ← w {MINUS} η · ∂L/∂w",
    ),
)


def _code(text: str) -> str:
    return f'<code style="color:{FORMULA_COLOR}">{html.escape(text, quote=False)}</code>'


def glossary_page(phase: Phase | None = None) -> str:
    """The explanation panel's first page for the glossary network (rich text).

    A table: each of the seed's four steps, its line of the snippet (corrected), and BP
    Studio's phase with its equation. ``phase`` (the phase the stepping is in) is marked.
    """
    rows = []
    for step, seed_text, code, equation in _SEED_STEPS:
        current = step == phase
        marker = f'<span style="color:{CURRENT_COLOR}">▶ </span>' if current else ""
        weight = "<b>" if current else ""
        end = "</b>" if current else ""
        rows.append(
            "<tr>"
            f'<td valign="top">{marker}{weight}{int(step)}. {html.escape(seed_text)}{end}'
            f"<br>{'<br>'.join(_code(line) for line in code)}</td>"
            f'<td valign="top">{weight}Phase {int(step)}: {step.title}{end}<br>'
            f"{PHASE_SENTENCES[step][:1].upper()}{PHASE_SENTENCES[step][1:]}<br>"
            f'<span style="color:{FORMULA_COLOR}">{equation}</span></td>'
            "</tr>"
        )
    notes = (
        "The glossary network is the seed's own: one sigmoid hidden layer, a linear output, "
        "no biases, the ½ squared error (mse), one sample at a time, plain gradient descent.",
        "The seed adds η · error · input because its error is t − o = −(o − t): the same step "
        "as w ← w − η ∂L/∂w. Its inputs are columns, BP Studio's samples are rows: the seed's "
        "np.dot(W, inputs) is BP Studio's a W<sup>T</sup>, with W (units, inputs) in both.",
        "As printed, the seed's snippet does not run and is right for one output only: the "
        "code view shows its two mistakes.",
    )
    parts = [
        '<p style="margin-top:0px; margin-bottom:0px;"><b><span style="font-size:large">'
        "The seed's four steps, BP Studio's four phases</span></b></p>",
        f'<p style="margin-top:1px; margin-bottom:0px; color:{NOTE_COLOR};">Glossary network '
        "· press Next layer to step through them</p>",
        '<table cellspacing="0" cellpadding="5" border="1" style="margin-top:8px; '
        'border-collapse:collapse;">',
        "<tr><th>The seed</th><th>BP Studio</th></tr>",
        *rows,
        "</table>",
        *(
            f'<p style="margin-top:6px; margin-bottom:0px; color:{NOTE_COLOR};">{note}</p>'
            for note in notes
        ),
    ]
    return "<html><body>" + "".join(parts) + "</body></html>"


def snippet_page() -> str:
    """The seed's snippet (rich text), numbered, its two wrong lines marked and explained."""
    wrong = {mistake.line: index for index, mistake in enumerate(SEED_MISTAKES)}
    lines = []
    for number, line in enumerate(SEED_SNIPPET.splitlines(), start=1):
        text = html.escape(line, quote=False) or " "
        if number in wrong:
            text = (
                f'<span style="background-color:#fde2e1;">{text}</span>'
                f'<span style="color:#b3261e;">   ◀ {wrong[number] + 1}</span>'
            )
        lines.append(f'<span style="color:{NOTE_COLOR};">{number:2d}</span>  {text}')
    parts = [
        '<p style="margin-top:0px; margin-bottom:0px;"><b><span style="font-size:large">'
        "The seed's snippet, with its two mistakes</span></b></p>",
        '<pre style="margin-top:8px;">' + "\n".join(lines) + "</pre>",
    ]
    for index, mistake in enumerate(SEED_MISTAKES):
        parts.append(
            f'<p style="margin-top:8px; margin-bottom:0px;"><b>{index + 1}. Line '
            f"{mistake.line}</b>: {html.escape(mistake.why, quote=False)}</p>"
            f'<p style="margin-top:2px; margin-bottom:0px; margin-left:18px;">'
            f'<code style="color:#b3261e;">{html.escape(mistake.wrong, quote=False)}</code>'
            f'<br><code style="color:{CURRENT_COLOR};">'
            f"{html.escape(mistake.right, quote=False)}</code></p>"
        )
    return "<html><body>" + "".join(parts) + "</body></html>"
