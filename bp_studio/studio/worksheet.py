"""Worksheets: one whole training step written out as a worked solution (Markdown, HTML, LaTeX).

A worksheet lists, for one step on one batch: the weights and the batch it starts from; every
``z`` and ``a`` of the forward pass; the error and the loss; every ``δ``, ``∂L/∂w`` and
``∂L/∂b`` of the backward pass; every update; the weights after. Each equation is the
explanation panel's own text (``explain.explain`` and ``explain.phase_summary`` on the
step's ``Moment``), taken apart into lines and written in the chosen format, so the sheet
and the panel agree digit for digit.

With ``blanks`` the sheet becomes an exercise: the equations of the chosen kinds
(``QUANTITY_KINDS``) keep their formula but lose their numbers and result, which become a
numbered blank; the answer key (``answers=True``) is the full solution with the same numbers
marked. Later equations still show the numbers they use, so a learner who got one wrong can
carry on.

Qt-free. The explanation text is read by its paragraph styles (``explain._para``): the first
paragraph is the title, the second the detail line; an equation starts with a paragraph of
``margin-top:8px`` and ``margin-left:0px`` without a colour and goes on with paragraphs of
``margin-left:18px``; notes and everything else are left out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import numpy as np

from bp_studio import __version__
from bp_studio.engine import OPTIMIZERS, Network, Parameters, Phase, Regularization, Trainer
from bp_studio.studio.explain import (
    MINUS,
    explain,
    format_number,
    formula_html,
    phase_summary,
)
from bp_studio.studio.moment import Moment, Selection, moment_from_trainer

FORMATS = ("md", "html", "tex")
"""Markdown (renders on GitHub), one self-contained HTML file, LaTeX (plain pdflatex)."""

QUANTITY_KINDS = ("z", "a", "error", "loss", "delta", "gradient", "update")
"""What can be left blank: the forward pass's ``z`` and ``a``, the error ``e``, the losses,
``f′(z)`` and ``δ``, the gradients ``∂L/∂w`` and ``∂L/∂b``, and the lines of the update."""

MAX_PARAMETERS = 400
"""A worksheet writes several equations per parameter; larger networks are refused."""
MAX_ROWS = 32
"""At most this many samples in the step (every z and a is written for each)."""

BLANK = "______"


# -- rich text, taken apart ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    """An inline element: ``b``, ``i``, ``sub``, ``sup`` or ``formula`` (a formula's text)."""

    name: str
    children: tuple[Node, ...]


Node = str | Tag
Rich = tuple[Node, ...]


def plain_text(rich: Sequence[Node]) -> str:
    """The characters of ``rich`` without markup."""
    return "".join(n if isinstance(n, str) else plain_text(n.children) for n in rich)


class _Paragraphs(HTMLParser):
    """The ``<p style=...>`` paragraphs of explanation rich text, as ``(style, Rich)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[str, Rich]] = []
        self._stack: list[tuple[str, list[Node]]] = []
        self._style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = dict(attrs).get("style") or ""
        if tag == "p":
            self._style = style
            self._stack = [("p", [])]
        elif self._stack:
            if tag in ("b", "i", "sub", "sup"):
                self._stack.append((tag, []))
            else:  # a span: a coloured one is a formula, others only set the size
                self._stack.append(("formula" if "color" in style else "", []))

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag != "p":
            self._close()
            return
        while len(self._stack) > 1:
            self._close()
        self.paragraphs.append((self._style, tuple(self._stack[0][1])))
        self._stack = []

    def _close(self) -> None:
        name, children = self._stack.pop()
        parent = self._stack[-1][1]
        if name:
            parent.append(Tag(name, tuple(children)))
        else:
            parent.extend(children)

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._stack[-1][1].append(data)


def rich_text(text: str) -> Rich:
    """Inline rich text (``e<sup>−z</sup>``) as ``Rich``."""
    parser = _Paragraphs()
    parser.feed(f"<p>{text}</p>")
    parser.close()
    return parser.paragraphs[0][1]


@dataclass(frozen=True)
class Equation:
    """One equation: its first line (``lhs = formula``) and its ``= …`` lines.

    The result is the bold part of the last line. ``kind`` is one of ``QUANTITY_KINDS``, or
    ``""`` for a given value (an input), which is never left blank.
    """

    kind: str
    lines: tuple[Rich, ...]

    @property
    def lhs(self) -> str:
        text = plain_text(self.lines[0])
        for op in (" = ", " ← "):
            if op in text:
                return text.split(op, 1)[0]
        return text


@dataclass(frozen=True)
class Item:
    """A selection's title (``Hidden node 1 of layer 1``), its detail line and equations."""

    title: Rich
    detail: str
    equations: tuple[Equation, ...]


def read_page(rich_text: str, kind: Callable[[str], str]) -> Item:
    """The title, detail and equations of one explanation page; ``kind(lhs)`` tags each."""
    parser = _Paragraphs()
    parser.feed(rich_text)
    parser.close()
    paragraphs = parser.paragraphs
    title: Rich = ()
    detail = ""
    if paragraphs:
        title = paragraphs[0][1]
        while len(title) == 1 and isinstance(title[0], Tag) and title[0].name == "b":
            title = title[0].children
    if len(paragraphs) > 1:
        detail = plain_text(paragraphs[1][1]).split(" · ")[0]
        if detail.startswith(("Phase ", "Not started")):
            detail = ""
        detail = detail[:1].lower() + detail[1:]
    lines: list[list[Rich]] = []
    for style, rich in paragraphs[2:]:
        if "margin-top:8px" in style and "margin-left:0px" in style and "color:" not in style:
            lines.append([rich])
        elif "margin-left:18px" in style and "margin-top:1px" in style and lines:
            lines[-1].append(rich)
    equations = []
    for group in lines:
        lhs = Equation("", tuple(group)).lhs
        equations.append(Equation(kind(lhs), tuple(group)))
    return Item(title, detail, tuple(equations))


# -- the worksheet's blocks --------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: Rich


@dataclass(frozen=True)
class Table:
    """A caption, column headers and rows of cell text; ``kind`` as for ``Equation``."""

    caption: str
    header: tuple[Rich, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: str = ""


@dataclass(frozen=True)
class Diagram:
    """The network drawn with the weights it starts from."""

    svg: str


Block = Heading | Paragraph | Item | Table | Diagram


@dataclass(frozen=True)
class Worksheet:
    title: str
    blocks: tuple[Block, ...]


def record_step(trainer: Trainer) -> Moment:
    """Finish ``trainer``'s current step (or run a whole new one) and return its moment.

    The moment holds every record of the step (forward, error, backward, update). Pass a
    copy of the trainer when its own state must not move on.
    """
    trainer.step()
    return moment_from_trainer(trainer)


def worked_step(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    *,
    lr: float,
    optimizer: str = "sgd",
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
    regularization: Regularization | None = None,
    rows: Sequence[int] | None = None,
) -> Moment:
    """The moment after the first training step of ``network`` on ``X`` ``(samples, inputs)``
    and ``T`` (``network`` itself is left unchanged).

    The batch is ``rows`` (0-based rows of ``X``) when given, else the first batch of the
    schedule (``batch_size``, ``shuffle``, ``seed``) as ``bp-studio train`` runs it.
    ``ValueError`` for unfit data, ``TrainingDiverged`` if the step diverges.
    """
    network = network.copy()
    if rows is None:
        trainer = Trainer(
            network,
            X,
            T,
            lr=lr,
            optimizer=optimizer,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            regularization=regularization,
        )
        return record_step(trainer)
    picked = np.asarray(rows, dtype=np.intp)
    trainer = Trainer(
        network,
        np.asarray(X)[picked],
        np.asarray(T)[picked],
        lr=lr,
        optimizer=optimizer,
        regularization=regularization,
    )
    return replace(record_step(trainer), batch=picked)


def _layer_title(network: Network, index: int) -> str:
    layer = network.layers[index]
    units = f"{layer.units} {layer.activation} unit{'s' if layer.units != 1 else ''}"
    role = "output" if index == len(network.layers) - 1 else "hidden"
    return f"Layer {index + 1} ({role}, {units})"


def _constant(kind: str) -> Callable[[str], str]:
    return lambda lhs: kind


def _forward_kind(lhs: str) -> str:
    return {"z": "z", "a": "a", "o": "a"}.get(lhs, "")


def _error_kind(lhs: str) -> str:
    return "error" if lhs == "e" else "loss"


def build(moment: Moment, digits: int = 4, *, data_name: str = "") -> Worksheet:
    """The worksheet of the step in ``moment``: a moment after a whole step (with its update,
    as ``record_step`` returns it). ``data_name`` names the data file in the description.
    """
    update = moment.update
    if update is None or moment.error is None or not moment.forward_layers:
        raise ValueError("a worksheet needs a whole training step, forward pass to update")
    network = moment.network
    layers = len(network.layers)
    n = moment.forward_layers[0].inputs.shape[0]
    batch = moment.batch if moment.batch is not None else np.arange(n)

    def number(x: float) -> str:
        return format_number(x, digits)

    def item(phase: Phase, selection: Selection, kind: Callable[[str], str], s: int = 0) -> Item:
        page = explain(replace(moment, phase=phase, sample=s), selection, digits)
        return read_page(page, kind)

    def summary(phase: Phase, s: int) -> Item:
        return read_page(phase_summary(replace(moment, phase=phase, sample=s), digits), _error_kind)

    def sample_title(s: int) -> str:
        return f"Sample {s + 1} (data row {int(batch[s]) + 1})"

    optimizer = OPTIMIZERS.get(update.optimizer)
    rule = optimizer.title.lower() if optimizer is not None else update.optimizer
    rows_text = ", ".join(str(int(r) + 1) for r in batch)
    source = f" of {data_name}" if data_name else ""
    plural = "s" if n != 1 else ""
    title = f"One training step of the network {'-'.join(map(str, network.sizes))}"
    blocks: list[Block] = [
        Heading(1, title),
        Paragraph(
            (
                f"Network {network.describe()}; update: {rule}, η = {number(update.lr)}; "
                f"batch: data row{plural} {rows_text}{source} ({n} sample{plural}). Numbers "
                f"have {digits} significant digits; each is computed from the exact values, "
                "not from the rounded ones shown.",
            )
        ),
        Paragraph(
            (
                f"Loss: {network.loss.title.lower()}, ",
                Tag("formula", rich_text(formula_html(network.loss.formula))),
            )
        ),
    ]
    if moment.regularization != "none" and moment.regularization_rate > 0:
        blocks.append(
            Paragraph(
                (
                    f"Regularisation: {moment.regularization.upper()}, "
                    f"λ = {number(moment.regularization_rate)} (weights only, never biases).",
                )
            )
        )
    blocks.append(Diagram(network_svg(network, update.before, digits)))

    blocks.append(Heading(2, "Given"))
    blocks += _parameter_tables(network, update.before, "before the step", number, "")
    inputs = moment.forward_layers[0].inputs
    targets = moment.error.targets
    names = network.input_names
    header: list[Rich] = [("Sample",), ("Data row",)]
    for i in range(network.inputs):
        named = f" ({names[i]})" if names is not None and names[i] != f"x{i + 1}" else ""
        header.append(("x", Tag("sub", (str(i + 1),)), named))
    header += [("t", Tag("sub", (str(k + 1),))) for k in range(network.outputs)]
    rows = tuple(
        (str(s + 1), str(int(batch[s]) + 1), *map(number, inputs[s]), *map(number, targets[s]))
        for s in range(n)
    )
    caption = "The batch: inputs x and targets t"
    if network.normalization is not None:
        caption += f" (x normalised: x = (raw {MINUS} offset) / scale, as layer 1 sees it)"
    blocks.append(Table(caption, tuple(header), rows))

    blocks.append(Heading(2, "1 Forward pass"))
    for s in range(n):
        if n > 1:
            blocks.append(Heading(3, sample_title(s)))
        given = tuple(
            item(Phase.FORWARD, Selection("node", 0, i), _constant(""), s).equations[0]
            for i in range(network.inputs)
        )
        blocks.append(Item(("Inputs",), "", given))
        for index in range(layers):
            blocks.append(Heading(4 if n > 1 else 3, _layer_title(network, index)))
            for unit in range(network.layers[index].units):
                node = Selection("node", index + 1, unit)
                blocks.append(item(Phase.FORWARD, node, _forward_kind, s))

    blocks.append(Heading(2, "2 Error and loss"))
    for s in range(n):
        if n > 1:
            blocks.append(Heading(3, sample_title(s)))
        for unit in range(network.outputs):
            found = item(Phase.ERROR, Selection("node", layers, unit), _error_kind, s)
            errors = tuple(e for e in found.equations if e.lhs == "e")
            blocks.append(replace(found, equations=errors))
        losses = tuple(e for e in summary(Phase.ERROR, s).equations if e.lhs == "Ls")
        blocks.append(Item((f"Loss of sample {s + 1}",), "", losses))
    total = tuple(e for e in summary(Phase.ERROR, 0).equations if e.lhs != "Ls")
    blocks.append(Item(("Loss of the batch",), "", total))

    blocks.append(Heading(2, "3 Backward pass"))
    for index in reversed(range(layers)):
        layer = network.layers[index]
        blocks.append(Heading(3, _layer_title(network, index)))
        for s in range(n):
            if n > 1:
                blocks.append(Heading(4, f"δ of {sample_title(s).lower()}"))
            for unit in range(layer.units):
                node = Selection("node", index + 1, unit)
                blocks.append(item(Phase.BACKWARD, node, _constant("delta"), s))
        if n > 1:
            blocks.append(Heading(4, "Gradients (means over the batch)"))
        for selection in _parameters_of(network, index):
            blocks.append(item(Phase.BACKWARD, selection, _constant("gradient")))

    blocks.append(Heading(2, "4 Update"))
    for index in reversed(range(layers)):
        blocks.append(Heading(3, _layer_title(network, index)))
        for selection in _parameters_of(network, index):
            blocks.append(item(Phase.UPDATE, selection, _constant("update")))

    blocks.append(Heading(2, "The weights after the step"))
    blocks += _parameter_tables(network, update.after, "after the step", number, "update")
    return Worksheet(title, tuple(blocks))


def _parameters_of(network: Network, index: int) -> list[Selection]:
    layer = network.layers[index]
    selections = [
        Selection("edge", index, unit, column)
        for unit in range(layer.units)
        for column in range(layer.inputs)
    ]
    if layer.bias is not None:
        selections += [Selection("bias", index, unit) for unit in range(layer.units)]
    return selections


def _parameter_tables(
    network: Network,
    parameters: Sequence[Parameters],
    when: str,
    number: Callable[[float], str],
    kind: str,
) -> list[Block]:
    """One table per layer: a row per unit ``j``, a column per weight ``w_ji`` and the bias."""
    blocks: list[Block] = []
    for index, (layer, values) in enumerate(zip(network.layers, parameters)):
        header: list[Rich] = [("Unit j",)]
        header += [("w", Tag("sub", (f"j{i + 1}",))) for i in range(layer.inputs)]
        if values.bias is not None:
            header.append(("b", Tag("sub", ("j",))))
        rows = []
        for unit in range(layer.units):
            row = [str(unit + 1), *map(number, values.weight[unit])]
            if values.bias is not None:
                row.append(number(values.bias[unit]))
            rows.append(tuple(row))
        caption = f"{_layer_title(network, index)}, {when}"
        blocks.append(Table(caption, tuple(header), tuple(rows), kind))
    return blocks


# -- the network diagram (SVG) -----------------------------------------------------------------

_SVG_LABELLED_EDGES = 40
"""Edges are labelled with their weights up to this many edges."""


def network_svg(network: Network, parameters: Sequence[Parameters], digits: int = 4) -> str:
    """The network as an SVG drawing: a column of circles per layer, a line per weight.

    Inputs are ``x1 …``, hidden units ``h1 …``, outputs ``o1 …``; in small networks each
    weight is written on its line and each bias under its unit. Styles are attributes, not
    CSS, so that simple SVG renderers (SVG Tiny, Qt's) draw it as browsers do.
    """
    sizes = network.sizes
    gap_x, gap_y, radius, margin = 170, 74, 18, 40
    width = gap_x * (len(sizes) - 1) + 2 * margin + 40
    height = gap_y * max(sizes) + 2 * margin
    font = 'font-family="sans-serif"'

    def position(column: int, unit: int) -> tuple[float, float]:
        top = (height - gap_y * (sizes[column] - 1)) / 2
        return margin + 20 + gap_x * column, top + gap_y * unit

    def label(x: float, y: float, text: str, color: str) -> list[str]:
        half = 3.3 * len(text) + 3
        return [
            f'<rect x="{x - half:.1f}" y="{y - 11:.1f}" width="{2 * half:.1f}" height="14" '
            'rx="3" fill="#ffffff" fill-opacity="0.9"/>',
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" {font} font-size="11" '
            f'fill="{color}">{html.escape(text)}</text>',
        ]

    edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    labelled = edges <= _SVG_LABELLED_EDGES
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="The network {html.escape(network.describe())}">',
    ]
    labels: list[str] = []
    for index, values in enumerate(parameters):
        inputs = values.weight.shape[1]
        for unit in range(values.weight.shape[0]):
            x2, y2 = position(index + 1, unit)
            for column in range(inputs):
                x1, y1 = position(index, column)
                parts.append(
                    f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    'stroke="#7a8ca3" stroke-width="1.4"/>'
                )
                if labelled:
                    # Along the line, staggered by source so that a unit's labels stand apart.
                    t = 0.22 + 0.56 * (column + 0.5) / inputs
                    text = format_number(values.weight[unit, column], digits)
                    labels += label(x1 + t * (x2 - x1), y1 + t * (y2 - y1) + 4, text, "#1d4f91")
    fills = ("#e8ecf1", "#dbe9f6", "#dcefe3")
    for column, size in enumerate(sizes):
        kind = 0 if column == 0 else (2 if column == len(sizes) - 1 else 1)
        bias = parameters[column - 1].bias if column > 0 else None
        for unit in range(size):
            x, y = position(column, unit)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{fills[kind]}" '
                'stroke="#34495e" stroke-width="1.5"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" {font} '
                f'font-size="14" font-style="italic" fill="#1f2933">{"xho"[kind]}{unit + 1}</text>'
            )
            if bias is not None and labelled:
                text = "b = " + format_number(bias[unit], digits)
                labels += label(x, y + radius + 15, text, "#5f6368")
    parts.extend(labels)
    parts.append("</svg>")
    return "\n".join(parts)


