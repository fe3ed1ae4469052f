"""The ``bp-studio`` command: open the window, or create, train and run networks in a terminal.

```
bp-studio                                  open the window
bp-studio FILE.json | FILE.bpsession       open the window with a network or a session
bp-studio init    --layers 2,4,1 --activations tanh,sigmoid --out net.json
bp-studio train   net.json --data xor.csv --epochs 2000 --lr 1 --out trained.json
bp-studio predict trained.json --data xor.csv > outputs.csv
```

Qt-free: the window's module is imported only when the window is asked for, so the commands
work without PySide6. Every failure is one line on stderr, ``bp-studio: error: <message>``,
with exit status 2 (130 after Ctrl+C); nothing is written then.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

import numpy as np

from bp_studio import __version__
from bp_studio.data.csv_table import DataError, Table, pluralize, read_csv, write_csv_text
from bp_studio.engine import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    REGULARIZATIONS,
    Network,
    Trainer,
    TrainingDiverged,
)
from bp_studio.engine.phases import error as error_phase
from bp_studio.engine.regularization import Regularization
from bp_studio.io.network_file import NetworkFileError

PROG = "bp-studio"
COMMANDS = ("init", "train", "predict", "export")
WINDOW_SUFFIXES = (".json", ".bpsession")
EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

_clock: Callable[[], float] = time.monotonic
"""The progress bar's clock (tests replace it)."""


class CliError(Exception):
    """A problem to report as ``bp-studio: error: <message>`` with exit status 2."""


class _UsageError(CliError):
    """A command line argparse rejected; ``command`` is the (sub)command's prog."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(message)
        self.command = command


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message, self.prog)


# -- option values ------------------------------------------------------------------------


def _layer_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, such as 2,4,1, got {text!r}"
        ) from None
    if len(sizes) < 2:
        raise argparse.ArgumentTypeError(
            f"expected at least two sizes (inputs and outputs), such as 2,1, got {text!r}"
        )
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"every layer size must be at least 1, got {text!r}")
    return sizes


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected names separated by commas, got {text!r}")
    return names


def _number(text: str, *, zero_allowed: bool) -> float:
    """A finite number above 0 (or of 0 or more); ``ArgumentTypeError`` says what is wrong."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and (value >= 0.0 if zero_allowed else value > 0.0)):
        bound = "of 0 or more" if zero_allowed else "above 0"
        raise argparse.ArgumentTypeError(f"must be a number {bound}, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    return _number(text, zero_allowed=False)


def _rate(text: str) -> float:
    return _number(text, zero_allowed=True)


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {text!r}")
    return value


def _epochs(text: str) -> int:
    return _whole_number(text, 0)


def _seed(text: str) -> int:
    return _whole_number(text, 0)


def _batch_size(text: str) -> int | None:
    if text.strip().lower() == "full":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'full' or a whole number of at least 1, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected 'full' or a whole number of at least 1, got {text!r}"
        )
    return value


# -- the parser ---------------------------------------------------------------------------

_USAGE = f"""\
{PROG} [FILE.json | FILE.bpsession]
       {PROG} {{init,train,predict,export}} ...
       {PROG} [-h] [--version]"""

_DESCRIPTION = """\
BP Studio: watch and drive backpropagation.

Without a command, BP Studio opens its window, with FILE (a network file, .json, or a
session, .bpsession) opened in it. The commands work in a terminal, without the window."""

_EPILOG = f"""\
examples:
  {PROG} init --layers 2,4,1 --activations tanh,sigmoid --out net.json
  {PROG} train net.json --data xor.csv --epochs 2000 --lr 1 --out trained.json
  {PROG} predict trained.json --data xor.csv > outputs.csv
  {PROG} export trained.json --format onnx --out trained.onnx

Data files are CSV with a header row naming the columns; every other cell is a number.
On an error, {PROG} prints one line to stderr, writes nothing and exits with status 2."""

