"""Generated NumPy code: a network as a standalone prediction script or training script.

``predict_script(network)`` is the text of ``model.py``: the weights (and the input
normalisation) embedded, ``predict(X)``, and ``python model.py DATA.csv`` printing what
``bp-studio predict`` prints. ``training_script(network, options, ...)`` is the text of
``train.py``: the initial weights embedded, the training options as constants, and
``python train.py DATA.csv OUT.json`` writing the network file ``bp-studio train`` writes.

Both import only numpy (and the standard library). The training script is the seed's four
steps done right: vectorised over the batch (samples are rows, ``z = a @ W.T + b``), right
for any number of layers and outputs (the error flows back through ``delta @ W``, the
seed's ``W.T @ errors`` in row form), and holding only what the chosen options need.

Bit for bit: the generated code performs the engine's operations in the engine's order
(``engine/phases.py``, ``trainer.py``, ``optimizers.py``), so a generated script reproduces
``predict`` exactly and ``train`` to the last bit on the same numpy. Every piece of numpy
code that depends on a registry name (activation, loss, optimiser, regularisation) is in
``NUMPY_CODE``, the one table a new registry entry must add a row to.
"""

from __future__ import annotations

import ast
import json
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from bp_studio import __version__
from bp_studio.data.csv_table import _NON_FINITE, _NUMBER, pluralize
from bp_studio.engine.activations import ACTIVATIONS, NumpyCode
from bp_studio.engine.network import Network
from bp_studio.engine.optimizers import OPTIMIZERS
from bp_studio.io.network_file import FORMAT, VERSION

__all__ = [
    "NUMPY_CODE",
    "ActivationCode",
    "LossCode",
    "OptimizerCode",
    "RegularizationCode",
    "TrainingOptions",
    "predict_script",
    "step_lines",
    "training_script",
]

WIDTH = 99
"""Longest line the generated code aims for (long number rows are wrapped)."""


# -- the table: numpy code for every registry entry ---------------------------------------------


ActivationCode = NumpyCode
"""How a layer's activation reads in numpy: the registry's ``Activation.numpy_code``."""


@dataclass(frozen=True)
class LossCode:
    """How a loss reads in numpy: its value from ``{error}``, ``{t}``, ``{z}``, ``{n}``.

    ``delta_uses_derivative``: the output ``delta = (o - t) f'(z)`` (mse) rather than
    ``o - t`` (the cross-entropies, whose derivative already includes the activation's).
    """

    value: str
    comment: str
    delta_uses_derivative: bool
    function: str = ""


@dataclass(frozen=True)
class OptimizerCode:
    """How an optimiser's update reads: ``{p}`` the parameter array, ``{g}`` its gradient.

    ``constants`` pairs a script constant with the optimiser attribute holding its value;
    ``state`` lines create one parameter's state before training, ``step`` lines run once per
    update before ``update`` runs for each parameter.
    """

    comment: str
    update: tuple[str, ...]
    constants: tuple[tuple[str, str], ...] = ()
    state: tuple[str, ...] = ()
    state_once: tuple[str, ...] = ()
    step: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegularizationCode:
    """The penalty's gradient added to ``dW``, from ``{w}`` (``None``: no penalty)."""

    gradient: str | None
    comment: str


_LOG_SOFTMAX = '''\
def log_softmax(z):
    """log of softmax(z), as z - max z - log sum_j e^(z_j - max z): no log(0)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))'''