# -- writing it out ------------------------------------------------------------------------------


class _Numbering:
    """Numbers the blanks in the order they appear (the sheet and its key agree)."""

    def __init__(self, blanks: frozenset[str]) -> None:
        self.blanks = blanks
        self.count = 0

    def blank(self, kind: str) -> int | None:
        if kind and kind in self.blanks:
            self.count += 1
            return self.count
        return None


class _Writer:
    """One output format: how inline text, equations, tables and headings are written."""

    def inline(self, rich: Sequence[Node]) -> str:
        out = []
        for node in rich:
            if isinstance(node, str):
                out.append(self.text(node))
            else:
                out.append(self.tag(node.name, self.inline(node.children)))
        return "".join(out)

    def text(self, text: str) -> str:
        raise NotImplementedError

    def tag(self, name: str, inner: str) -> str:
        raise NotImplementedError

    def equation_lines(self, eq: Equation, blank: int | None, answers: bool) -> list[str]:
        """The equation's lines, with its result blank (exercise) or marked (answer key)."""
        lines = [self.inline(line) for line in eq.lines]
        if blank is None:
            return lines
        mark = self.text(f"[{blank}]") + " "
        if answers:
            lines[-1] = self._mark_result(eq.lines[-1], mark)
            return lines
        first = eq.lines[0]
        if _has_bold(first):  # a one-line equation: its result is on the first line
            return [self._mark_result(first, mark, blank_out=True)]
        return [lines[0], self.text("= ") + mark + self.blank()]

    def _mark_result(self, rich: Rich, mark: str, blank_out: bool = False) -> str:
        out = []
        for node in rich:
            if isinstance(node, Tag) and node.name == "b":
                out.append(mark + (self.blank() if blank_out else self.inline((node,))))
            elif isinstance(node, str):
                out.append(self.text(node))
            else:
                out.append(self.inline((node,)))
        return "".join(out)

    def blank(self) -> str:
        raise NotImplementedError