_TRAIN_HELP = """\
Train a network on the rows of a CSV file and print the final loss (the mean loss of
the last epoch). With --out, save the trained network; NETWORK itself is only changed
if --out names it.

Data layout: the first columns are the network's inputs and the last columns are its
targets, one per output (for a cross_entropy network with k outputs, a single column of
class numbers 0..k-1 also works). --targets names the target columns instead; all other
columns are then the inputs, in file order."""

_EXPORT_HELP = """\
Write a network's learned weights in a format other tools read. The file is written
atomically: an interrupted export never leaves a half-written file.

  json  the network file (the reference format; bp-studio and Network.load read it)
  npz   layers.{i}.weight (units, inputs) and layers.{i}.bias: the names and orientation
        of a PyTorch stack of nn.Linear layers, plus activations and loss
  csv   one long table: layer, parameter, to, from, value
  onnx  Gemm and activation nodes in float64, for any ONNX runtime"""

_PREDICT_HELP = """\
Print the network's outputs for every row of a CSV file to stdout, as CSV with the
header output_1,output_2,... Numbers are written exactly: they read back as the same
float64 values.

The CSV holds either exactly the network's inputs, or its inputs followed by its
targets (the layout 'train' uses); --targets names columns to leave out instead."""


def build_parser() -> argparse.ArgumentParser:
    """The ``bp-studio`` argument parser (the window's FILE argument is handled by ``main``)."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        usage=_USAGE,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", prog=PROG)

    # init
    init = commands.add_parser(
        "init",
        help="create a network with random initial weights and save it",
        description="Create a network with random initial weights and save it as a network\n"
        "file (JSON).",
        epilog=f"example:\n  {PROG} init --layers 2,4,1 --activations tanh,sigmoid --loss mse "
        "--seed 0 --out net.json",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    init.add_argument(
        "--layers",
        required=True,
        type=_layer_sizes,
        metavar="SIZES",
        help="layer sizes from inputs to outputs, separated by commas, e.g. 2,4,1",
    )
    init.add_argument(
        "--activations",
        type=_names,
        default=["sigmoid"],
        metavar="NAMES",
        help="one activation per layer after the input, separated by commas, or one name for "
        f"all of them (default: sigmoid); known: {', '.join(ACTIVATIONS)}",
    )
    init.add_argument(
        "--loss",
        choices=list(LOSSES),
        default="mse",
        help="loss function (default: mse); cross_entropy needs a softmax output layer",
    )
    init.add_argument("--no-bias", action="store_true", help="create the layers without biases")
    init.add_argument(
        "--init",
        choices=INITIALIZERS,
        default="xavier",
        help="how the initial weights are drawn (default: xavier; he suits relu layers; "
        "uniform draws from -0.5..0.5)",
    )
    init.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help="random seed for the initial weights (default: 0)",
    )
    init.add_argument(
        "--out", required=True, metavar="FILE", help="the network file to write (JSON)"
    )

    # train
    train = commands.add_parser(
        "train",
        help="train a network on a CSV file and save the result",
        description=_TRAIN_HELP,
        epilog=f"example:\n  {PROG} train net.json --data xor.csv --epochs 2000 --lr 1 "
        "--out trained.json",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    train.add_argument("network", metavar="NETWORK", help="the network file to start from")
    _add_data_arguments(train)
    train.add_argument(
        "--epochs",
        type=_epochs,
        default=100,
        metavar="N",
        help="passes over the data (default: 100)",
    )
    train.add_argument(
        "--lr",
        type=_positive_float,
        default=0.5,
        metavar="RATE",
        help="learning rate, above 0 (default: 0.5)",
    )
    train.add_argument(
        "--batch-size",
        type=_batch_size,
        default=None,
        metavar="full|N",
        help="samples per update: 'full' for the whole data set, 1 for online learning "
        "(default: full)",
    )
    train.add_argument(
        "--optimizer",
        choices=list(OPTIMIZERS),
        default="sgd",
        help="how the gradient becomes a weight update (default: sgd)",
    )
    train.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="visit the rows in a new random order every epoch (default: off, file order)",
    )
    train.add_argument(
        "--regularization",
        choices=REGULARIZATIONS,
        default="none",
        help="weight penalty (default: none); needs --regularization-rate",
    )
    train.add_argument(
        "--regularization-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="strength lambda of the weight penalty (default: 0)",
    )
    train.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help="random seed for --shuffle (default: 0)",
    )
    train.add_argument(
        "--out",
        metavar="FILE",
        help="where to save the trained network (it may be NETWORK itself); without --out "
        "nothing is saved and only the loss is printed",
    )
    train.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr for runs longer than a second (default: only "
        "when stderr is a terminal)",
    )

    # predict
    predict = commands.add_parser(
        "predict",
        help="print a network's outputs for the rows of a CSV file",
        description=_PREDICT_HELP,
        epilog=f"example:\n  {PROG} predict trained.json --data xor.csv > outputs.csv",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    predict.add_argument("network", metavar="NETWORK", help="the network file to run")
    _add_data_arguments(predict)

    # export
    export = commands.add_parser(
        "export",
        help="write a network's learned weights as json, npz, csv or onnx",
        description=_EXPORT_HELP,
        epilog=f"example:\n  {PROG} export trained.json --format npz --out weights.npz",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    export.add_argument("network", metavar="NETWORK", help="the network file to export")
    export.add_argument(
        "--format",
        required=True,
        choices=("json", "npz", "csv", "onnx"),
        help="json: the network file; npz: one array per parameter with PyTorch's names; "
        "csv: one long table; onnx: a standard ONNX model (needs bp-studio[onnx])",
    )
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    return parser


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", required=True, metavar="CSV", help="the data file (CSV with a header row)"
    )
    parser.add_argument(
        "--targets",
        type=_names,
        metavar="COLUMNS",
        help="names of the target columns, separated by commas; the other columns are the inputs",
    )


# -- entry point --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run ``bp-studio`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if _wants_window(args_list):
            path = args_list[0] if args_list else None
            run = _window(path)
        else:
            return _run_command(args_list)
    except _UsageError as exc:
        _error(f"{exc} (see '{exc.command} --help')")
        return EXIT_ERROR
    except CliError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted (Ctrl+C); nothing was saved", prefix="")
        return EXIT_INTERRUPTED
    except (DataError, NetworkFileError) as exc:
        _error(str(exc))
        return EXIT_ERROR
    except OSError as exc:  # AtomicWriteError included: its message names the file
        _error(_os_message(exc))
        return EXIT_ERROR
    except ValueError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except Exception as exc:  # a bug: still one line, never a traceback
        _error(
            f"{type(exc).__name__}: {exc} (this is a bug in BP Studio; please report it)",
            prefix="internal error: ",
        )
        return 1
    return run(path)  # the window reports its own problems


def _run_command(args_list: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        raise _UsageError("a command is needed", PROG)
    command = {"init": _init, "train": _train, "predict": _predict, "export": _export}[args.command]
    return command(args)


def _wants_window(args: Sequence[str]) -> bool:
    """No arguments, or a single one that is a file for the window rather than a command."""
    if not args:
        return True
    if len(args) != 1:
        return False
    arg = args[0]
    if arg in COMMANDS or arg.startswith("-"):
        return False
    if arg.lower().endswith(WINDOW_SUFFIXES):
        return True
    if os.path.exists(arg):
        raise CliError(
            f"{arg}: the window opens network files (.json) and sessions (.bpsession); "
            f"for data files see '{PROG} train --help'"
        )
    return False


def _window(path: str | None) -> Callable[[str | None], int]:
    """The window's ``run`` function, after checking ``path``; ``CliError`` without Qt."""
    if path is not None:
        if not os.path.exists(path):
            raise CliError(f"{path}: file not found")
        if not os.path.isfile(path):
            raise CliError(f"{path}: is a folder, not a file")
    try:
        from bp_studio.ui.app import run
    except ImportError as exc:
        raise CliError(
            f"cannot open the window ({exc}); the commands init, train and predict work "
            f"without it (see '{PROG} --help')"
        ) from None
    return run