NUMPY_CODE: dict[str, dict[str, Any]] = {
    # The registry carries each activation's numpy code beside its kernel (bit for bit).
    "activation": {name: a.numpy_code for name, a in ACTIVATIONS.items()},
    "loss": {
        "mse": LossCode(
            "0.5 * np.sum({error} * {error}) / {n}",
            "mse: L = (1/n) sum_samples sum_outputs 1/2 (t - o)^2",
            True,
        ),
        "binary_cross_entropy": LossCode(
            "np.sum({t} * np.logaddexp(0.0, -{z}) + (1.0 - {t}) * np.logaddexp(0.0, {z})) / {n}",
            "binary cross-entropy: L = -(1/n) sum [t log o + (1 - t) log(1 - o)], from z",
            False,
        ),
        "cross_entropy": LossCode(
            "-np.sum({t} * log_softmax({z})) / {n}",
            "cross-entropy: L = -(1/n) sum_samples sum_classes t log o",
            False,
            _LOG_SOFTMAX,
        ),
    },
    "optimizer": {
        "sgd": OptimizerCode(
            "gradient descent: w <- w - lr dL/dw",
            ("{p} -= LEARNING_RATE * {g}",),
        ),
        "momentum": OptimizerCode(
            "momentum: v <- mu v - lr dL/dw; w <- w + v",
            (
                "velocity_{p} = MOMENTUM * velocity_{p} - LEARNING_RATE * {g}",
                "{p} += velocity_{p}",
            ),
            constants=(("MOMENTUM", "momentum"),),
            state=("velocity_{p} = np.zeros_like({p})",),
        ),
        "adam": OptimizerCode(
            "Adam: w <- w - lr m_hat / (sqrt(v_hat) + eps), m and v bias-corrected",
            (
                "m_{p} = BETA1 * m_{p} + (1 - BETA1) * {g}",
                "v_{p} = BETA2 * v_{p} + (1 - BETA2) * ({g} * {g})",
                "{p} -= LEARNING_RATE * (m_{p} / (1 - BETA1**t)) "
                "/ (np.sqrt(v_{p} / (1 - BETA2**t)) + EPS)",
            ),
            constants=(("BETA1", "beta1"), ("BETA2", "beta2"), ("EPS", "eps")),
            state=("m_{p} = np.zeros_like({p})", "v_{p} = np.zeros_like({p})"),
            state_once=("t = 0  # Adam's update count",),
            step=("t += 1",),
        ),
    },
    "regularization": {
        "none": RegularizationCode(None, ""),
        "l1": RegularizationCode("REGULARIZATION_RATE * np.sign({w})", "L1: + lambda sign(w)"),
        "l2": RegularizationCode("REGULARIZATION_RATE * {w}", "L2: + lambda w"),
    },
}
"""The numpy code of every activation, loss, optimiser and regularisation, by registry name."""


# -- options ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingOptions:
    """The options of ``bp-studio train`` that the training script embeds."""

    epochs: int = 100
    lr: float = 0.5
    batch_size: int | None = None
    optimizer: str = "sgd"
    shuffle: bool = False
    seed: int = 0
    regularization: str = "none"
    regularization_rate: float = 0.0

    def command_line(self) -> list[str]:
        """The options as ``bp-studio train`` takes them, one option (and value) each."""
        parts = [f"--epochs {self.epochs}", f"--lr {self.lr!r}"]
        parts.append(f"--batch-size {'full' if self.batch_size is None else self.batch_size}")
        parts.append(f"--optimizer {self.optimizer}")
        if self.shuffle:
            parts.append(f"--shuffle --seed {self.seed}")
        if self.regularization != "none":
            parts.append(f"--regularization {self.regularization}")
            parts.append(f"--regularization-rate {self.regularization_rate!r}")
        return parts


# -- shared pieces of both scripts -------------------------------------------------------------

_READ_CSV = '''\
NUMBER = re.compile(r"{number}")
NON_FINITE = re.compile(r"{non_finite}", re.IGNORECASE)


def fail(message):
    """Stop with one line on stderr and exit status 2, as bp-studio does."""
    print(f"{{os.path.basename(sys.argv[0])}}: error: {{message}}", file=sys.stderr)
    sys.exit(2)


def read_csv(path):
    """The column names and the numbers (rows, columns) of a CSV file with a header row.

    Every cell below the header must be a finite decimal number; blank lines are skipped.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            text = file.read()
    except FileNotFoundError:
        fail(f"{{path}}: file not found")
    except IsADirectoryError:
        fail(f"{{path}}: is a folder, not a file")
    except UnicodeDecodeError:
        fail(f"{{path}}: the file is not UTF-8 text; save it as UTF-8 CSV")
    except OSError as exc:
        fail(f"{{path}}: cannot read the file ({{exc.strerror or exc}})")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, end = [], 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            cells = [cell.strip() for cell in cells]
            if any(cells):
                rows.append((line, cells))
    except csv.Error as exc:
        fail(f"{{path}}, line {{reader.line_num}}: not valid CSV ({{exc}})")
    if not rows:
        fail(f"{{path}}: the file is empty")
    (header_line, names), data = rows[0], rows[1:]
    if all(NUMBER.fullmatch(name) for name in names if name):
        fail(f"{{path}}, line {{header_line}}: no header row (the first line names the columns)")
    for column, name in enumerate(names):
        if not name:
            fail(f"{{path}}, line {{header_line}}, column {{column + 1}}: the column name is empty")
        if names.index(name) != column:
            fail(f'{{path}}, line {{header_line}}: the column name "{{name}}" is used twice')
    if not data:
        fail(f"{{path}}: no data rows (the file has only the header line)")
    values = np.empty((len(data), len(names)))
    for row, (line, cells) in enumerate(data):
        if len(cells) != len(names):
            fail(
                f"{{path}}, line {{line}} has {{len(cells)}} cells, "
                f"the header has {{len(names)}} columns"
            )
        for column, cell in enumerate(cells):
            where = f'{{path}}, line {{line}}, column "{{names[column]}}" ({{column + 1}})'
            if not cell:
                fail(f"{{where}}: missing value")
            if NON_FINITE.fullmatch(cell):
                fail(f'{{where}}: "{{cell}}" is not a finite number')
            if not NUMBER.fullmatch(cell):
                fail(f'{{where}}: "{{cell}}" is not a number')
            values[row, column] = float(cell)
            if not math.isfinite(values[row, column]):
                fail(f'{{where}}: "{{cell}}" is not a finite number')
    return names, values
'''


