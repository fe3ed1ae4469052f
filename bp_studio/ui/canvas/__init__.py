"""The network canvas: columns of nodes joined by weighted edges, drawn from a ``Moment``.

Node layer ``l`` is column ``l`` (0 = inputs). Network layer ``k`` (weights ``(units, inputs)``)
is drawn as the edges between columns ``k`` and ``k + 1``: edge ``(k, j, i)`` shows
``weight[j, i]``, coloured by sign (blue positive, orange negative: a colour-blind-safe
diverging pair) and thickened and made opaque by ``|w| / max |w|`` of its own layer (every
layer's strongest edges at full strength, drawn on top). A node's fill shows the value
``Moment.node_value`` gives it (``a`` in forward, error and update, ``δ = dL/dz`` in backward)
on the same diverging scale, white at 0, full colour at ±1; a node's picture of what it
computes over the input plane (2-D data) uses that scale too.

Modules: ``layout`` (where everything goes, from the architecture and the view's size),
``scene`` (the items of one architecture, restyled from each moment), ``edges`` (which edges
a layer draws and with which pens), ``items`` (labels, nodes, the input image), ``colours``,
``legend``, ``tooltips`` (plain text, no Qt) and ``view`` (``NetworkCanvas``: fit, zoom,
mouse, signals). Overlays the window sets: ``marks`` (unit health badges), ``checks`` (edges
coloured by a gradient check) and ``hidden`` (what an open quiz question writes as ``?``).

Drawing is cheap to restyle: ``set_moment`` rebuilds the scene only when the architecture
changes. Each network layer's edges are one item that draws all its lines with a few pens
(one per sign and thickness level), and edges are hit-tested with numpy (nearest segment).

Big networks stay readable and live: more than 32 inputs are an image of the sample (8 x 8
digits, 28 x 28 images; a unit of layer 1 hovered or selected shows its weights there);
layers too big to draw whole draw each unit's strongest edges and the layer's strongest
(``Thinning``); text is sized for the view and never drawn below ``MIN_LABEL_PX`` (labels too
small are hidden and not even written: the tooltip gives them); edge layers of more than 48
lines keep their drawing as a pixmap that a change of phase only fades. What says what the
drawing is keeps its size on screen at any zoom instead: column titles (shortened, down to
``H1``, when columns are close), output names, health badges and the quiz question's mark.
"""

from bp_studio.ui.canvas.colours import Colours
from bp_studio.ui.canvas.edges import Thinning, edge_buckets
from bp_studio.ui.canvas.items import LEVELS, MIN_LABEL_PX
from bp_studio.ui.canvas.layout import EdgeStyle, Layout
from bp_studio.ui.canvas.view import NetworkCanvas

__all__ = [
    "LEVELS",
    "MIN_LABEL_PX",
    "Colours",
    "EdgeStyle",
    "Layout",
    "NetworkCanvas",
    "Thinning",
    "edge_buckets",
]