def _has_bold(rich: Rich) -> bool:
    return any(isinstance(n, Tag) and n.name == "b" for n in rich)


class _Markdown(_Writer):
    _ESCAPE = re.compile(r"([\\`*_\[\]#|])")

    def text(self, text: str) -> str:
        text = html.escape(text, quote=False)
        return self._ESCAPE.sub(r"\\\1", text).replace("\xa0", "&nbsp;")

    def tag(self, name: str, inner: str) -> str:
        if name == "b":
            return f"**{inner}**"
        if name == "i":
            return f"*{inner}*"
        if name in ("sub", "sup"):
            return f"<{name}>{inner}</{name}>"
        return inner

    def blank(self) -> str:
        return r"\_\_\_\_\_\_"

    def write(self, sheet: Worksheet, numbering: _Numbering, answers: bool) -> str:
        out: list[str] = []
        for block in sheet.blocks:
            if isinstance(block, Heading):
                out.append("#" * block.level + " " + self.text(block.text))
            elif isinstance(block, Paragraph):
                out.append(self.inline(block.text))
            elif isinstance(block, Diagram):
                continue  # GitHub does not show inline SVG; the tables say it all
            elif isinstance(block, Table):
                out.append(self.table(block, numbering, answers))
            else:
                out.append(self.item(block, numbering, answers))
        return "\n\n".join(out) + "\n"

    def table(self, table: Table, numbering: _Numbering, answers: bool) -> str:
        hidden = not answers and table.kind in numbering.blanks
        lines = [f"**{self.text(table.caption)}**", ""]
        lines.append("| " + " | ".join(self.inline(h) for h in table.header) + " |")
        lines.append("|" + "---:|" * len(table.header))
        for row in table.rows:
            cells = [self.text(row[0])]
            cells += [self.blank() if hidden else self.text(cell) for cell in row[1:]]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def item(self, item: Item, numbering: _Numbering, answers: bool) -> str:
        head = f"**{self.inline(item.title)}**"
        if item.detail:
            head += f" ({self.text(item.detail)})"
        parts = [head]
        for eq in item.equations:
            lines = self.equation_lines(eq, numbering.blank(eq.kind), answers)
            shown = [lines[0]] + ["&emsp;" + line for line in lines[1:]]
            parts.append("\\\n".join(shown))
        return "\n\n".join(parts)