def _factor(expression: str) -> str:
    """``expression`` as a factor of a product: in parentheses unless it is a call."""
    if isinstance(ast.parse(expression, mode="eval").body, ast.Call):
        return expression
    return f"({expression})"


def _safe(text: str) -> str:
    """``text`` fit for a docstring or a comment of the script: printable, no quotes or ``\\``."""
    text = text.replace("\\", "/").replace('"', "'")
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _float(x: float) -> str:
    return repr(float(x))


def _wrap_row(items: list[str], indent: str) -> list[str]:
    """``[a, b, c]`` as one line, or as several lines of at most ``WIDTH`` characters."""
    line = indent + "[" + ", ".join(items) + "],"
    if len(line) <= WIDTH:
        return [line]
    wrapped = textwrap.wrap(
        ", ".join(items) + "],",
        WIDTH - len(indent) - 1,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [indent + "[" + wrapped[0]] + [indent + " " + part for part in wrapped[1:]]


def _array(name: str, values: np.ndarray, comment: str) -> list[str]:
    """``name = np.array(...)`` with every float written exactly (``repr``)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        items = [_float(x) for x in values]
        line = f"{name} = np.array([{', '.join(items)}])  # {comment}"
        if len(line) <= WIDTH:
            return [line]
        body = _wrap_row(items, "    ")
        body[-1] = body[-1][:-1]  # no comma after the only row
        return [f"{name} = np.array(  # {comment}", *body, ")"]
    rows = [[_float(x) for x in row] for row in values]
    line = f"{name} = np.array([{', '.join('[' + ', '.join(r) + ']' for r in rows)}])"
    if len(line) + len(comment) + 4 <= WIDTH:
        return [f"{line}  # {comment}"]
    lines = [f"{name} = np.array([  # {comment}"]
    for row in rows:
        lines.extend(_wrap_row(row, "    "))
    lines.append("])")
    return lines


def _layer_name(network: Network, index: int) -> str:
    layer = network.layers[index]
    units = pluralize(layer.units, f"{layer.activation} unit")
    if index == len(network.layers) - 1:
        return f"layer {index + 1}, the output ({units})"
    return f"layer {index + 1}, hidden ({units})"


def _parameter_lines(network: Network) -> list[str]:
    lines = []
    for index, layer in enumerate(network.layers):
        name = _layer_name(network, index)
        lines.extend(_array(f"W{index + 1}", layer.weight, f"{name}: {layer.weight.shape}"))
        if layer.bias is not None:
            lines.extend(_array(f"b{index + 1}", layer.bias, f"({layer.units},)"))
    return lines


def _parameter_names(network: Network, reverse: bool = False) -> list[tuple[str, str]]:
    """``(parameter, gradient)`` names, layer by layer (output first with ``reverse``)."""
    names = []
    indices = range(len(network.layers))
    for index in reversed(indices) if reverse else indices:
        names.append((f"W{index + 1}", f"dW{index + 1}"))
        if network.layers[index].bias is not None:
            names.append((f"b{index + 1}", f"db{index + 1}"))
    return names


def _helpers(network: Network, *, training: bool) -> tuple[list[str], list[str]]:
    """The constants and functions the activations (and, for training, the loss) need."""
    constants: list[str] = []
    functions: list[str] = []
    for layer in network.layers:
        code: ActivationCode = NUMPY_CODE["activation"][layer.activation]
        for line in code.constants:
            if line not in constants:
                constants.append(line)
        if code.function and code.function not in functions:
            functions.append(code.function)
    if training:
        loss: LossCode = NUMPY_CODE["loss"][network.loss_name]
        if loss.function:
            functions.append(loss.function)
    return constants, functions


def _forward_lines(network: Network, indent: str) -> list[str]:
    """``z_l = a_{l-1} @ W_l.T + b_l`` and ``a_l = f(z_l)``, input to output."""
    lines = []
    last = len(network.layers) - 1
    for index, layer in enumerate(network.layers):
        k = index + 1  # the layer number, as the user counts
        code: ActivationCode = NUMPY_CODE["activation"][layer.activation]
        bias = f" + b{k}" if layer.bias is not None else ""
        shape = f"(n, {layer.units})"
        lines.append(f"{indent}z{k} = a{k - 1} @ W{k}.T{bias}  # {_layer_name(network, index)}")
        what = "the predictions o" if index == last else shape
        lines.append(f"{indent}a{k} = {code.call.format(z=f'z{k}')}  # {what}")
    return lines


def _options_lines(options: TrainingOptions) -> list[str]:
    """``options.command_line()`` as lines of at most two options."""
    parts = options.command_line()
    return [" ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]


def _split_function(
    network: Network, *, training: bool, target_columns: list[str] | None
) -> list[str]:
    """``split(path, names, values)``: the layout rules of ``bp-studio predict`` / ``train``."""
    inputs, outputs = network.inputs, network.outputs
    labels = network.loss_name == "cross_entropy" and outputs > 1
    where = f"the network ({network.describe()})"
    lines = []
    if training:
        lines += [
            "def split(path, names, values):",
            f'    """Inputs X (samples, {inputs}) and targets T (samples, {outputs}) '
            'of the table."""',
        ]
        if target_columns is not None:
            lines += [
                f"    targets = {target_columns!r}",
                "    for name in targets:",
                "        if name not in names:",
                '            shown = ", ".join(f\'"{n}"\' for n in names)',
                "            fail(f'{path}: no column \"{name}\" (the columns are {shown})')",
                "    rest = [name for name in names if name not in targets]",
                f"    if len(rest) != {inputs}:",
                "        fail(",
                '            f"{path}: {len(rest)} columns besides the targets, but '
                f'{where} has {pluralize(inputs, "input")}"',
                "        )",
                "    X = values[:, [names.index(name) for name in rest]]",
                "    T = values[:, [names.index(name) for name in targets]]",
            ]
        else:
            layout = f"{pluralize(inputs, 'input')} then {pluralize(outputs, 'target')}"
            need = f"{inputs + outputs}: {layout}"
            if labels:
                need += f" (or {inputs + 1}, with one column of class numbers)"
            widths: tuple[int, ...] = (
                (inputs + outputs, inputs + 1) if labels else (inputs + outputs,)
            )
            lines += [
                f"    if len(names) not in {widths!r}:",
                "        fail(",
                f'            f"{{path}} has {{len(names)}} columns, {where} needs "',
                f'            "{need}"',
                "        )",
                f"    X, T = values[:, :{inputs}].copy(), values[:, {inputs}:].copy()",
            ]
        if labels:
            lines += [
                "    if T.shape[1] == 1:  # class numbers 0 .. k-1 become one-hot rows",
                "        T = one_hot(path, T[:, 0])",
            ]
        lines += ["    return X, T"]
        if labels:
            lines += [
                "",
                "",
                "def one_hot(path, labels):",
                f'    """Class numbers 0 .. {outputs - 1} as one-hot rows (samples, {outputs})."""',
                "    for row, label in enumerate(labels):",
                f"        if not (label == int(label) and 0 <= label < {outputs}):",
                "            fail(",
                '                f"{path}: target row {row + 1}: class label {float(label)!r} '
                f'is not one of 0 .. {outputs - 1}"',
                "            )",
                f"    rows = np.zeros((len(labels), {outputs}))",
                "    rows[np.arange(len(labels)), labels.astype(np.int64)] = 1.0",
                "    return rows",
            ]
        return lines
    widths = tuple(dict.fromkeys([inputs, inputs + outputs] + ([inputs + 1] if labels else [])))
    need = f"{inputs} (its inputs) or {inputs + outputs} (inputs then targets)"
    return [
        "def input_columns(path, names, values, targets=None):",
        f'    """The network\'s {pluralize(inputs, "input")} (samples, {inputs}): the first '
        "columns, or with",
        '    targets (a list of column names) every other column, as bp-studio predict reads."""',
        "    if targets is not None:",
        "        for name in targets:",
        "            if name not in names:",
        '                shown = ", ".join(f\'"{n}"\' for n in names)',
        "                fail(f'{path}: no column \"{name}\" (the columns are {shown})')",
        "        rest = [name for name in names if name not in targets]",
        f"        if len(rest) != {inputs}:",
        "            fail(",
        '                f"{path}: {len(rest)} columns besides the targets, but '
        f'{where} has {pluralize(inputs, "input")}"',
        "            )",
        "        return values[:, [names.index(name) for name in rest]]",
        f"    if len(names) not in {widths!r}:",
        "        fail(",
        f'            f"{{path}} has {{len(names)}} columns, {where} needs {need}; "',
        '            "--targets names columns to leave out"',
        "        )",
        f"    return values[:, :{inputs}].copy()",
    ]


