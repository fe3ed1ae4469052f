"""Hand-worked examples: the engine's numbers against scalar arithmetic written out in full.

The expected values here are computed with plain Python floats and ``math`` (one formula per
number, no numpy vector code), so they are independent of the engine's kernels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bp_studio.engine import (
    Network,
    Regularization,
    Trainer,
    backward,
    error,
    forward,
)

from helpers import flat

EXACT = 1e-12


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def published(value: str) -> tuple[float, float]:
    """A value as published and half a unit of its last digit (its rounding tolerance)."""
    decimals = len(value.split(".")[1])
    return float(value), 0.5 * 10.0**-decimals + 1e-15


# -- Matt Mazur, "A Step by Step Backpropagation Example" ---------------------------------

I1, I2 = 0.05, 0.10
W1, W2, W3, W4, B1 = 0.15, 0.20, 0.25, 0.30, 0.35
W5, W6, W7, W8, B2 = 0.40, 0.45, 0.50, 0.55, 0.60
T1, T2 = 0.01, 0.99
LR = 0.5


def mazur_network() -> Network:
    # weight[j][i] connects input i to unit j: w1 = i1->h1, w2 = i2->h1, w3 = i1->h2, ...
    return Network(
        [[[W1, W2], [W3, W4]], [[W5, W6], [W7, W8]]],
        [[B1, B1], [B2, B2]],
        ["sigmoid", "sigmoid"],
        "mse",
    )


def mazur_by_hand() -> dict[str, float]:
    """Mazur's forward pass, error and one update, one scalar at a time."""
    v: dict[str, float] = {}
    v["net_h1"] = W1 * I1 + W2 * I2 + B1
    v["net_h2"] = W3 * I1 + W4 * I2 + B1
    v["out_h1"] = sigmoid(v["net_h1"])
    v["out_h2"] = sigmoid(v["net_h2"])
    v["net_o1"] = W5 * v["out_h1"] + W6 * v["out_h2"] + B2
    v["net_o2"] = W7 * v["out_h1"] + W8 * v["out_h2"] + B2
    v["out_o1"] = sigmoid(v["net_o1"])
    v["out_o2"] = sigmoid(v["net_o2"])
    v["E_o1"] = 0.5 * (T1 - v["out_o1"]) ** 2
    v["E_o2"] = 0.5 * (T2 - v["out_o2"]) ** 2
    v["E_total"] = v["E_o1"] + v["E_o2"]
    # output deltas: dE/dnet_o = (out_o - t) * out_o * (1 - out_o)
    v["delta_o1"] = (v["out_o1"] - T1) * v["out_o1"] * (1.0 - v["out_o1"])
    v["delta_o2"] = (v["out_o2"] - T2) * v["out_o2"] * (1.0 - v["out_o2"])
    v["dE_dw5"] = v["delta_o1"] * v["out_h1"]
    v["w5"] = W5 - LR * v["delta_o1"] * v["out_h1"]
    v["w6"] = W6 - LR * v["delta_o1"] * v["out_h2"]
    v["w7"] = W7 - LR * v["delta_o2"] * v["out_h1"]
    v["w8"] = W8 - LR * v["delta_o2"] * v["out_h2"]
    # hidden deltas use the original output weights
    v["dE_dout_h1"] = v["delta_o1"] * W5 + v["delta_o2"] * W7
    v["dE_dout_h2"] = v["delta_o1"] * W6 + v["delta_o2"] * W8
    v["delta_h1"] = v["dE_dout_h1"] * v["out_h1"] * (1.0 - v["out_h1"])
    v["delta_h2"] = v["dE_dout_h2"] * v["out_h2"] * (1.0 - v["out_h2"])
    v["dE_dw1"] = v["delta_h1"] * I1
    v["w1"] = W1 - LR * v["delta_h1"] * I1
    v["w2"] = W2 - LR * v["delta_h1"] * I2
    v["w3"] = W3 - LR * v["delta_h2"] * I1
    v["w4"] = W4 - LR * v["delta_h2"] * I2
    # biases (Mazur leaves them alone; this engine updates them): b <- b - lr * delta
    v["b_h1"] = B1 - LR * v["delta_h1"]
    v["b_h2"] = B1 - LR * v["delta_h2"]
    v["b_o1"] = B2 - LR * v["delta_o1"]
    v["b_o2"] = B2 - LR * v["delta_o2"]
    return v