class _Html(_Writer):
    def text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def tag(self, name: str, inner: str) -> str:
        if name == "formula":
            return f'<span class="formula">{inner}</span>'
        return f"<{name}>{inner}</{name}>"

    def blank(self) -> str:
        return '<span class="blank"></span>'

    def write(self, sheet: Worksheet, numbering: _Numbering, answers: bool) -> str:
        title = sheet.title + (" (answers)" if answers and numbering.blanks else "")
        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{self.text(title)}</title>",
            f'<meta name="generator" content="BP Studio {__version__}">',
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
        ]
        for block in sheet.blocks:
            if isinstance(block, Heading):
                text = self.text(block.text)
                if block.level == 1 and answers and numbering.blanks:
                    text += " (answers)"
                out.append(f"<h{block.level}>{text}</h{block.level}>")
            elif isinstance(block, Paragraph):
                out.append(f"<p>{self.inline(block.text)}</p>")
            elif isinstance(block, Diagram):
                out.append(f'<figure class="diagram">\n{block.svg}\n</figure>')
            elif isinstance(block, Table):
                out.append(self.table(block, numbering, answers))
            else:
                out.append(self.item(block, numbering, answers))
        out += ["</body>", "</html>", ""]
        return "\n".join(out)

    def table(self, table: Table, numbering: _Numbering, answers: bool) -> str:
        hidden = not answers and table.kind in numbering.blanks
        lines = ["<table>", f"<caption>{self.text(table.caption)}</caption>", "<thead><tr>"]
        lines += [f"<th>{self.inline(h)}</th>" for h in table.header]
        lines.append("</tr></thead>")
        lines.append("<tbody>")
        for row in table.rows:
            cells = [f"<th>{self.text(row[0])}</th>"]
            cells += [f"<td>{self.blank() if hidden else self.text(c)}</td>" for c in row[1:]]
            lines.append("<tr>" + "".join(cells) + "</tr>")
        lines += ["</tbody>", "</table>"]
        return "\n".join(lines)

    def item(self, item: Item, numbering: _Numbering, answers: bool) -> str:
        detail = f' <span class="detail">{self.text(item.detail)}</span>' if item.detail else ""
        parts = ['<div class="item">', f'<p class="title">{self.inline(item.title)}{detail}</p>']
        for eq in item.equations:
            lines = self.equation_lines(eq, numbering.blank(eq.kind), answers)
            body = "<br>\n".join(
                [lines[0]] + [f'<span class="indent"></span>{line}' for line in lines[1:]]
            )
            parts.append(f'<p class="equation">{body}</p>')
        parts.append("</div>")
        return "\n".join(parts)


