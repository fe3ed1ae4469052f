"""Quiz mode: while stepping, a quantity the step just computed is hidden and asked for.

After each stepping command the quiz picks one quantity of the kinds the learner chose from
the pieces of work that command did (a z or an a of the layer just computed, an error, a δ, a
gradient, an updated weight or bias), for the sample the nodes show. The answer is checked to
the digits shown: right when ``|answer − value| <= ½ · 10^(1 − digits) · |value|`` (or, for a
value of 0, ``<= ½ · 10^(−digits)``). A wrong answer gets the equation as a hint, a second one
the numbers plugged in; ``reveal`` gives the value. A score per kind (right, asked) is kept for
the session and saved with it.

The hint texts are the explanation panel's own equations (``bp_studio.studio.explain``),
without their result.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bp_studio.engine import Phase
from bp_studio.studio.explain import explain, format_number
from bp_studio.studio.moment import Moment, Selection

KINDS = ("z", "a", "error", "delta", "gradient", "update")
"""The kinds of quantity the quiz may ask for."""
KIND_TITLES = {
    "z": "weighted sums z",
    "a": "activations a",
    "error": "errors e = t − o",
    "delta": "deltas δ",
    "gradient": "gradients ∂L/∂w",
    "update": "updated weights",
}


@dataclass(frozen=True)
class Question:
    """One hidden quantity: what it is, where, its value and the two hints."""

    kind: str
    phase: Phase
    selection: Selection
    sample: int
    prompt: str
    value: float
    formula: str
    """The first hint: the equation."""
    plugged: str
    """The second hint: the equation with the numbers plugged in (without the result)."""


@dataclass(frozen=True)
class Verdict:
    """What an answer got: ``correct``; else the hint to show now (``hint_level`` 1 or 2)."""

    correct: bool
    hint_level: int
    hint: str
    value: float | None = None
    """The value, once answered right or revealed."""


@dataclass
class Quiz:
    """The quiz of a studio: on or off, the kinds asked, the scores and the open question."""

    enabled: bool = False
    kinds: tuple[str, ...] = KINDS
    scores: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in KINDS})
    question: Question | None = None
    attempts: int = 0
    seed: int = 0

    def start(self, kinds: tuple[str, ...] | list[str] = KINDS) -> None:
        kinds = tuple(kinds)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown or not kinds:
            raise ValueError(f"quiz kinds must be some of {', '.join(KINDS)}, got {kinds!r}")
        self.enabled, self.kinds = True, kinds
        self.question, self.attempts = None, 0

    def stop(self) -> None:
        self.enabled = False
        self.question, self.attempts = None, 0

    # -- asking -----------------------------------------------------------------------------

    def ask(self, before: Moment, after: Moment, digits: int, step: int) -> Question | None:
        """Pose a question about a quantity computed between ``before`` and ``after`` (two
        moments of the same step, or ``after`` a whole step); ``None`` if none of the chosen
        kinds was computed."""
        if not self.enabled:
            return None
        candidates = _computed(before, after)
        candidates = [c for c in candidates if c[0] in self.kinds]
        if not candidates:
            return None
        phase = 0 if before.phase is None else int(before.phase)
        chooser = random.Random(self.seed * 1_000_003 + step * 1_009 + phase * 31 + len(candidates))
        kind, phase, selection = chooser.choice(candidates)
        self.question = _question(after, kind, phase, selection, digits)
        self.attempts = 0
        return self.question

    def answer(self, value: float, digits: int) -> Verdict:
        """Check ``value`` against the open question (``ValueError`` if there is none)."""
        question = self.question
        if question is None:
            raise ValueError("there is no question to answer")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"the answer must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise ValueError("the answer must be a finite number")
        if close_enough(float(value), question.value, digits):
            self._score(question.kind, right=True)
            return Verdict(True, 0, "", question.value)
        self.attempts += 1
        if self.attempts == 1:
            return Verdict(False, 1, question.formula)
        return Verdict(False, 2, question.plugged or question.formula)

    def reveal(self) -> float:
        """Give up on the open question: its value (counted as asked, not right)."""
        question = self.question
        if question is None:
            raise ValueError("there is no question to reveal")
        self._score(question.kind, right=False)
        return question.value

    def _score(self, kind: str, right: bool) -> None:
        scores = self.scores.setdefault(kind, [0, 0])
        scores[0] += int(right)
        scores[1] += 1
        self.question, self.attempts = None, 0

    # -- sessions ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "kinds": list(self.kinds),
            "scores": {k: list(v) for k, v in self.scores.items()},
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "quiz") -> Quiz:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object with enabled, kinds, scores")
        enabled = data.get("enabled", False)
        if not isinstance(enabled, bool):
            raise ValueError(f"{where}.enabled: expected true or false")
        kinds = data.get("kinds", list(KINDS))
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            raise ValueError(f"{where}.kinds: expected some of {', '.join(KINDS)}")
        scores = data.get("scores", {})
        if not isinstance(scores, dict):
            raise ValueError(f"{where}.scores: expected an object")
        checked = {k: [0, 0] for k in KINDS}
        for kind, pair in scores.items():
            ok = (
                kind in KINDS
                and isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in pair)
                and pair[0] <= pair[1]
            )
            if not ok:
                raise ValueError(f"{where}.scores.{kind}: expected [right, asked] whole numbers")
            checked[kind] = list(pair)
        return cls(enabled=enabled, kinds=tuple(kinds), scores=checked)


def close_enough(answer: float, value: float, digits: int) -> bool:
    """Whether ``answer`` is ``value`` to ``digits`` significant digits (see the module)."""
    if value == 0.0:
        return abs(answer) <= 0.5 * 10.0 ** (-digits)
    return abs(answer - value) <= 0.5 * 10.0 ** (1 - digits) * abs(value) * (1 + 1e-12)


def _computed(before: Moment, after: Moment) -> list[tuple[str, Phase, Selection]]:
    """``(kind, phase, selection)`` of every quantity computed from ``before`` to ``after``."""
    network = after.network
    layers = len(network.layers)
    found: list[tuple[str, Phase, Selection]] = []
    # Between steps (phase None) the nodes show a preview, not computed pieces of a step.
    fresh = before.update is not None or before.phase is None
    done_forward = set() if fresh else {r.index for r in before.forward_layers}
    for record in after.forward_layers:
        if record.index in done_forward:
            continue
        for unit in range(network.layers[record.index].units):
            node = Selection("node", record.index + 1, unit)
            found += [("z", Phase.FORWARD, node), ("a", Phase.FORWARD, node)]
    had_error = before.error is not None and not fresh
    if after.error is not None and not had_error:
        for unit in range(network.outputs):
            found.append(("error", Phase.ERROR, Selection("node", layers, unit)))
    done_backward = set() if fresh else set(before.backward_layers)
    for index in after.backward_layers:
        if index in done_backward:
            continue
        layer = network.layers[index]
        for unit in range(layer.units):
            found.append(("delta", Phase.BACKWARD, Selection("node", index + 1, unit)))
            for column in range(layer.inputs):
                found.append(("gradient", Phase.BACKWARD, Selection("edge", index, unit, column)))
            if layer.bias is not None:
                found.append(("gradient", Phase.BACKWARD, Selection("bias", index, unit)))
    if after.update is not None and before.update is None:
        for index, layer in enumerate(network.layers):
            for unit in range(layer.units):
                for column in range(layer.inputs):
                    found.append(("update", Phase.UPDATE, Selection("edge", index, unit, column)))
                if layer.bias is not None:
                    found.append(("update", Phase.UPDATE, Selection("bias", index, unit)))
    return found


_LHS = {
    "z": ("z",),
    "a": ("a", "o"),
    "error": ("e",),
    "delta": ("δ",),
    "gradient": ("∂L/∂wji", "∂L/∂bj"),
    "update": ("w", "b"),
}


def _question(
    moment: Moment, kind: str, phase: Phase, selection: Selection, digits: int
) -> Question:
    from bp_studio.studio.worksheet import plain_text, read_page

    page = read_page(explain(replace(moment, phase=phase), selection, digits), lambda lhs: lhs)
    equation = next(e for e in page.equations if e.lhs in _LHS[kind])
    lines = [plain_text(line) for line in equation.lines]
    formula = lines[0]
    plugged = "\n".join([formula, *lines[1:-1]]) if len(lines) > 2 else ""
    what = plain_text(page.title)
    sample = f" (sample {moment.sample + 1})" if kind in ("z", "a", "error", "delta") else ""
    symbol = {"error": "e", "delta": "δ", "gradient": equation.lhs, "update": "the new value"}
    prompt = f"{symbol.get(kind, kind)} of {what[:1].lower() + what[1:]}{sample} = ?"
    return Question(
        kind,
        phase,
        selection,
        moment.sample,
        prompt,
        _value(moment, kind, selection),
        formula,
        plugged,
    )


def _value(moment: Moment, kind: str, selection: Selection) -> float:
    s = moment.sample
    if kind in ("z", "a"):
        record = moment.forward_layers[selection.layer - 1]
        return float((record.z if kind == "z" else record.a)[s, selection.unit])
    if kind == "error":
        assert moment.error is not None, "asked once the error phase has run"
        return float(moment.error.error[s, selection.unit])
    if kind == "delta":
        return float(moment.backward_layers[selection.layer - 1].delta[s, selection.unit])
    values: np.ndarray | None
    if kind == "gradient":
        backward = moment.backward_layers[selection.layer]
        values = backward.grad_weight if selection.kind == "edge" else backward.grad_bias
    else:
        assert moment.update is not None, "asked once the update has run"
        after = moment.update.after[selection.layer]
        values = after.weight if selection.kind == "edge" else after.bias
    assert values is not None, "a bias is asked about only where the layer has one"
    if selection.kind == "edge":
        assert selection.input is not None, "an edge names its input"
        return float(values[selection.unit, selection.input])
    return float(values[selection.unit])


def describe_score(quiz: Quiz) -> str:
    """``z 3/4 · δ 1/2`` for the kinds asked so far."""
    parts = [f"{kind} {right}/{asked}" for kind, (right, asked) in quiz.scores.items() if asked]
    return " · ".join(parts) if parts else "no questions yet"


__all__ = [
    "KINDS",
    "Question",
    "Quiz",
    "Verdict",
    "close_enough",
    "describe_score",
    "format_number",
]