MAZUR_PUBLISHED = {
    "out_h1": "0.593269992",
    "out_h2": "0.596884378",
    "net_o1": "1.105905967",
    "out_o1": "0.75136507",
    "out_o2": "0.772928465",
    "E_o1": "0.274811083",
    "E_o2": "0.023560026",
    "E_total": "0.298371109",
    "dE_dw5": "0.082167041",
    "dE_dout_h1": "0.036350306",
    "dE_dw1": "0.000438568",
    "w5": "0.35891648",
    "w6": "0.408666186",
    "w7": "0.511301270",
    "w8": "0.561370121",
    "w1": "0.149780716",
    "w2": "0.19956143",
    "w3": "0.24975114",
    "w4": "0.29950229",
}


@pytest.mark.parametrize("name", list(MAZUR_PUBLISHED))
def test_mazur_hand_computation_matches_published_values(name: str) -> None:
    value, tolerance = published(MAZUR_PUBLISHED[name])
    assert abs(mazur_by_hand()[name] - value) <= tolerance


def test_mazur_one_step_matches_published_values() -> None:
    net = mazur_network()
    trainer = Trainer(net, [[I1, I2]], [[T1, T2]], lr=LR)
    record = trainer.step()

    value, tolerance = published("0.298371109")
    assert abs(record.error.loss - value) <= tolerance
    hidden, output = net.layers
    expected_output = [["0.35891648", "0.408666186"], ["0.511301270", "0.561370121"]]
    expected_hidden = [["0.149780716", "0.19956143"], ["0.24975114", "0.29950229"]]
    for layer, rows in ((output, expected_output), (hidden, expected_hidden)):
        for j, row in enumerate(rows):
            for i, text in enumerate(row):
                value, tolerance = published(text)
                assert abs(layer.weight[j, i] - value) <= tolerance, (j, i)


def test_mazur_one_step_matches_hand_computation() -> None:
    v = mazur_by_hand()
    net = mazur_network()
    trainer = Trainer(net, [[I1, I2]], [[T1, T2]], lr=LR)
    record = trainer.step()

    hidden_record, output_record = record.forward.layers
    assert hidden_record.z[0].tolist() == pytest.approx([v["net_h1"], v["net_h2"]], abs=EXACT)
    assert hidden_record.a[0].tolist() == pytest.approx([v["out_h1"], v["out_h2"]], abs=EXACT)
    assert output_record.z[0].tolist() == pytest.approx([v["net_o1"], v["net_o2"]], abs=EXACT)
    assert output_record.a[0].tolist() == pytest.approx([v["out_o1"], v["out_o2"]], abs=EXACT)
    assert record.error.loss == pytest.approx(v["E_total"], abs=EXACT)
    assert record.error.sample_loss.tolist() == pytest.approx([v["E_total"]], abs=EXACT)
    assert record.error.error[0].tolist() == pytest.approx(
        [T1 - v["out_o1"], T2 - v["out_o2"]], abs=EXACT
    )

    hidden_back, output_back = record.backward.layers
    assert output_back.delta[0].tolist() == pytest.approx([v["delta_o1"], v["delta_o2"]], abs=EXACT)
    assert output_back.grad_output[0].tolist() == pytest.approx(
        [v["out_o1"] - T1, v["out_o2"] - T2], abs=EXACT
    )
    assert hidden_back.grad_output[0].tolist() == pytest.approx(
        [v["dE_dout_h1"], v["dE_dout_h2"]], abs=EXACT
    )
    assert hidden_back.delta[0].tolist() == pytest.approx([v["delta_h1"], v["delta_h2"]], abs=EXACT)
    assert output_back.grad_weight[0, 0] == pytest.approx(v["dE_dw5"], abs=EXACT)
    assert hidden_back.grad_weight[0, 0] == pytest.approx(v["dE_dw1"], abs=EXACT)

    hidden, output = net.layers
    assert hidden.weight.tolist() == [
        pytest.approx([v["w1"], v["w2"]], abs=EXACT),
        pytest.approx([v["w3"], v["w4"]], abs=EXACT),
    ]
    assert output.weight.tolist() == [
        pytest.approx([v["w5"], v["w6"]], abs=EXACT),
        pytest.approx([v["w7"], v["w8"]], abs=EXACT),
    ]
    # the bias update b <- b - lr * delta, worked by hand above
    assert hidden.bias.tolist() == pytest.approx([v["b_h1"], v["b_h2"]], abs=EXACT)
    assert output.bias.tolist() == pytest.approx([v["b_o1"], v["b_o2"]], abs=EXACT)
    assert v["b_h1"] != B1 and v["b_o2"] != B2  # the biases really moved


