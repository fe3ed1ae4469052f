"""The network canvas: columns of nodes joined by weighted edges, drawn from a ``Moment``.

Node layer ``l`` is column ``l`` (0 = inputs). Network layer ``k`` (weights ``(units, inputs)``)
is drawn as the edges between columns ``k`` and ``k + 1``: edge ``(k, j, i)`` shows
``weight[j, i]``, coloured by sign (blue positive, orange negative: a colour-blind-safe
diverging pair) and thickened and made opaque by ``|w| / max |w|`` over the whole network.
A node's fill shows the value ``Moment.node_value`` gives it (``a`` in forward, error and
update, ``delta = dL/dz`` in backward) on the same diverging scale, white at 0.

Drawing is cheap to restyle: ``set_moment`` rebuilds the scene only when the architecture
changes. Each network layer's edges are one item that draws all its lines with a few pens
(one per sign and thickness level), and edges are hit-tested with numpy (nearest segment).

Big networks stay readable: short columns spread over the height of the tallest (the 10
outputs of 64-32-10 become big circles with their values inside), weak edges fade (opacity
``~ (|w| / max)^2``), the labels of small nodes appear only once zoomed in far enough to read
them (level of detail), and edge layers of more than 300 edges keep their drawing as a
pixmap that a change of phase only fades instead of redrawing.
"""

from bp_studio.ui.canvas.colours import Colours
from bp_studio.ui.canvas.items import LEVELS, MIN_LABEL_PX, edge_buckets
from bp_studio.ui.canvas.layout import EdgeStyle, Layout
from bp_studio.ui.canvas.view import NetworkCanvas

__all__ = [
    "LEVELS",
    "MIN_LABEL_PX",
    "Colours",
    "EdgeStyle",
    "Layout",
    "NetworkCanvas",
    "edge_buckets",
]