_CSS = (
    "body{font-family:Georgia,'Times New Roman',serif;max-width:52em;margin:2em auto;"
    "padding:0 1em;color:#1f2933;line-height:1.45}"
    "h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccd3db}"
    "table{border-collapse:collapse;margin:0.8em 0}"
    "caption{text-align:left;font-weight:bold;padding-bottom:0.3em}"
    "td,th{border:1px solid #ccd3db;padding:0.2em 0.6em;text-align:right}"
    ".item{margin:0.9em 0}.item .title{margin:0;font-weight:bold}"
    ".detail{font-weight:normal;color:#5f6368}"
    ".equation{margin:0.25em 0 0.25em 1.2em}.indent{display:inline-block;width:1.6em}"
    ".formula{color:#1d4f91}"
    ".blank{display:inline-block;width:6em;border-bottom:1px solid #1f2933}"
    ".diagram{margin:1em 0}"
)


# LaTeX: every character explanation text can hold, as text-mode LaTeX for pdflatex.
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\xa0": "~",
}
_TEX_MATH = {
    "Σ": r"\Sigma",
    "Δ": r"\Delta",
    "β": r"\beta",
    "δ": r"\delta",
    "ε": r"\varepsilon",
    "η": r"\eta",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "σ": r"\sigma",
    "∂": r"\partial",
    "·": r"\cdot",
    "×": r"\times",
    MINUS: "-",
    "←": r"\leftarrow",
    "→": r"\rightarrow",
    "∞": r"\infty",
    "√": r"\surd",
    "½": r"\frac{1}{2}",
    "′": r"'",
    "²": r"^{2}",
    "…": r"\ldots",
    "▶": r"\triangleright",
}
_TEX_SUBSCRIPT = {"ᵢ": "i", "ⱼ": "j", "ₖ": "k"}
_TEX_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUPERSCRIPT_RUN = re.compile("[⁰¹³⁴⁵⁶⁷⁸⁹⁻]+")