# -- commands -----------------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    from bp_studio.io.export import export_weights

    network = Network.load(args.network)
    _check_out_folder(args.out)
    try:
        export_weights(network, args.out, args.format)
    except ImportError as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {args.out}: {network.describe()} as {args.format}")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    activations = args.activations[0] if len(args.activations) == 1 else args.activations
    _check_out_folder(args.out)
    try:
        network = Network.create(
            args.layers,
            activations,
            args.loss,
            bias=not args.no_bias,
            init=args.init,
            seed=args.seed,
        )
    except ValueError as exc:
        raise CliError(f"cannot create the network: {exc}") from None
    network.save(args.out)
    bias = ", no biases" if args.no_bias else ""
    print(
        f"wrote {args.out}: network {network.describe()}{bias}, "
        f"{network.parameters.size} parameters"
    )
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    if args.regularization != "none" and args.regularization_rate == 0.0:
        raise CliError(
            f"--regularization {args.regularization} needs a --regularization-rate above 0"
        )
    if args.regularization == "none" and args.regularization_rate != 0.0:
        raise CliError("--regularization-rate needs --regularization l1 or l2")
    network = Network.load(args.network)
    table = read_csv(args.data)
    X, T = _split_columns(table, network, args.network, args.targets, with_targets=True)
    if args.out is not None:
        _check_out_folder(args.out)
        if os.path.exists(args.out) and os.path.samefile(args.out, args.data):
            raise CliError(f"--out {args.out} is the data file; choose another file name")
    with np.errstate(all="ignore"):
        try:
            trainer = Trainer(
                network,
                X,
                T,
                lr=args.lr,
                batch_size=args.batch_size,
                shuffle=args.shuffle,
                optimizer=args.optimizer,
                seed=args.seed,
                regularization=Regularization(args.regularization, args.regularization_rate),
            )
        except ValueError as exc:
            raise CliError(f"{table.path}: {exc}") from None
        show = _is_terminal(sys.stderr) if args.progress is None else args.progress
        bar = _ProgressBar(args.epochs, sys.stderr) if show and args.epochs > 0 else None
        try:
            history = trainer.run_epochs(args.epochs, callback=bar.update if bar else None)
        except TrainingDiverged as exc:
            raise CliError(f"{args.network}: {exc}; nothing was written") from None
        finally:
            if bar is not None:
                bar.close()
        if history:
            loss = history[-1]
        else:
            loss = error_phase(network, network.forward(X), trainer.T).loss
    epochs, steps = trainer.epoch, trainer.step_count
    if args.out is not None:
        network.save(args.out)
    start = f", from {history[0]:.6g} in epoch 1" if len(history) > 1 else ""
    epochs_steps = f"{pluralize(epochs, 'epoch')} ({pluralize(steps, 'step')})"
    print(f"final loss {loss:.6g} after {epochs_steps}{start}")
    if args.out is not None:
        print(f"wrote {args.out}")
    else:
        print(
            f"{PROG}: note: the trained network was not saved; add --out FILE to save it",
            file=sys.stderr,
        )
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    network = Network.load(args.network)
    table = read_csv(args.data)
    X, _ = _split_columns(table, network, args.network, args.targets, with_targets=False)
    with np.errstate(all="ignore"):
        outputs = network.predict(X)
    if not np.all(np.isfinite(outputs)):
        row, column = np.argwhere(~np.isfinite(outputs))[0]
        raise CliError(
            f"{table.path}: data row {row + 1}: output {column + 1} of {args.network} is "
            f"{outputs[row, column]} (the numbers overflowed)"
        )
    text = write_csv_text([f"output_{j + 1}" for j in range(network.outputs)], outputs)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as other tools do.
        # Point stdout at devnull so the flush at exit does not fail a second time.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, ValueError, OSError):
            pass
        return 1
    return EXIT_OK