# -- the seed's network: no biases, sigmoid hidden layer, linear output ---------------------


def test_seed_style_network_by_hand() -> None:
    w_hidden = [[0.9, 0.3, 0.4], [0.2, 0.8, 0.2], [0.1, 0.5, 0.6]]  # (3 units, 3 inputs)
    w_output = [[0.3, 0.7, 0.5], [0.6, 0.5, 0.2]]  # (2 units, 3 inputs)
    x = [0.9, 0.1, 0.8]
    t = [0.5, -0.3]
    lr = 0.3
    net = Network([w_hidden, w_output], [None, None], ["sigmoid", "linear"], "mse")
    trainer = Trainer(net, [x], [t], lr=lr)
    record = trainer.step()

    hidden = [sigmoid(sum(w_hidden[j][i] * x[i] for i in range(3))) for j in range(3)]
    outputs = [sum(w_output[k][j] * hidden[j] for j in range(3)) for k in range(2)]
    errors = [t[k] - outputs[k] for k in range(2)]
    loss = sum(0.5 * e * e for e in errors)
    # linear output: delta_k = (o_k - t_k) * 1; the seed's rule w += lr * error * input
    new_output = [[w_output[k][j] + lr * errors[k] * hidden[j] for j in range(3)] for k in range(2)]
    hidden_errors = [sum(w_output[k][j] * errors[k] for k in range(2)) for j in range(3)]
    new_hidden = [
        [
            w_hidden[j][i] + lr * hidden_errors[j] * hidden[j] * (1.0 - hidden[j]) * x[i]
            for i in range(3)
        ]
        for j in range(3)
    ]

    assert record.forward.layers[0].a[0].tolist() == pytest.approx(hidden, abs=EXACT)
    assert record.forward.outputs[0].tolist() == pytest.approx(outputs, abs=EXACT)
    assert record.error.error[0].tolist() == pytest.approx(errors, abs=EXACT)
    assert record.error.loss == pytest.approx(loss, abs=EXACT)
    assert record.backward.layers[1].delta[0].tolist() == pytest.approx(
        [-e for e in errors], abs=EXACT
    )
    assert record.backward.layers[1].derivative[0].tolist() == [1.0, 1.0]
    assert net.layers[0].bias is None and net.layers[1].bias is None
    assert net.parameters.size == 9 + 6
    for k in range(2):
        assert net.layers[1].weight[k].tolist() == pytest.approx(new_output[k], abs=EXACT)
    for j in range(3):
        assert net.layers[0].weight[j].tolist() == pytest.approx(new_hidden[j], abs=EXACT)


# -- a batch: the gradient is the mean of the per-sample gradients --------------------------


def _batch_network() -> Network:
    return Network(
        [[[0.5, -0.4], [0.3, 0.8], [-0.6, 0.1]], [[0.7, -0.2, 0.4]]],
        [[0.1, -0.1, 0.2], [0.05]],
        ["tanh", "sigmoid"],
        "mse",
    )


def test_batch_gradient_is_mean_of_sample_gradients() -> None:
    net = _batch_network()
    X = np.array([[1.0, 0.5], [-0.3, 0.9]])
    T = np.array([[1.0], [0.0]])
    both = backward(net, forward(net, X), T)
    first = backward(net, forward(net, X[:1]), T[:1])
    second = backward(net, forward(net, X[1:]), T[1:])
    assert not np.allclose(first.gradient, second.gradient)
    np.testing.assert_allclose(
        both.gradient, (first.gradient + second.gradient) / 2, rtol=0, atol=EXACT
    )
    # the per-sample deltas are the rows of the batch's delta: no 1/n in delta
    for layer in range(2):
        np.testing.assert_allclose(
            both.layers[layer].delta[0], first.layers[layer].delta[0], rtol=0, atol=EXACT
        )
        np.testing.assert_allclose(
            both.layers[layer].delta[1], second.layers[layer].delta[0], rtol=0, atol=EXACT
        )
    # the batch loss is the mean of the sample losses
    record = error(net, forward(net, X), T)
    singles = [error(net, forward(net, X[s : s + 1]), T[s : s + 1]).loss for s in range(2)]
    assert record.sample_loss.tolist() == pytest.approx(singles, abs=EXACT)
    assert record.loss == pytest.approx((singles[0] + singles[1]) / 2, abs=EXACT)