class _Tex(_Writer):
    def text(self, text: str) -> str:
        out = []
        position = 0
        for match in _SUPERSCRIPT_RUN.finditer(text):
            out.append(self._chars(text[position : match.start()]))
            digits = match.group(0).translate(_TEX_SUPERSCRIPT)
            out.append(rf"\ensuremath{{^{{{digits}}}}}")
            position = match.end()
        out.append(self._chars(text[position:]))
        return "".join(out)

    @staticmethod
    def _chars(text: str) -> str:
        out = []
        for ch in text:
            if ch in _TEX_SPECIAL:
                out.append(_TEX_SPECIAL[ch])
            elif ch in _TEX_MATH:
                out.append(rf"\ensuremath{{{_TEX_MATH[ch]}}}")
            elif ch in _TEX_SUBSCRIPT:
                out.append(rf"\textsubscript{{{_TEX_SUBSCRIPT[ch]}}}")
            elif ord(ch) < 128:
                out.append(ch)
            else:
                out.append(f"[U+{ord(ch):04X}]")  # never expected: tests keep the map complete
        return "".join(out)

    def tag(self, name: str, inner: str) -> str:
        command = {
            "b": "textbf",
            "i": "textit",
            "sub": "textsubscript",
            "sup": "textsuperscript",
        }.get(name)
        return rf"\{command}{{{inner}}}" if command else inner

    def blank(self) -> str:
        return r"\underline{\hspace{5em}}"

    def write(self, sheet: Worksheet, numbering: _Numbering, answers: bool) -> str:
        title = sheet.title + (" (answers)" if answers and numbering.blanks else "")
        out = [
            r"\documentclass[11pt]{article}",
            r"\usepackage[utf8]{inputenc}",
            r"\setlength{\parindent}{0pt}",
            r"\setlength{\parskip}{0.5ex}",
            r"\setlength{\textwidth}{16cm}",
            r"\setlength{\oddsidemargin}{0cm}",
            r"\setlength{\evensidemargin}{0cm}",
            r"\setlength{\textheight}{23cm}",
            r"\setlength{\topmargin}{-1cm}",
            r"\sloppy",
            f"% Generated by BP Studio {__version__}",
            r"\begin{document}",
        ]
        commands = {1: "section*", 2: "subsection*", 3: "subsubsection*", 4: "paragraph*"}
        for block in sheet.blocks:
            if isinstance(block, Heading):
                text = title if block.level == 1 else block.text
                out.append(rf"\{commands[min(block.level, 4)]}{{{self.text(text)}}}")
            elif isinstance(block, Paragraph):
                out.append(self.inline(block.text) + "\n")
            elif isinstance(block, Diagram):
                continue  # plain LaTeX draws no slanted lines well; the tables say it all
            elif isinstance(block, Table):
                out.append(self.table(block, numbering, answers))
            else:
                out.append(self.item(block, numbering, answers))
        out.append(r"\end{document}")
        return "\n".join(out) + "\n"

    def table(self, table: Table, numbering: _Numbering, answers: bool) -> str:
        hidden = not answers and table.kind in numbering.blanks
        columns = "r|" + "r" * (len(table.header) - 1)
        lines = [
            rf"\textbf{{{self.text(table.caption)}}}\par",
            r"\smallskip",
            rf"\begin{{tabular}}{{{columns}}}",
            " & ".join(self.inline(h) for h in table.header) + r" \\ \hline",
        ]
        for row in table.rows:
            cells = [self.text(row[0])]
            cells += [self.blank() if hidden else self.text(c) for c in row[1:]]
            lines.append(" & ".join(cells) + r" \\")
        lines += [r"\end{tabular}", r"\par\medskip", ""]
        return "\n".join(lines)

    def item(self, item: Item, numbering: _Numbering, answers: bool) -> str:
        head = rf"\textbf{{{self.inline(item.title)}}}"
        if item.detail:
            head += f" ({self.text(item.detail)})"
        parts = [head + r"\par"]
        for eq in item.equations:
            lines = self.equation_lines(eq, numbering.blank(eq.kind), answers)
            shown = [r"\hspace*{1.5em}" + lines[0]] + [r"\hspace*{3em}" + ln for ln in lines[1:]]
            parts.append(" \\\\\n".join(shown) + r"\par")
        return "\n".join(parts) + "\n\\medskip\n"


_WRITERS: dict[str, type] = {"md": _Markdown, "html": _Html, "tex": _Tex}


def render(sheet: Worksheet, fmt: str, *, blanks: Sequence[str] = (), answers: bool = False) -> str:
    """The worksheet as ``fmt`` (``md``, ``html`` or ``tex``).

    ``blanks`` (a subset of ``QUANTITY_KINDS``) leaves those equations' numbers blank and
    numbers the blanks; ``answers=True`` writes the answer key instead: every number, the
    blanks' numbers marked. ``ValueError`` for an unknown format or kind.
    """
    if fmt not in _WRITERS:
        raise ValueError(f"unknown worksheet format {fmt!r} (known: {', '.join(FORMATS)})")
    unknown = [kind for kind in blanks if kind not in QUANTITY_KINDS]
    if unknown:
        raise ValueError(
            f"unknown quantity {unknown[0]!r} to leave blank (known: {', '.join(QUANTITY_KINDS)})"
        )
    return _WRITERS[fmt]().write(sheet, _Numbering(frozenset(blanks)), answers)
