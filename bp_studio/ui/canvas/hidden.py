"""What an open quiz question hides on the canvas (plain Python, no Qt).

The quiz (``studio.quiz``) asks for a quantity the step just computed; the canvas writes
``?`` wherever that number could be read: the node's value, the edge or bias label, the
error beside an output node, and the tooltip. A quantity is named by what it is and where
it sits: ``(quantity, selection)`` with ``quantity`` one of

- ``z``, ``a``, ``delta`` (``δ = ∂L/∂z``), ``error`` (``e = t − o``) of a node,
- ``gradient`` (``∂L/∂w`` or ``∂L/∂b``) and ``value`` (the weight or bias itself) of an
  edge or a bias.

A question hides its own quantity and what gives it away verbatim: a ``z`` question hides
``a = f(z)`` as well (``f`` can be inverted), an ``update`` question the parameter's value
(after the update it *is* the answer), and a ``δ`` question the bias gradient of the same
unit (``∂L/∂b_j`` is the batch mean of ``δ_j``: for a batch of one, ``δ_j`` itself).
"""

from __future__ import annotations

from bp_studio.studio.moment import Selection
from bp_studio.studio.quiz import Question

HIDDEN = "?"
"""What is written instead of a hidden number."""

HIDES = {
    "z": ("z", "a"),
    "a": ("a",),
    "error": ("error",),
    "delta": ("delta",),
    "gradient": ("gradient",),
    "update": ("value",),
}
"""The quantities each kind of question hides at its selection."""

QUESTION_SYMBOLS = {"z": "z", "a": "a", "delta": "δ", "error": "e"}
"""How a node question names its quantity: ``z=?`` in the node for a ``z`` question (not the
``a`` the node shows otherwise)."""

Hidden = frozenset[tuple[str, Selection]]


def hidden_quantities(question: Question | None) -> Hidden:
    """The ``(quantity, selection)`` pairs ``question`` hides (empty for ``None``)."""
    if question is None:
        return frozenset()
    where = question.selection
    pairs = {(quantity, where) for quantity in HIDES[question.kind]}
    if question.kind == "delta" and where.layer >= 1:
        pairs.add(("gradient", Selection("bias", where.layer - 1, where.unit)))
    return frozenset(pairs)


def shown(text: str, hidden: Hidden, quantity: str, selection: Selection) -> str:
    """``text`` (a formatted number), or ``?`` when ``(quantity, selection)`` is hidden."""
    return HIDDEN if hidden and (quantity, selection) in hidden else text
