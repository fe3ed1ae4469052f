"""The glossary network: the seed's example, its snippet's two mistakes, and the panel's page.

The seed's snippet is run as the seed's class would run it, one sample at a time, and
compared with BP Studio's step on the same network (the seed computes the sigmoid as
``1 / (1 + e^-x)``, the engine as ``e^-log(1 + e^-x)``: equal to 1e-12).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from bp_studio.data.examples import EXAMPLES, WORKED_EXAMPLE_BIASES, WORKED_EXAMPLE_WEIGHTS
from bp_studio.engine import Network, Phase, Trainer
from bp_studio.studio.glossary import (
    CORRECTED_SNIPPET,
    EM_DASH,
    SEED_MISTAKES,
    SEED_SNIPPET,
    SEED_STEP_LINES,
    example_network,
    glossary_page,
    snippet_page,
)

GLOSSARY = EXAMPLES["glossary"]


class SeedNetwork:
    """The seed's class around its snippet: weights (units, inputs), a sigmoid, a rate."""

    def __init__(self, weights_input_to_hidden, weights_hidden_to_output, lr: float) -> None:
        self.weights_input_to_hidden = np.array(weights_input_to_hidden, dtype=np.float64)
        self.weights_hidden_to_output = np.array(weights_hidden_to_output, dtype=np.float64)
        self.lr = lr

    @staticmethod
    def activation_function(x):
        return 1.0 / (1.0 + np.exp(-x))

    def train(self, snippet: str, inputs_list, targets_list) -> None:
        code = compile(snippet, "<seed snippet>", "exec")
        exec(
            code, {"np": np, "self": self, "inputs_list": inputs_list, "targets_list": targets_list}
        )


def engine_step(network: Network, x: np.ndarray, t: np.ndarray, lr: float) -> Network:
    network = network.copy()
    Trainer(network, x.reshape(1, -1), t.reshape(1, -1), lr=lr, batch_size=1).step()
    return network


# -- the example ------------------------------------------------------------------------------


def test_the_glossary_example_is_the_seeds_network() -> None:
    spec = GLOSSARY.network
    assert spec is not None
    assert spec.sizes[0] == GLOSSARY.inputs and spec.sizes[-1] == GLOSSARY.T.shape[1]
    network = example_network(GLOSSARY)
    assert network.sizes == list(spec.sizes) == [2, 3, 1]
    assert network.activations == ["sigmoid", "linear"]
    assert all(layer.bias is None for layer in network.layers)
    assert network.loss_name == "mse"
    assert (spec.lr, spec.batch_size, spec.optimizer, spec.shuffle) == (0.5, 1, "sgd", False)
    assert GLOSSARY.classes is None  # regression
    np.testing.assert_array_equal(GLOSSARY.T[:, 0], GLOSSARY.X[:, 0] * GLOSSARY.X[:, 1])
    history = network.train(
        GLOSSARY.X, GLOSSARY.T, epochs=300, lr=spec.lr, batch_size=spec.batch_size
    )
    assert history[-1] < history[0] / 5


def test_the_worked_example_carries_its_published_weights() -> None:
    network = example_network(EXAMPLES["worked_example"])
    assert network.layers[0].weight.tolist() == [
        list(map(float, r)) for r in WORKED_EXAMPLE_WEIGHTS[0]
    ]
    assert network.layers[1].bias.tolist() == list(WORKED_EXAMPLE_BIASES[1])
    with pytest.raises(ValueError, match="has no network of its own"):
        example_network(EXAMPLES["xor"])


# -- the snippet's two mistakes ---------------------------------------------------------------


def test_the_seed_snippet_does_not_run() -> None:
    with pytest.raises(SyntaxError) as raised:
        compile(SEED_SNIPPET, "<seed snippet>", "exec")
    assert raised.value.lineno == SEED_MISTAKES[0].line == 19
    assert EM_DASH in SEED_SNIPPET.splitlines()[18]


