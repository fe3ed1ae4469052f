"""The maps of the input plane and their colours, without Qt."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bp_studio.data.features import apply_features
from bp_studio.engine import Network
from bp_studio.engine.normalization import Normalization
from bp_studio.studio.maps import (
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    PlaneGrid,
    class_rgb,
    diverging_rgb,
    lattice,
    node_pictures,
    plane_box,
    rgb,
    value_scale,
)


def net_2331() -> Network:
    return Network.create([2, 3, 3, 1], ["tanh", "relu", "sigmoid"], seed=3)


def test_rgb_reads_hex():
    assert rgb("#2166ac").tolist() == [0x21, 0x66, 0xAC]


def test_diverging_colours_are_white_at_zero_and_full_at_one():
    colours = diverging_rgb(np.array([0.0, 1.0, -1.0, 0.5, 3.0, np.nan]))
    white = [255, 255, 255]
    assert colours[0].tolist() == white
    assert colours[1].tolist() == rgb(POSITIVE_COLOR).tolist()
    assert colours[2].tolist() == rgb(NEGATIVE_COLOR).tolist()
    halfway = np.rint((np.array(white) + rgb(POSITIVE_COLOR)) / 2)
    assert colours[3].tolist() == halfway.tolist()
    assert colours[4].tolist() == colours[1].tolist()  # clipped
    assert colours[5].tolist() == white  # NaN
    assert (
        diverging_rgb(np.array([1.0]), strength=0.6)[0].tolist()
        == np.rint(255 + 0.6 * (rgb(POSITIVE_COLOR) - 255)).tolist()
    )


def test_value_scale_is_the_bound_or_the_largest_value():
    values = np.array([[0.0, 3.5], [np.nan, -0.2]])
    assert value_scale("sigmoid", values) == 1.0
    assert value_scale("tanh", values) == 1.0
    assert value_scale("softmax", values) == 1.0
    assert value_scale("relu", values) == 3.5
    assert value_scale("linear", np.array([0.2, -0.4])) == 1.0  # never below 1, as nodes
    assert value_scale("relu", np.array([np.nan])) == 1.0


def test_class_colours_lighten_where_unsure():
    outputs = np.array([[0.9, 0.05, 0.05], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0]])
    colours, winner = class_rgb(outputs, ("#ff0000", "#00ff00", "#0000ff"), 1.0)
    assert winner.tolist() == [0, 0, 2]
    share = (0.9 - 1 / 3) / (1 - 1 / 3)
    assert colours[0].tolist() == [255, round(255 * (1 - share)), round(255 * (1 - share))]
    assert colours[1].tolist() == [255, 255, 255]  # a tie: white
    assert colours[2].tolist() == [0, 0, 255]


def test_plane_box_and_lattice():
    points = np.array([[0.0, 10.0], [2.0, 14.0]])
    assert plane_box(points) == pytest.approx((-0.2, 2.2, 9.6, 14.4))
    assert plane_box(np.zeros((0, 2))) == pytest.approx((-1.2, 1.2, -1.2, 1.2))
    assert plane_box(np.array([[1.0, 1.0]])) == pytest.approx((0.9, 1.1, 0.9, 1.1))
    cells = lattice((0.0, 4.0, 0.0, 2.0), 2)
    assert cells.tolist() == [[1.0, 0.5], [3.0, 0.5], [1.0, 1.5], [3.0, 1.5]]


def test_plane_grid_is_the_networks_forward_pass():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 2))
    grid = PlaneGrid(20)
    grid.fit(points, (), "data")
    network = net_2331()
    activations = grid.forward(network)
    record = network.forward(grid.grid_points)
    for ours, theirs in zip(activations, record.layers):
        assert np.array_equal(ours, theirs.a)
    g = grid.grid
    i, j = 13, 4
    assert tuple(grid.grid_points[i * g + j]) == (grid.grid_x[j], grid.grid_y[i])
    maps = grid.neuron_maps(network)
    assert [m.shape for m in maps] == [(3, 20, 20), (3, 20, 20)]
    assert maps[1][2, i, j] == record.layers[1].a[i * g + j, 2]


def test_plane_grid_reuses_a_pass_until_the_weights_change():
    grid = PlaneGrid(10)
    grid.fit(np.array([[0.0, 0.0], [1.0, 1.0]]), (), "data")
    network = net_2331()
    first = grid.forward(network)
    assert grid.forward(network) is first
    kept = first[-1].copy()
    network.set_weight(2, 0, 0, 5.0)
    second = grid.forward(network)
    assert second is not first
    assert np.array_equal(first[-1], kept)  # an earlier pass is never overwritten
    assert np.array_equal(second[-1], network.predict(grid.grid_points))
    network.normalization = Normalization("standardize", [0.5, 0.5], [2.0, 2.0])
    assert np.array_equal(grid.forward(network)[-1], network.predict(grid.grid_points))


def test_plane_grid_keeps_its_box_while_the_points_stay_inside():
    grid = PlaneGrid(10)
    points = np.array([[0.0, 0.0], [1.0, 1.0]])
    grid.fit(points, (), "data")
    box = grid.box
    grid.fit(np.vstack([points, [[1.05, 0.5]]]), (), "data")  # inside the margin
    assert grid.box == box
    grid.fit(np.vstack([points, [[3.0, 0.5]]]), (), "data")  # outside: the box grows
    assert grid.box[1] > 3.0
    grid.fit(points, (), "other data")
    assert grid.box == box


def test_features_are_applied_before_the_network():
    grid = PlaneGrid(8)
    grid.fit(np.array([[-1.0, -1.0], [1.0, 1.0]]), ("x1", "x2", "x1*x2"), "data")
    assert np.array_equal(
        grid.grid_features, apply_features(grid.grid_points, ("x1", "x2", "x1*x2"))
    )
    network = Network.create([3, 2, 1], ["tanh", "sigmoid"], seed=0)
    assert np.array_equal(grid.forward(network)[-1], network.predict(grid.grid_features))


def test_node_pictures_use_the_value_scale_with_x2_upwards():
    network = net_2331()
    grid = PlaneGrid(4)
    grid.fit(np.array([[-1.8, -1.8], [1.8, 1.8]]), (), "data")
    activations = network.forward(lattice(grid.box, 4)).layers
    pictures = node_pictures(network, [layer.a for layer in activations], 4)
    assert sorted(pictures) == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2), (3, 0)]
    assert pictures[(3, 0)].shape == (4, 4, 3)
    # row 0 of a picture is the top of the plane: the lattice's last row (largest x2)
    a = activations[2].a[:, 0].reshape(4, 4)
    assert pictures[(3, 0)][0, 1].tolist() == diverging_rgb(np.array([a[3, 1]]))[0].tolist()
    relu = activations[1].a[:, 1].reshape(4, 4)
    scale = value_scale("relu", activations[1].a)
    expected = diverging_rgb(np.array([relu[0, 2] / scale]))[0]
    assert pictures[(2, 1)][3, 2].tolist() == expected.tolist()
    assert np.array_equal(grid.pictures(network, 4)[(3, 0)], pictures[(3, 0)])


def test_a_grid_needs_two_cells():
    with pytest.raises(ValueError, match="grid must be at least 2, got 1"):
        PlaneGrid(1)


def test_the_studio_modules_import_without_qt():
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        class BlockQt(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
                    raise ImportError(name + " is blocked")
                return None

        sys.meta_path.insert(0, BlockQt())
        import bp_studio.studio.explain, bp_studio.studio.maps, bp_studio.studio.moment
        import bp_studio.studio.notation
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