def _normalization_lines(network: Network) -> list[str]:
    norm = network.normalization
    if norm is None:
        return []
    return [
        f"# Input normalisation ({norm.kind}, fitted to the training inputs): "
        "x_normalised = (x - offset) / scale",
        *_array("INPUT_OFFSET", norm.offset, f"({norm.inputs},)"),
        *_array("INPUT_SCALE", norm.scale, f"({norm.inputs},)"),
    ]


def _imports(*, training: bool) -> list[str]:
    modules = (
        ["csv", "io", "json", "math", "os", "re", "sys"]
        if training
        else ["csv", "io", "math", "os", "re", "sys"]
    )
    return [f"import {module}" for module in modules]


# -- model.py --------------------------------------------------------------------------------


def predict_script(network: Network) -> str:
    """The text of a standalone ``model.py`` computing ``network.predict`` (numpy only).

    ``python model.py DATA.csv [--targets COLUMNS]`` prints exactly what ``bp-studio predict``
    prints for the same file (header ``output_1,...``, numbers written with ``repr``), and
    fails with one line and exit status 2 where ``predict`` would.
    """
    inputs, outputs = network.inputs, network.outputs
    norm = network.normalization
    constants, functions = _helpers(network, training=False)
    lines = [
        '"""The network ' + network.describe() + " as standalone NumPy code.",
        "",
        f"Generated by BP Studio {__version__} (bp-studio export --format py). Run it as",
        "",
        "    python model.py DATA.csv [--targets COLUMNS]",
        "",
        "to print the network's outputs for every row of DATA.csv (a CSV file with a header row",
        f"holding the {pluralize(inputs, 'input')}, perhaps followed by the targets) as CSV with "
        "the header",
        "output_1,... : the same text as `bp-studio predict NETWORK --data DATA.csv`. --targets",
        "names columns to leave out. From Python: `from model import predict`.",
        "",
        "Samples are rows: X is (samples, inputs). W1[j, i] is the weight from input i to unit j",
        "of layer 1, so a layer computes z = a @ W.T + b and then its activation a = f(z).",
        "Only numpy is needed.",
        '"""',
        "",
        *_imports(training=False),
        "",
        "import numpy as np",
        "",
        f"INPUTS, OUTPUTS = {inputs}, {outputs}",
        *constants,
        *_normalization_lines(network),
        "",
        "# The weights and biases of the trained network",
        *_parameter_lines(network),
        "",
    ]
    for function in functions:
        lines += ["", function, ""]
    lines += [
        "",
        "def predict(X):",
        f'    """The network\'s outputs (samples, {outputs}) for raw inputs X '
        f'(samples, {inputs})."""',
        "    a0 = np.asarray(X, dtype=np.float64)",
    ]
    if norm is not None:
        lines.append("    a0 = (a0 - INPUT_OFFSET) / INPUT_SCALE")
    lines += _forward_lines(network, "    ")
    lines += [f"    return a{len(network.layers)}", "", ""]
    lines += _READ_CSV.format(number=_NUMBER.pattern, non_finite=_NON_FINITE.pattern).splitlines()
    lines += ["", ""]
    lines += _split_function(network, training=False, target_columns=None)
    header = ",".join(f"output_{j + 1}" for j in range(outputs))
    lines += [
        "",
        "",
        "def main(args):",
        '    if len(args) == 3 and args[1] == "--targets" and all(args[2].split(",")):',
        '        targets = [name.strip() for name in args[2].split(",")]',
        '    elif len(args) == 1 and not args[0].startswith("-"):',
        "        targets = None",
        "    else:",
        '        fail("usage: python model.py DATA.csv [--targets COLUMNS]")',
        "    path = args[0]",
        "    names, values = read_csv(path)",
        '    with np.errstate(all="ignore"):',
        "        outputs = predict(input_columns(path, names, values, targets))",
        "    if not np.all(np.isfinite(outputs)):",
        "        row, column = np.argwhere(~np.isfinite(outputs))[0]",
        "        fail(",
        '            f"{path}: data row {row + 1}: output {column + 1} of the network is "',
        '            f"{outputs[row, column]} (the numbers overflowed)"',
        "        )",
        f'    text = "{header}\\n" + "".join(',
        '        ",".join(repr(x) for x in row) + "\\n" for row in outputs.tolist()',
        "    )",
        "    try:",
        "        sys.stdout.write(text)",
        "        sys.stdout.flush()",
        "    except BrokenPipeError:  # the reader went away (e.g. | head)",
        "        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())",
        "        sys.exit(1)",
        "",
        "",
        'if __name__ == "__main__":',
        "    main(sys.argv[1:])",
        "",
    ]
    return "\n".join(lines)