def test_batch_gradient_by_hand() -> None:
    """One output weight's gradient over two samples, written out in scalars."""
    net = _batch_network()
    X = [[1.0, 0.5], [-0.3, 0.9]]
    T = [1.0, 0.0]
    w_h = [[0.5, -0.4], [0.3, 0.8], [-0.6, 0.1]]
    b_h = [0.1, -0.1, 0.2]
    w_o = [0.7, -0.2, 0.4]
    b_o = 0.05
    grad_w_o0 = 0.0
    grad_b_o = 0.0
    for x, t in zip(X, T):
        h = [math.tanh(w_h[j][0] * x[0] + w_h[j][1] * x[1] + b_h[j]) for j in range(3)]
        o = sigmoid(w_o[0] * h[0] + w_o[1] * h[1] + w_o[2] * h[2] + b_o)
        delta = (o - t) * o * (1.0 - o)
        grad_w_o0 += delta * h[0] / 2
        grad_b_o += delta / 2
    record = backward(net, forward(net, np.array(X)), np.array(T).reshape(-1, 1))
    assert record.layers[1].grad_weight[0, 0] == pytest.approx(grad_w_o0, abs=EXACT)
    assert record.layers[1].grad_bias[0] == pytest.approx(grad_b_o, abs=EXACT)


# -- cross-entropy with softmax, binary cross-entropy with sigmoid -------------------------


def test_softmax_cross_entropy_by_hand() -> None:
    w = [[0.2, -0.5], [0.4, 0.1], [-0.3, 0.6]]
    b = [0.1, 0.0, -0.2]
    X = [[1.0, 2.0], [-0.5, 0.3]]
    labels = [2, 0]
    net = Network([w], [b], ["softmax"], "cross_entropy")
    T = np.eye(3)[labels]
    fwd = forward(net, np.array(X))
    err = error(net, fwd, T)
    back = backward(net, fwd, T)

    losses = []
    for s, x in enumerate(X):
        z = [w[k][0] * x[0] + w[k][1] * x[1] + b[k] for k in range(3)]
        total = sum(math.exp(zk) for zk in z)
        o = [math.exp(zk) / total for zk in z]
        assert fwd.outputs[s].tolist() == pytest.approx(o, abs=EXACT)
        losses.append(-math.log(o[labels[s]]))
    assert err.sample_loss.tolist() == pytest.approx(losses, abs=EXACT)
    assert err.loss == pytest.approx(sum(losses) / 2, abs=EXACT)
    # delta = o - t exactly, with no derivative or dL/da of its own
    output = back.layers[0]
    assert np.array_equal(output.delta, fwd.outputs - T)
    assert output.grad_output is None and output.derivative is None
    # the gradient averages delta^T x over the batch
    np.testing.assert_allclose(
        output.grad_weight, (fwd.outputs - T).T @ np.array(X) / 2, rtol=0, atol=EXACT
    )
    np.testing.assert_allclose(output.grad_bias, (fwd.outputs - T).mean(axis=0), atol=EXACT)


def test_cross_entropy_with_large_logits_stays_finite() -> None:
    net = Network([[[400.0], [-400.0]]], [None], ["softmax"], "cross_entropy")
    T = np.array([[0.0, 1.0]])
    err = error(net, forward(net, np.array([[1.0]])), T)
    assert err.loss == pytest.approx(800.0, abs=1e-9)  # -log(e^-400 / (e^400 + e^-400))


def test_binary_cross_entropy_by_hand() -> None:
    w = [[0.8, -0.3]]
    b = [0.1]
    X = [[0.5, 1.0], [2.0, -1.0]]
    T = [1.0, 0.0]
    net = Network([w], [b], ["sigmoid"], "binary_cross_entropy")
    fwd = forward(net, np.array(X))
    targets = np.array(T).reshape(-1, 1)
    err = error(net, fwd, targets)
    back = backward(net, fwd, targets)
    losses = []
    for x, t in zip(X, T):
        o = sigmoid(w[0][0] * x[0] + w[0][1] * x[1] + b[0])
        losses.append(-(t * math.log(o) + (1.0 - t) * math.log(1.0 - o)))
    assert err.sample_loss.tolist() == pytest.approx(losses, abs=EXACT)
    assert err.loss == pytest.approx(sum(losses) / 2, abs=EXACT)
    assert np.array_equal(back.layers[0].delta, fwd.outputs - targets)
    assert back.layers[0].derivative is None


