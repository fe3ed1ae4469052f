"""Worksheets: a published worked example in all three formats, exercises and answer keys.

Mazur's "A Step by Step Backpropagation Example" (a 2-2-2 sigmoid network, one sample,
learning rate 0.5) publishes every number of one step; after it, the first weight of the
output layer is 0.35891648.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bp_studio.data.examples import EXAMPLES, WORKED_EXAMPLE_BIASES, WORKED_EXAMPLE_WEIGHTS
from bp_studio.engine import (
    ACTIVATIONS,
    LOSSES,
    OPTIMIZERS,
    Network,
    Regularization,
    Trainer,
    hidden_activations,
)
from bp_studio.engine.losses import output_activations
from bp_studio.engine.normalization import Normalization
from bp_studio.studio.explain import explain
from bp_studio.studio.moment import Selection
from bp_studio.studio.worksheet import (
    FORMATS,
    QUANTITY_KINDS,
    Item,
    build,
    plain_text,
    record_step,
    render,
    worked_step,
)

MAZUR = EXAMPLES["worked_example"]

# Mazur's published values after one step (8 significant digits are enough for each).
MAZUR_AFTER = {
    "w5": "0.35891648",
    "w6": "0.40866619",
    "w7": "0.51130127",
    "w8": "0.56137012",
    "w1": "0.14978072",
    "w2": "0.19956143",
    "w3": "0.24975114",
    "w4": "0.29950229",
}
MAZUR_FORWARD = {"out_h1": "0.59326999", "out_o1": "0.75136507", "E_total": "0.29837111"}


def mazur_network() -> Network:
    return Network(WORKED_EXAMPLE_WEIGHTS, WORKED_EXAMPLE_BIASES, ["sigmoid", "sigmoid"], "mse")


def mazur_sheet(digits: int = 8, **kwargs):
    moment = worked_step(mazur_network(), MAZUR.X, MAZUR.T, lr=0.5, **kwargs)
    return build(moment, digits, data_name="mazur.csv")


def where(text: str, *fragments: str) -> list[int]:
    """The position of each fragment, each searched for after the one before."""
    positions, start = [], 0
    for fragment in fragments:
        start = text.index(fragment, start)
        positions.append(start)
    return positions


# -- the published example, three formats -----------------------------------------------------


def test_markdown_shows_mazurs_step() -> None:
    text = render(mazur_sheet(), "md")
    where(
        text,
        "## 4 Update",
        "**Weight w<sub>1,1</sub> of layer 2** (hidden node 1 of layer 1 → output node 1)",
        "w ← w − η · ∂L/∂w\\\n&emsp;= 0.4 − 0.5 × 0.082167041\\\n",
        "&emsp;= **0.35891648**",
    )
    for value in (*MAZUR_AFTER.values(), *MAZUR_FORWARD.values()):
        assert f"**{value}**" in text, value
    # the weights after, as a table
    where(text, "## The weights after the step", "| 1 | 0.35891648 | 0.40866619 | 0.53075072 |")


def test_html_shows_mazurs_step_parses_and_draws_the_network() -> None:
    text = render(mazur_sheet(), "html")
    checked = TagChecker.check(text)
    assert checked.counts["svg"] == 1
    assert checked.counts["circle"] == 6  # 2 + 2 + 2 nodes
    assert checked.counts["line"] == 8  # 4 + 4 weights
    assert checked.counts["table"] == 5  # before (2), batch, after (2)
    where(
        text,
        "<h2>4 Update</h2>",
        '<p class="title">Weight w<sub>1,1</sub> of layer 2 <span class="detail">hidden node 1',
        "<b>0.35891648</b>",
    )
    for value in MAZUR_AFTER.values():
        assert f"<b>{value}</b>" in text
    assert "<script" not in text and "http://" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )  # self-contained


def test_latex_shows_mazurs_step() -> None:
    text = render(mazur_sheet(), "tex")
    assert text.isascii()
    assert "[U+" not in text
    where(
        text,
        r"\subsection*{4 Update}",
        r"\textbf{Weight w\textsubscript{1,1} of layer 2}",
        r"\textbf{0.35891648}",
    )
    for value in MAZUR_AFTER.values():
        assert rf"\textbf{{{value}}}" in text


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("blanks", [(), ("delta", "update")])
def test_latex_compiles(tmp_path: Path, blanks: tuple[str, ...]) -> None:
    sheet = mazur_sheet(optimizer="adam", regularization=Regularization("l2", 0.01))
    texts = {"sheet": render(sheet, "tex", blanks=blanks)}
    if blanks:
        texts["key"] = render(sheet, "tex", blanks=blanks, answers=True)
    for name, text in texts.items():
        (tmp_path / f"{name}.tex").write_text(text)
        result = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout[-3000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


class TagChecker(HTMLParser):
    """Fails on an end tag that does not close the innermost open element."""

    VOID = {"meta", "br", "line", "circle", "rect", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    @classmethod
    def check(cls, text: str) -> TagChecker:
        checker = cls()
        checker.feed(text)
        checker.close()
        assert checker.stack == []
        assert text.startswith("<!DOCTYPE html>")
        return checker


# -- the explanation panel's own text ---------------------------------------------------------


def plain(rich: str) -> str:
    text = re.sub(r"</p>|<br\s*/?>", "\n", rich)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_every_equation_is_the_panels_text() -> None:
    trainer = Trainer(mazur_network(), MAZUR.X, MAZUR.T, lr=0.5)
    moment = record_step(trainer)
    sheet = build(moment, 4)
    items = [block for block in sheet.blocks if isinstance(block, Item)]
    panel = plain(explain(moment, Selection("edge", 1, 0, 0), 4))
    update_item = next(
        item for item in reversed(items) if plain_text(item.title) == "Weight w1,1 of layer 2"
    )
    for equation in update_item.equations:
        for line in equation.lines:
            assert plain_text(line) in panel
    assert [plain_text(line) for line in update_item.equations[0].lines] == [
        "w ← w − η · ∂L/∂w",
        "= 0.4 − 0.5 × 0.08217",
        "= 0.4 + (−0.04108)",
        "= 0.3589",
    ]


def test_a_sheet_has_every_quantity_of_the_step() -> None:
    network = Network.create([3, 4, 2], ["tanh", "sigmoid"], "mse", seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    T = np.random.default_rng(1).uniform(size=(5, 2))
    sheet = build(worked_step(network, X, T, lr=0.5, rows=[1, 3]), 4)
    kinds: dict[str, int] = {}
    for block in sheet.blocks:
        if isinstance(block, Item):
            for equation in block.equations:
                kinds[equation.kind] = kinds.get(equation.kind, 0) + 1
    n, units, outputs, parameters = 2, 4 + 2, 2, network.parameters.size
    assert kinds["z"] == kinds["a"] == n * units
    assert kinds["error"] == n * outputs
    assert kinds["loss"] == n + 1  # each sample's L_s and the batch's L
    assert kinds["delta"] == 2 * n * units  # f'(z) and delta of every node and sample
    assert kinds["gradient"] == kinds["update"] == parameters
    assert kinds[""] == n * 3  # the inputs
    text = render(sheet, "md")
    assert "### Sample 2 (data row 4)" in text
    assert "batch: data rows 2, 4 (2 samples)" in text


def test_the_default_batch_is_the_first_batch_train_takes() -> None:
    network = Network.create([2, 2, 1], ["tanh", "sigmoid"], "mse", seed=0)
    X = np.arange(12.0).reshape(6, 2) / 10
    T = np.arange(6.0).reshape(6, 1) / 6
    moment = worked_step(network, X, T, lr=0.5, batch_size=2, shuffle=True, seed=3)
    expected = np.random.default_rng(3).permutation(6)[:2]
    assert list(moment.batch) == list(expected)
    assert np.array_equal(
        network.parameters, Network.create([2, 2, 1], ["tanh", "sigmoid"], "mse", seed=0).parameters
    )


# -- every registry entry writes --------------------------------------------------------------


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_activation_and_loss_writes_in_every_format(optimizer: str) -> None:
    """TeX needs every character mapped: the text of every rule must come out ASCII."""
    # From the registries: every loss with every output it allows, the hidden activations
    # taking turns (a new entry is covered without an edit here).
    pairs = [(loss, out) for loss in LOSSES for out in output_activations(loss)]
    hidden = hidden_activations()
    networks = [
        Network.create(
            [2, 3, 2], [hidden[i % len(hidden)], out], loss, bias=[i % 2 == 0, True], seed=1
        )
        for i, (loss, out) in enumerate(pairs)
    ]
    used = {a for n in networks for a in n.activations} | {n.loss_name for n in networks}
    assert used >= set(ACTIVATIONS) | set(LOSSES)
    networks[0].normalization = Normalization("minmax", np.zeros(2), np.full(2, 2.0))
    X = np.array([[0.5, -1.0], [2.0, 0.25], [-0.3, 1e-5]])
    T = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    for network in networks:
        for penalty in (Regularization(), Regularization("l1", 0.01), Regularization("l2", 0.1)):
            moment = worked_step(
                network, X, T, lr=0.1, optimizer=optimizer, batch_size=2, regularization=penalty
            )
            sheet = build(moment, 4)
            tex = render(sheet, "tex", blanks=["gradient"])
            assert tex.isascii() and "[U+" not in tex
            TagChecker.check(render(sheet, "html"))
            assert render(sheet, "md").count("\n## ") == 6


# -- exercises and answer keys ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_blanks_and_the_answer_key(fmt: str) -> None:
    sheet = mazur_sheet()
    exercise = render(sheet, fmt, blanks=["update"])
    key = render(sheet, fmt, blanks=["update"], answers=True)
    # 12 parameters, one sgd equation each, numbered in order in both
    mark = r"\[{}\]" if fmt == "md" else "[{}]"
    for number in range(1, 13):
        assert mark.format(number) in exercise and mark.format(number) in key
    assert mark.format(13) not in exercise and mark.format(13) not in key
    assert MAZUR_AFTER["w5"] not in exercise  # neither in its equation nor in the table after
    assert "0.082167041" in exercise  # the gradients are still given
    bold = {"md": "**{}**", "html": "<b>{}</b>", "tex": r"\textbf{{{}}}"}[fmt]
    assert f"{mark.format(1)} {bold.format(MAZUR_AFTER['w5'])}" in key


def test_blanks_of_each_kind_hide_that_kind_only() -> None:
    sheet = mazur_sheet()
    full = render(sheet, "md")
    for kind in QUANTITY_KINDS:
        exercise = render(sheet, "md", blanks=[kind])
        assert exercise.count("\\_\\_\\_\\_\\_\\_") >= 1, kind
        assert exercise != full
    # an input is given, never blank
    assert "x<sub>1</sub> = **0.05**" in render(sheet, "md", blanks=list(QUANTITY_KINDS))


def test_unknown_format_or_kind() -> None:
    sheet = mazur_sheet()
    with pytest.raises(ValueError, match="unknown worksheet format 'pdf'"):
        render(sheet, "pdf")
    with pytest.raises(ValueError, match="unknown quantity 'weights'"):
        render(sheet, "md", blanks=["weights"])