# -- train.py ---------------------------------------------------------------------------------


def training_script(
    network: Network,
    options: TrainingOptions,
    *,
    source: str = "the network",
    target_columns: list[str] | None = None,
) -> str:
    """The text of a standalone ``train.py`` that trains ``network`` as ``bp-studio train``.

    ``python train.py DATA.csv OUT.json`` reads the data (the layout ``train`` reads; the
    ``target_columns`` by name when given), trains with ``options`` from ``network``'s
    current weights and writes OUT.json, the network file ``train --out`` writes: the same
    weights, bit for bit on the same numpy. ``source`` names the network file in comments.
    """
    for kind, name in (
        ("loss", network.loss_name),
        ("optimizer", options.optimizer),
        ("regularization", options.regularization),
        *(("activation", layer.activation) for layer in network.layers),
    ):
        if name not in NUMPY_CODE[kind]:
            raise ValueError(f"no numpy code for the {kind} {name!r}")
    source = _safe(source)
    layers = network.layers
    last = len(layers)
    loss: LossCode = NUMPY_CODE["loss"][network.loss_name]
    optimizer: OptimizerCode = NUMPY_CODE["optimizer"][options.optimizer]
    regularization: RegularizationCode = NUMPY_CODE["regularization"][options.regularization]
    penalty_gradient = regularization.gradient if options.regularization_rate > 0.0 else None
    penalty = penalty_gradient is not None
    constants, functions = _helpers(network, training=True)
    optimizer_instance = OPTIMIZERS[options.optimizer](1, options.lr)
    parameters = _parameter_names(network)
    names = ", ".join(p for p, _ in parameters)
    layout = (
        f"the target columns {_safe(', '.join(target_columns))}, the inputs all other columns"
        if target_columns is not None
        else f"the first {pluralize(network.inputs, 'column')} the inputs, then "
        f"{pluralize(network.outputs, 'target')}"
    )
    if target_columns is None and network.loss_name == "cross_entropy" and network.outputs > 1:
        layout += " (or one column of class numbers)"
    batch = "None  # the full data set" if options.batch_size is None else str(options.batch_size)
    lines = [
        '"""Train a network with plain NumPy, as `bp-studio train` does.',
        "",
        *textwrap.wrap(
            f"The network: {source}, {network.describe()}. Generated by BP Studio "
            f"{__version__} (bp-studio code). Run it as",
            88,
        ),
        "",
        "    python train.py DATA.csv OUT.json",
        "",
        *textwrap.wrap(
            f"to train on DATA.csv (a CSV file with a header row: {layout}) and write the "
            "trained network to OUT.json, a BP Studio network file with the same weights as",
            88,
        ),
        "",
        f"    bp-studio train {source} --data DATA.csv --out OUT.json \\",
        *(f"        {line} \\" for line in _options_lines(options)[:-1]),
        f"        {_options_lines(options)[-1]}",
        "",
        "Every step is the four steps of backpropagation on one batch of samples:",
        "1. forward pass, 2. error, 3. backward pass, 4. update. Samples are rows: a batch X is",
        "(n, inputs); W1[j, i] is the weight from input i to unit j of layer 1, so a layer",
        "computes z = a @ W.T + b and its activation a = f(z). Only numpy is needed.",
        '"""',
        "",
        *_imports(training=True),
        "",
        "import numpy as np",
        "",
        "# Training options",
        f"EPOCHS = {options.epochs}",
        f"LEARNING_RATE = {options.lr!r}",
        f"BATCH_SIZE = {batch}",
    ]
    if options.shuffle:
        lines.append(
            f"SEED = {options.seed}  # the rows are visited in a new random order each epoch"
        )
    for constant, attribute in optimizer.constants:
        lines.append(f"{constant} = {getattr(optimizer_instance, attribute)!r}")
    if penalty:
        lines.append(f"REGULARIZATION_RATE = {options.regularization_rate!r}  # lambda")
    lines += constants
    lines += _normalization_lines(network)
    lines += ["", f"# The network before training ({source})", *_parameter_lines(network), ""]
    for function in functions:
        lines += ["", function, ""]

    # -- the training function
    i4, i8, i12 = " " * 4, " " * 8, " " * 12
    lines += [
        "",
        f"def train(X, T, {names}):",
        f'    """Train {names} in place on X (samples, {network.inputs}) and T '
        f"(samples, {network.outputs}).",
        "",
        "    Returns the mean loss of each epoch (each batch's loss before its update, weighted",
        "    by the batch's size).",
        '    """',
        f"{i4}samples = len(X)",
        f"{i4}batch_size = BATCH_SIZE or samples",
    ]
    if options.shuffle:
        lines.append(f"{i4}rng = np.random.default_rng(SEED)")
    for line in optimizer.state_once:
        lines.append(i4 + line)
    for p, _ in parameters:
        for line in optimizer.state:
            lines.append(i4 + line.format(p=p))
    lines += [
        f"{i4}epoch_losses = []",
        f"{i4}step = 0",
        f"{i4}for _ in range(EPOCHS):",
    ]
    if options.shuffle:
        lines.append(f"{i8}order = rng.permutation(samples)  # this epoch's order of the rows")
    lines += [
        f"{i8}loss_sum = 0.0",
        f"{i8}for start in range(0, samples, batch_size):",
    ]
    if options.shuffle:
        lines.append(f"{i12}rows = order[start : start + batch_size]")
    else:
        lines.append(f"{i12}rows = slice(start, start + batch_size)")
    lines += [
        f"{i12}a0, targets = X[rows], T[rows]",
        f"{i12}n = len(a0)  # samples in this batch",
        f"{i12}step += 1",
        "",
        f"{i12}# Step 1: forward pass, input to output",
        *_forward_lines(network, i12),
        "",
        f"{i12}# Step 2: error (targets minus predictions) and loss",
        f"{i12}error = targets - a{last}",
        f"{i12}# {loss.comment}",
        f"{i12}loss = {loss.value.format(error='error', t='targets', z=f'z{last}', n='n')}",
        f'{i12}stop_if_not_finite("loss", [loss], step)',
        "",
        f"{i12}# Step 3: backward pass, output to input: delta_l = dL_s/dz_l for each sample",
        f"{i12}# (rows); the error flows back as delta @ W, the seed's W.T @ errors for rows;",
        f"{i12}# the gradients are means over the batch"
        + (f", plus the penalty's ({regularization.comment})" if penalty else ""),
    ]
    out = NUMPY_CODE["activation"][layers[-1].activation]
    if loss.delta_uses_derivative:
        lines.append(
            f"{i12}# delta{last} = (o - t) f'(z{last}), and o - t = -error; "
            f"{out.derivative_comment}"
        )
        slope = (
            ""
            if out.derivative is None
            else " * " + _factor(out.derivative.format(z=f"z{last}", a=f"a{last}"))
        )
        lines.append(f"{i12}delta{last} = -error{slope}")
    else:
        lines.append(
            f"{i12}# delta{last} = o - t: the loss's and the activation's derivatives combined"
        )
        lines.append(f"{i12}delta{last} = -error")
    for index in reversed(range(len(layers))):
        k = index + 1  # the layer number, as the user counts
        gradient = f"delta{k}.T @ a{k - 1} * (1.0 / n)"
        if penalty_gradient is not None:
            gradient += " + " + penalty_gradient.format(w=f"W{k}")
        lines.append(f"{i12}dW{k} = {gradient}")
        if layers[index].bias is not None:
            lines.append(f"{i12}db{k} = delta{k}.sum(axis=0) * (1.0 / n)")
        if index > 0:
            code = NUMPY_CODE["activation"][layers[index - 1].activation]
            lines.append(f"{i12}# back through W{k}, times {code.derivative_comment}")
            if code.derivative is None:
                lines.append(f"{i12}delta{k - 1} = delta{k} @ W{k}")
            else:
                derivative = _factor(code.derivative.format(z=f"z{k - 1}", a=f"a{k - 1}"))
                lines.append(f"{i12}delta{k - 1} = (delta{k} @ W{k}) * {derivative}")
    lines += [
        "",
        f"{i12}# Step 4: update, from the output back towards the input",
        f"{i12}# {optimizer.comment}",
    ]
    lines += [i12 + line for line in optimizer.step]
    for p, g in _parameter_names(network, reverse=True):
        lines += [i12 + line.format(p=p, g=g) for line in optimizer.update]
    gradients = ", ".join(g for _, g in _parameter_names(network, reverse=True))
    updated = ", ".join(p for p, _ in _parameter_names(network, reverse=True))
    lines += [
        f'{i12}stop_if_not_finite("gradient", [{gradients}], step)',
        f'{i12}stop_if_not_finite("weights", [{updated}], step)',
        f"{i12}loss_sum += loss * n",
        f"{i8}epoch_losses.append(loss_sum / samples)",
        f"{i4}return epoch_losses",
        "",
        "",
        "def stop_if_not_finite(what, arrays, step):",
        '    """Stop as bp-studio train does when training diverged (nothing is written)."""',
        "    for array in arrays:",
        "        bad = np.asarray(array)[~np.isfinite(array)]",
        "        if bad.size:",
        '            value = "nan" if np.isnan(bad[0]) else ("inf" if bad[0] > 0 else "-inf")',
        "            fail(",
        '                f"{what} became {value} at step {step}: lower the learning rate; "',
        '                "nothing was written"',
        "            )",
        "",
        "",
    ]
    lines += _READ_CSV.format(number=_NUMBER.pattern, non_finite=_NON_FINITE.pattern).splitlines()
    lines += ["", ""]
    lines += _split_function(network, training=True, target_columns=target_columns)
    lines += ["", ""]
    lines += _save_function(network)
    lines += ["", ""]
    lines += [
        "def main(args):",
        "    if len(args) != 2:",
        '        fail("usage: python train.py DATA.csv OUT.json")',
        "    data, out = args",
        "    if os.path.isdir(out):",
        '        fail(f"cannot write {out}: it is a folder")',
        "    if not os.path.isdir(os.path.dirname(out) or os.curdir):",
        '        fail(f"cannot write {out}: folder {os.path.dirname(out)} does not exist")',
        "    names, values = read_csv(data)",
        "    X, T = split(data, names, values)",
    ]
    if network.normalization is not None:
        lines.append("    X = (X - INPUT_OFFSET) / INPUT_SCALE  # as the network was trained")
    lines += [
        '    with np.errstate(all="ignore"):  # divergence is reported by stop_if_not_finite',
        f"        losses = train(X, T, {names})",
        f"    save_network(out, {names})",
        "    if losses:",
        "        steps = EPOCHS * -(-len(X) // (BATCH_SIZE or len(X)))",
        '        epochs = f"{EPOCHS} epoch" if EPOCHS == 1 else f"{EPOCHS} epochs"',
        '        start = f", from {losses[0]:.6g} in epoch 1" if len(losses) > 1 else ""',
        '        steps = f"{steps} step" if steps == 1 else f"{steps} steps"',
        '        print(f"final loss {losses[-1]:.6g} after {epochs} ({steps}){start}")',
        "    else:",
        '        print("no training (0 epochs): the network is unchanged")',
        '    print(f"wrote {out}")',
        "",
        "",
        'if __name__ == "__main__":',
        "    main(sys.argv[1:])",
        "",
    ]
    return "\n".join(lines)