# -- the optimisers' first two steps --------------------------------------------------------


def _tiny() -> tuple[Network, np.ndarray, np.ndarray]:
    net = Network(
        [[[0.4, -0.7], [0.25, 0.5]], [[0.6, -0.35]]],
        [[0.05, -0.1], [0.2]],
        ["tanh", "linear"],
        "mse",
    )
    X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 0.8]])
    T = np.array([[0.3], [-0.6], [1.1]])
    return net, X, T


def _two_steps(optimizer: str, lr: float):
    net, X, T = _tiny()
    theta0 = [float(p) for p in net.parameters]
    trainer = Trainer(net, X, T, lr=lr, optimizer=optimizer)
    first = trainer.step()
    second = trainer.step()
    assert flat(first.update.before).tolist() == theta0
    g1 = [float(g) for g in first.backward.gradient]
    g2 = [float(g) for g in second.backward.gradient]
    assert g1 != g2
    return theta0, g1, g2, first, second, net


def test_sgd_two_steps_by_hand() -> None:
    lr = 0.1
    theta0, g1, g2, first, second, net = _two_steps("sgd", lr)
    theta1 = [w - lr * g for w, g in zip(theta0, g1)]
    theta2 = [w - lr * g for w, g in zip(theta1, g2)]
    assert flat(first.update.step).tolist() == pytest.approx([-lr * g for g in g1], abs=EXACT)
    assert flat(first.update.after).tolist() == pytest.approx(theta1, abs=EXACT)
    assert flat(second.update.before).tolist() == pytest.approx(theta1, abs=EXACT)
    assert net.parameters.tolist() == pytest.approx(theta2, abs=EXACT)
    assert first.update.optimizer == "sgd" and first.update.step_number == 1
    assert second.update.step_number == 2


def test_momentum_two_steps_by_hand() -> None:
    lr, mu = 0.1, 0.9
    theta0, g1, g2, first, second, net = _two_steps("momentum", lr)
    v1 = [mu * 0.0 - lr * g for g in g1]
    theta1 = [w + v for w, v in zip(theta0, v1)]
    v2 = [mu * v - lr * g for v, g in zip(v1, g2)]
    theta2 = [w + v for w, v in zip(theta1, v2)]
    assert flat(first.update.after).tolist() == pytest.approx(theta1, abs=EXACT)
    assert first.update.optimizer_state_before["velocity"].tolist() == [0.0] * len(theta0)
    assert first.update.optimizer_state_after["velocity"].tolist() == pytest.approx(v1, abs=EXACT)
    assert flat(second.update.step).tolist() == pytest.approx(v2, abs=EXACT)
    assert second.update.optimizer_state_after["velocity"].tolist() == pytest.approx(v2, abs=EXACT)
    assert second.update.optimizer_state_after["t"] == 2
    assert net.parameters.tolist() == pytest.approx(theta2, abs=EXACT)
    # momentum really differs from plain gradient descent on the second step
    assert theta2 != pytest.approx([w - lr * g for w, g in zip(theta1, g2)], abs=1e-6)


def test_adam_two_steps_by_hand() -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta0, g1, g2, first, second, net = _two_steps("adam", lr)
    theta = list(theta0)
    m = [0.0] * len(theta)
    v = [0.0] * len(theta)
    steps = []
    for t, grad in ((1, g1), (2, g2)):
        step = []
        for i, g in enumerate(grad):
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            m_hat = m[i] / (1.0 - b1**t)
            v_hat = v[i] / (1.0 - b2**t)
            step.append(-lr * m_hat / (math.sqrt(v_hat) + eps))
        theta = [w + s for w, s in zip(theta, step)]
        steps.append((step, list(theta), list(m), list(v)))

    (step1, theta1, m1, v1), (step2, theta2, m2, v2) = steps
    assert flat(first.update.step).tolist() == pytest.approx(step1, abs=EXACT)
    assert flat(first.update.after).tolist() == pytest.approx(theta1, abs=EXACT)
    assert first.update.optimizer_state_after["m"].tolist() == pytest.approx(m1, abs=EXACT)
    assert first.update.optimizer_state_after["v"].tolist() == pytest.approx(v1, abs=EXACT)
    assert flat(second.update.step).tolist() == pytest.approx(step2, abs=EXACT)
    assert second.update.optimizer_state_after["m"].tolist() == pytest.approx(m2, abs=EXACT)
    assert second.update.optimizer_state_after["v"].tolist() == pytest.approx(v2, abs=EXACT)
    assert second.update.optimizer_state_after["t"] == 2
    assert net.parameters.tolist() == pytest.approx(theta2, abs=EXACT)
    # Adam's first step is lr against the sign of the gradient, whatever its size
    assert step1 == pytest.approx([-lr * math.copysign(1.0, g) for g in g1], rel=1e-5)