def test_each_mistake_names_its_line() -> None:
    lines = SEED_SNIPPET.splitlines()
    for mistake in SEED_MISTAKES:
        assert lines[mistake.line - 1] == mistake.wrong
        assert mistake.right in CORRECTED_SNIPPET
        assert mistake.wrong not in CORRECTED_SNIPPET
    assert CORRECTED_SNIPPET.isascii()
    for phase, (first, last) in SEED_STEP_LINES.items():
        assert f"Step {int(phase)}" in "\n".join(lines[first - 1 : last])


def network_with(outputs: int) -> Network:
    rng = np.random.default_rng(outputs)
    return Network(
        [rng.normal(size=(3, 2)), rng.normal(size=(outputs, 3))],
        [None, None],
        ["sigmoid", "linear"],
        "mse",
    )


def seed_step(snippet: str, network: Network, x, t, lr: float) -> SeedNetwork:
    seed = SeedNetwork(network.layers[0].weight, network.layers[1].weight, lr)
    seed.train(snippet, list(x), list(t))
    return seed


def test_with_only_the_dash_fixed_the_seed_is_right_for_one_output_only() -> None:
    dash_fixed = SEED_SNIPPET.replace(SEED_MISTAKES[0].wrong, SEED_MISTAKES[0].right)
    x, lr = np.array([0.5, 1.0]), 0.5
    one = network_with(1)
    seed = seed_step(dash_fixed, one, x, np.array([0.7]), lr)
    after = engine_step(one, x, np.array([0.7]), lr)
    np.testing.assert_allclose(seed.weights_input_to_hidden, after.layers[0].weight, atol=1e-12)
    np.testing.assert_allclose(seed.weights_hidden_to_output, after.layers[1].weight, atol=1e-12)
    with pytest.raises(ValueError, match="not aligned|mismatch"):
        seed_step(dash_fixed, network_with(2), x, np.array([0.7, -0.2]), lr)


@pytest.mark.parametrize("outputs", [1, 2, 3])
def test_the_corrected_snippet_is_bp_studios_step(outputs: int) -> None:
    network = network_with(outputs)
    x = np.array([0.5, 1.0])
    t = np.linspace(-0.5, 0.9, outputs)
    seed = seed_step(CORRECTED_SNIPPET, network, x, t, 0.5)
    after = engine_step(network, x, t, 0.5)
    np.testing.assert_allclose(seed.weights_input_to_hidden, after.layers[0].weight, atol=1e-12)
    np.testing.assert_allclose(seed.weights_hidden_to_output, after.layers[1].weight, atol=1e-12)
    assert not np.allclose(after.layers[0].weight, network.layers[0].weight)


# -- the pages --------------------------------------------------------------------------------


def text_of(rich: str) -> str:
    return re.sub(r"<[^>]+>", "", rich).replace("&gt;", ">").replace("&lt;", "<")


def test_the_glossary_page_sets_the_four_steps_beside_the_phases() -> None:
    text = text_of(glossary_page())
    for phase in Phase:
        assert f"Phase {int(phase)}: {phase.title}" in text
    for step in (
        "1. Pass the batch",
        "2. Calculate the error",
        "3. Calculate the gradient",
        "4. Adjust the weights",
    ):
        assert step in text
    assert "hidden_errors = W_ho.T @ output_errors" in text
    assert "▶" not in text
    # code on the page is code: a real minus, never a dash
    for code in re.findall(r"<code[^>]*>(.*?)</code>", glossary_page()):
        assert code.isascii(), code


def test_the_glossary_page_marks_the_current_phase() -> None:
    for phase in Phase:
        text = text_of(glossary_page(phase))
        assert text.count("▶") == 1
        marked = text[text.index("▶") :]
        assert marked.startswith(f"▶ {int(phase)}.")


def test_the_snippet_page_points_out_both_mistakes() -> None:
    page = snippet_page()
    text = text_of(page)
    assert "19  output_errors = targets — final_outputs   ◀ 1" in text
    assert "26  hidden_errors = np.dot(output_errors, self.weights_hidden_to_output)   ◀ 2" in text
    assert "1. Line 19: The minus sign is an em dash" in text
    assert "2. Line 26: The error flows back through the transposed weights" in text
    assert "hidden_errors = self.weights_hidden_to_output.T @ output_errors" in text
    assert text.count("◀") == 2