def step_lines(script: str) -> dict[int, tuple[int, int]]:
    """Where each of the four steps is in a ``training_script``: ``{step: (first, last)}``.

    Lines are counted from 1; a step runs from its ``# Step k:`` comment to the line before
    the next step's comment (step 4 to the line before ``loss_sum += loss * n``), so a code
    view can highlight the phase being stepped through.
    """
    lines = script.splitlines()
    starts = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        for step in (1, 2, 3, 4):
            if text.startswith(f"# Step {step}: "):
                starts[step] = number
    end = next(n for n, line in enumerate(lines, start=1) if line.strip() == "loss_sum += loss * n")
    bounds = [starts[1], starts[2], starts[3], starts[4], end]
    result = {}
    for step in (1, 2, 3, 4):
        last = bounds[step] - 1
        while not lines[last - 1].strip():
            last -= 1
        result[step] = (bounds[step - 1], last)
    return result


def _save_function(network: Network) -> list[str]:
    """``save_network(path, W1, ...)``: the text ``network_file.network_to_json`` writes."""
    head: dict[str, Any] = {"format": FORMAT, "version": VERSION, "loss": network.loss_name}
    head_text = json.dumps(head)[:-1]
    extra = []
    if network.input_names is not None:
        extra.append(f' "input_names": {json.dumps([str(n) for n in network.input_names])}')
    norm = network.normalization
    if norm is not None:
        value = {"kind": norm.kind, "offset": norm.offset.tolist(), "scale": norm.scale.tolist()}
        extra.append(f' "normalization": {json.dumps(value)}')
    names = ", ".join(p for p, _ in _parameter_names(network))
    lines = [
        f"def save_network(path, {names}):",
        '    """Write a BP Studio network file, atomically (a temporary file, then a rename)."""',
        "    layers = [",
    ]
    for index, layer in enumerate(network.layers):
        bias = f"b{index + 1}.tolist()" if layer.bias is not None else "None"
        lines.append(
            f'        {{"activation": {json.dumps(layer.activation)}, '
            f'"weight": W{index + 1}.tolist(), "bias": {bias}}},'
        )
    lines += ["    ]", f"    parts = [{head_text!r}]"]
    for part in extra:
        lines += _string_append("    parts.append(", part)
    lines += [
        '    rows = ",\\n   ".join(json.dumps(layer, allow_nan=False) for layer in layers)',
        '    parts.append(\' "layers": [\\n   \' + rows + "]}\\n")',
        "    temporary = os.path.join(",
        '        os.path.dirname(path) or os.curdir, f".{os.path.basename(path)}.tmp"',
        "    )",
        '    with open(temporary, "w", encoding="utf-8") as file:',
        '        file.write(",\\n".join(parts))',
        "    os.replace(temporary, path)",
    ]
    return lines


def _string_append(prefix: str, text: str) -> list[str]:
    """``prefix + repr(text) + ")"``, split over lines when long."""
    line = f"{prefix}{text!r})"
    if len(line) <= WIDTH:
        return [line]
    pieces = textwrap.wrap(text, WIDTH - 12, drop_whitespace=False, break_on_hyphens=False)
    return [prefix, *(f"        {piece!r}" for piece in pieces), "    )"]