# -- helpers ------------------------------------------------------------------------------


def _split_columns(
    table: Table,
    network: Network,
    network_path: str,
    targets: list[str] | None,
    *,
    with_targets: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The input columns ``X`` and (for training) the target columns ``T`` of ``table``."""
    path, columns = table.path, table.columns
    inputs, outputs = network.inputs, network.outputs
    where = f"the network {network_path} ({network.describe()})"
    labels = network.loss_name == "cross_entropy" and outputs > 1
    if targets is not None:
        duplicates = sorted({name for name in targets if targets.count(name) > 1})
        if duplicates:
            raise CliError(f"--targets names the column {duplicates[0]!r} more than once")
        T = table.select(targets)  # DataError naming an unknown column
        if with_targets and len(targets) != outputs and not (labels and len(targets) == 1):
            raise CliError(
                f"--targets names {pluralize(len(targets), 'column')}, but {where} has "
                f"{pluralize(outputs, 'output')}"
            )
        rest = [name for name in columns if name not in targets]
        if len(rest) != inputs:
            raise CliError(
                f"{path}: {pluralize(len(rest), 'column')} besides the targets, but {where} "
                f"has {pluralize(inputs, 'input')}"
            )
        return table.select(rest), T
    width = len(columns)
    if with_targets:
        if width == inputs + outputs:
            return table.values[:, :inputs].copy(), table.values[:, inputs:].copy()
        if labels and width == inputs + 1:
            return table.values[:, :inputs].copy(), table.values[:, inputs:].copy()
        split = f"{pluralize(inputs, 'input')} then {pluralize(outputs, 'target')}"
        need = f"{inputs + outputs}: {split}"
        if labels:
            need += f" (or {inputs + 1}, with one column of class numbers)"
        raise CliError(
            f"{path} has {pluralize(width, 'column')}, {where} needs {need}; "
            "--targets names the target columns"
        )
    if width == inputs or width == inputs + outputs or (labels and width == inputs + 1):
        return table.values[:, :inputs].copy(), None
    need = f"{inputs} (its inputs) or {inputs + outputs} (inputs then targets)"
    raise CliError(
        f"{path} has {pluralize(width, 'column')}, {where} needs {need}; "
        "--targets names columns to leave out"
    )


def _check_out_folder(path: str) -> None:
    """Fail before any work if ``path`` cannot be a file to write (saves are atomic anyway)."""
    folder = os.path.dirname(path) or os.curdir
    if os.path.isdir(path):
        raise CliError(f"cannot write {path}: it is a folder")
    if not os.path.isdir(folder):
        raise CliError(f"cannot write {path}: folder {folder} does not exist")


class _ProgressBar:
    """``epoch 37/100 [#######.............] loss 0.0123`` on ``stream``, redrawn with ``\\r``.

    Nothing is drawn until a second has passed, so short runs print no bar at all.
    """

    width = 20
    delay = 1.0
    interval = 0.1

    def __init__(self, epochs: int, stream: TextIO) -> None:
        self.epochs = epochs
        self.stream = stream
        self.start = _clock()
        self.next_draw = self.start + self.delay
        self.drawn = 0
        self.last: tuple[int, float] | None = None

    def update(self, epoch: int, loss: float) -> None:
        self.last = (epoch, loss)
        now = _clock()
        if now >= self.next_draw:
            self.next_draw = now + self.interval
            self._draw(epoch, loss)

    def _draw(self, epoch: int, loss: float) -> None:
        filled = self.width * min(epoch, self.epochs) // self.epochs
        bar = "#" * filled + "." * (self.width - filled)
        text = f"epoch {epoch}/{self.epochs} [{bar}] loss {loss:.4g}"
        pad = " " * max(0, self.drawn - len(text))
        self.drawn = len(text)  # before writing: an interrupt mid-write still ends the line
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()

    def close(self) -> None:
        """Show the last state and end the line (only if a bar was drawn)."""
        if self.drawn:
            if self.last is not None:
                self._draw(*self.last)
            self.stream.write("\n")
            self.stream.flush()


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _os_message(exc: OSError) -> str:
    if isinstance(exc.filename, str) and exc.strerror:
        reason = exc.strerror[:1].lower() + exc.strerror[1:]
        return f"{exc.filename}: {reason}"
    return str(exc) or type(exc).__name__


def _error(message: str, prefix: str = "error: ") -> None:
    line = " ".join(message.splitlines())
    try:
        print(f"{PROG}: {prefix}{line}", file=sys.stderr)
    except OSError:
        pass