# -- L1 and L2 regularisation -------------------------------------------------------------


def _regularized_step(kind: str, rate: float, lr: float):
    weights = [[[0.5, -0.25], [0.0, 1.5]], [[-0.8, 0.3]]]
    biases = [[0.4, -0.6], [0.9]]
    X = np.array([[1.0, -0.5], [0.25, 0.75]])
    T = np.array([[0.2], [-0.4]])
    plain = Network(weights, biases, ["tanh", "linear"], "mse")
    reg = Network(weights, biases, ["tanh", "linear"], "mse")
    plain_record = Trainer(plain, X, T, lr=lr).step()
    reg_record = Trainer(reg, X, T, lr=lr, regularization=Regularization(kind, rate)).step()
    return weights, biases, plain_record, reg_record, reg


def test_l2_penalty_and_gradient_by_hand() -> None:
    rate, lr = 0.1, 0.5
    weights, biases, plain, record, net = _regularized_step("l2", rate, lr)
    all_weights = [w for layer in weights for row in layer for w in row]
    penalty = rate * sum(0.5 * w * w for w in all_weights)  # biases not included
    assert record.error.penalty == pytest.approx(penalty, abs=EXACT)
    assert record.error.loss == plain.error.loss  # the data loss is unchanged
    assert record.error.total == pytest.approx(plain.error.loss + penalty, abs=EXACT)
    for index, layer in enumerate(weights):
        back, plain_back = record.backward.layers[index], plain.backward.layers[index]
        for j, row in enumerate(layer):
            for i, w in enumerate(row):
                assert back.penalty_grad_weight[j, i] == pytest.approx(rate * w, abs=EXACT)
                assert back.grad_weight[j, i] == pytest.approx(
                    plain_back.grad_weight[j, i] + rate * w, abs=EXACT
                )
        assert np.array_equal(back.grad_bias, plain_back.grad_bias)  # biases not regularised
        assert plain_back.penalty_grad_weight is None
    # the update: w <- w - lr (dL/dw + lambda w); b <- b - lr dL/db
    for index, layer in enumerate(weights):
        plain_back = plain.backward.layers[index]
        for j, row in enumerate(layer):
            for i, w in enumerate(row):
                expected = w - lr * (plain_back.grad_weight[j, i] + rate * w)
                assert net.layers[index].weight[j, i] == pytest.approx(expected, abs=EXACT)
            expected_bias = biases[index][j] - lr * plain_back.grad_bias[j]
            assert net.layers[index].bias[j] == pytest.approx(expected_bias, abs=EXACT)


def test_l1_penalty_and_gradient_by_hand() -> None:
    rate, lr = 0.05, 0.5
    weights, biases, plain, record, net = _regularized_step("l1", rate, lr)
    all_weights = [w for layer in weights for row in layer for w in row]
    penalty = rate * sum(abs(w) for w in all_weights)
    assert record.error.penalty == pytest.approx(penalty, abs=EXACT)
    for index, layer in enumerate(weights):
        back, plain_back = record.backward.layers[index], plain.backward.layers[index]
        for j, row in enumerate(layer):
            for i, w in enumerate(row):
                sign = 0.0 if w == 0.0 else math.copysign(1.0, w)
                assert back.penalty_grad_weight[j, i] == rate * sign
                assert back.grad_weight[j, i] == pytest.approx(
                    plain_back.grad_weight[j, i] + rate * sign, abs=EXACT
                )
        assert np.array_equal(back.grad_bias, plain_back.grad_bias)
    for index in range(2):
        assert np.array_equal(record.update.step[index].bias, plain.update.step[index].bias)


def test_zero_rate_is_no_regularization() -> None:
    _, _, plain, record, _ = _regularized_step("l2", 0.0, 0.5)
    assert record.error.penalty == 0.0
    assert np.array_equal(record.backward.gradient, plain.backward.gradient)
