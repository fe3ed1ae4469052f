"""The ``bp-studio`` command: open the window, or create, train and run networks in a terminal.

```
bp-studio                                  open the window
bp-studio FILE.json | FILE.bpsession       open the window with a network or a session
bp-studio init    --layers 2,4,1 --activations tanh,sigmoid --out net.json
bp-studio train   net.json --data xor.csv --epochs 2000 --lr 1 --out trained.json
bp-studio predict trained.json --data xor.csv > outputs.csv
bp-studio code    net.json --data xor.csv --epochs 2000 --lr 1 --out train.py
bp-studio worksheet net.json --data xor.csv --format html --out step.html
```

Qt-free: the window's module is imported only when the window is asked for, so the commands
work without PySide6. Every failure is one line on stderr, ``bp-studio: error: <message>``,
with exit status 2 (130 after Ctrl+C, 143 after SIGTERM, which is handled the same way);
nothing is written then. The file a command writes is checked before any work (its folder
accepts a new file, it is not write-protected), every write to stdout is checked (a full
disk is exit status 2, never a silently cut output), and saves are atomic.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

import numpy as np

from bp_studio import __version__
from bp_studio.data.csv_table import (
    CsvData,
    DataError,
    Table,
    _quote,
    _show,
    pluralize,
    read_columns,
    write_csv_text,
)
from bp_studio.data.split import MAX_TEST_RATIO, class_labels, split_rows
from bp_studio.engine import (
    ACTIVATIONS,
    INITIALIZER_TABLE,
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    REGULARIZATIONS,
    EarlyStopping,
    Network,
    Trainer,
    TrainingDiverged,
    prepare_targets,
    train_with_early_stopping,
    validation_loss,
)
from bp_studio.engine.phases import error as error_phase
from bp_studio.engine.regularization import Regularization
from bp_studio.io.atomic import check_writable, plain_reason
from bp_studio.io.capped import NOT_REGULAR
from bp_studio.io.network_file import NetworkFileError

PROG = "bp-studio"
COMMANDS = ("init", "train", "predict", "export", "code", "worksheet")
WINDOW_SUFFIXES = (".json", ".bpsession")
EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + 15  # 143, as a shell reports a process ended by SIGTERM

_clock: Callable[[], float] = time.monotonic
"""The progress bar's clock (tests replace it)."""


class CliError(Exception):
    """A problem to report as ``bp-studio: error: <message>`` with exit status 2."""


class _Terminated(KeyboardInterrupt):
    """Raised by the SIGTERM handler: a kill is handled like Ctrl+C (saves clean up, exit)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


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


def _patience(text: str) -> int:
    return _whole_number(text, 1)


def _share(text: str) -> float:
    value = _positive_float(text)
    if value > MAX_TEST_RATIO:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_TEST_RATIO:g}, got {text!r}")
    return value


def _seed(text: str) -> int:
    return _whole_number(text, 0)


def _rows(text: str) -> list[int]:
    try:
        rows = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected row numbers separated by commas, such as 1,2, got {text!r}"
        ) from None
    if min(rows) < 1:
        raise argparse.ArgumentTypeError(f"rows are counted from 1, got {text!r}")
    if len(set(rows)) != len(rows):
        raise argparse.ArgumentTypeError(f"a row is named more than once in {text!r}")
    return rows


def _digits(text: str) -> int:
    value = _whole_number(text, 1)
    if value > 17:
        raise argparse.ArgumentTypeError(f"must be 17 or less, got {text!r}")
    return value


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
       {PROG} {{init,train,predict,export,code,worksheet}} ...
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
  {PROG} code net.json --data xor.csv --epochs 2000 --lr 1 --out train.py
  {PROG} worksheet net.json --data xor.csv --format md --out step.md

Data files are CSV with a header row naming the columns; every other cell is a number.
On an error, {PROG} prints one line to stderr, writes nothing and exits with status 2."""

_TRAIN_HELP = """\
Train a network on the rows of a CSV file and print the final loss (the mean loss of
the last epoch). With --out, save the trained network; NETWORK itself is only changed
if --out names it.

Data layout: the first columns are the network's inputs and the last columns are its
targets, one per output (for a cross_entropy network with k outputs, a single column of
class numbers 0..k-1, or of text class labels, also works: the labels in sorted order are
the classes 0..k-1). --targets names the target columns instead; all other columns are
then the inputs, in file order. Cells may be separated by commas, semicolons or tabs, and
numbers written with a decimal comma (1,5); both are detected, as the window does."""

_EXPORT_HELP = """\
Write a network's learned weights in a format other tools read. The file is written
atomically: an interrupted export never leaves a half-written file.

  json  the network file (the reference format; bp-studio and Network.load read it)
  npz   layers.{i}.weight (units, inputs) and layers.{i}.bias: the names and orientation
        of a PyTorch stack of nn.Linear layers, plus activations and loss
  csv   one long table: layer, parameter, to, from, value
  onnx  Gemm and activation nodes in float64, for any ONNX runtime
  py    a standalone script (numpy only): predict(X), and 'python model.py DATA.csv'
        prints what 'bp-studio predict' prints"""

_CODE_HELP = """\
Write a standalone Python script (numpy only) that trains NETWORK as 'train' does with the
same options: the initial weights and the options are written into the script, and

  python train.py DATA.csv OUT.json

writes the network file that 'bp-studio train NETWORK --data DATA.csv [options] --out
OUT.json' writes, with the same weights. The code is the four steps of backpropagation as
commented blocks, vectorised over the batch, with only what the chosen options need. --data
is checked against the network now; the script reads the file named on its command line."""

_WORKSHEET_HELP = """\
Write one training step of NETWORK as a worked solution: the weights and the batch it starts
from, every z and a of the forward pass, the error and the loss, every delta and gradient of
the backward pass, every update and the weights after, each an equation with the numbers
plugged in (the explanation panel's text).

  md    Markdown (renders on GitHub)
  html  one self-contained file, with the network drawn as SVG
  tex   LaTeX for pdflatex

The step is the first batch 'train' would take with the same options, or the rows --rows
names. With --blanks the sheet is an exercise: the chosen quantities (z, a, error, loss,
delta, gradient, update; all of them by default) are numbered blanks, and the answer key
goes to --answers."""

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
        help="loss function (default: mse); "
        + " ".join(loss.requirement for loss in LOSSES.values() if loss.requirement),
    )
    init.add_argument("--no-bias", action="store_true", help="create the layers without biases")
    init.add_argument(
        "--init",
        choices=INITIALIZERS,
        default="xavier",
        help="how the initial weights are drawn (default: xavier): "
        + "; ".join(f"{name} {init.use}" for name, init in INITIALIZER_TABLE.items()),
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
    train.add_argument(
        "network",
        metavar="NETWORK",
        help="the network file (or session, .bpsession) to start from",
    )
    _add_data_arguments(train)
    train.add_argument(
        "--drop-missing",
        action="store_true",
        help="skip rows with missing values (empty, NA, N/A, NaN, null or ?) instead of "
        "refusing the file",
    )
    _add_training_options(train)
    train.add_argument(
        "--validation",
        type=_share,
        metavar="SHARE",
        help="hold out this share of the rows (above 0, at most 0.9; drawn with --seed, "
        "stratified by class for class targets) and print their loss",
    )
    train.add_argument(
        "--patience",
        type=_patience,
        metavar="N",
        help="early stopping (needs --validation): stop when the validation loss has not "
        "improved for N epochs and keep the weights of the best epoch",
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
    predict.add_argument(
        "network", metavar="NETWORK", help="the network file (or session, .bpsession) to run"
    )
    _add_data_arguments(predict)

    # export
    export = commands.add_parser(
        "export",
        help="write a network's learned weights as json, npz, csv, onnx or a NumPy script",
        description=_EXPORT_HELP,
        epilog=f"example:\n  {PROG} export trained.json --format npz --out weights.npz",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    export.add_argument(
        "network", metavar="NETWORK", help="the network file (or session, .bpsession) to export"
    )
    export.add_argument(
        "--format",
        required=True,
        choices=("json", "npz", "csv", "onnx", "py"),
        help="json: the network file; npz: one array per parameter with PyTorch's names; "
        "csv: one long table; onnx: a standard ONNX model (needs bp-studio[onnx]); "
        "py: a standalone NumPy script",
    )
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")

    # code
    code = commands.add_parser(
        "code",
        help="write a standalone NumPy script that trains a network as 'train' does",
        description=_CODE_HELP,
        epilog=f"example:\n  {PROG} code net.json --data xor.csv --epochs 2000 --lr 1 "
        "--out train.py\n  python train.py xor.csv trained.json",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    code.add_argument("network", metavar="NETWORK", help="the network file to start from")
    _add_data_arguments(code)
    _add_training_options(code)
    code.add_argument("--out", required=True, metavar="FILE", help="the script to write (.py)")

    # worksheet
    worksheet = commands.add_parser(
        "worksheet",
        help="write one training step as a worked solution (md, html or tex)",
        description=_WORKSHEET_HELP,
        epilog=f"example:\n  {PROG} worksheet net.json --data xor.csv --rows 1,2 --digits 5 "
        "--format html --out step.html",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    worksheet.add_argument("network", metavar="NETWORK", help="the network before the step")
    _add_data_arguments(worksheet)
    _add_training_options(worksheet, epochs=False)
    worksheet.add_argument(
        "--rows",
        type=_rows,
        metavar="ROWS",
        help="the data rows of the step, counted from 1, e.g. 1,2 (default: the first batch)",
    )
    worksheet.add_argument(
        "--digits",
        type=_digits,
        default=4,
        metavar="N",
        help="significant digits of the numbers, 1 to 17 (default: 4)",
    )
    worksheet.add_argument("--format", required=True, choices=("md", "html", "tex"))
    worksheet.add_argument(
        "--blanks",
        nargs="?",
        const="all",
        type=_names,
        metavar="KINDS",
        help="write an exercise: leave these quantities blank (z, a, error, loss, delta, "
        "gradient, update, or all, the default) and the answers to --answers",
    )
    worksheet.add_argument(
        "--answers",
        metavar="FILE",
        help="with --blanks, the answer key's file (default: FILE-answers beside --out)",
    )
    worksheet.add_argument("--out", required=True, metavar="FILE", help="the worksheet to write")
    return parser


def _add_training_options(parser: argparse.ArgumentParser, *, epochs: bool = True) -> None:
    """The training options of ``train`` (``code`` and ``worksheet`` take them too)."""
    if epochs:
        parser.add_argument(
            "--epochs",
            type=_epochs,
            default=100,
            metavar="N",
            help="passes over the data (default: 100)",
        )
    parser.add_argument(
        "--lr",
        type=_positive_float,
        default=0.5,
        metavar="RATE",
        help="learning rate, above 0 (default: 0.5)",
    )
    parser.add_argument(
        "--batch-size",
        type=_batch_size,
        default=None,
        metavar="full|N",
        help="samples per update: 'full' for the whole data set, 1 for online learning "
        "(default: full)",
    )
    parser.add_argument(
        "--optimizer",
        choices=list(OPTIMIZERS),
        default="sgd",
        help="how the gradient becomes a weight update (default: sgd)",
    )
    parser.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="visit the rows in a new random order every epoch (default: off, file order)",
    )
    parser.add_argument(
        "--regularization",
        choices=REGULARIZATIONS,
        default="none",
        help="weight penalty (default: none); needs --regularization-rate",
    )
    parser.add_argument(
        "--regularization-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="strength lambda of the weight penalty (default: 0)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help="random seed for --shuffle (default: 0)",
    )


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
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals cannot be handled here
        previous = None
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
    except _Terminated:
        _error("terminated (SIGTERM); nothing was saved", prefix="")
        return EXIT_TERMINATED
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return run(path)  # the window reports its own problems


def _run_command(args_list: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        raise _UsageError("a command is needed", PROG)
    if args.command in ("code", "worksheet"):
        from bp_studio import cli_generate

        return {"code": cli_generate.code, "worksheet": cli_generate.worksheet}[args.command](args)
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
        if os.path.isdir(path):
            raise CliError(f"{path}: is a folder, not a file")
        if not os.path.isfile(path):
            raise CliError(f"{path}: {NOT_REGULAR}; the window opens files")
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

    check_writable(args.out)
    network = load_network_or_session(args.network)
    try:
        export_weights(network, args.out, args.format)
    except ImportError as exc:
        raise CliError(str(exc)) from None
    _say(f"wrote {args.out}: {network.describe()} as {args.format}")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    activations = args.activations[0] if len(args.activations) == 1 else args.activations
    check_writable(args.out)
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
    _say(
        f"wrote {args.out}: network {network.describe()}{bias}, "
        f"{network.parameters.size} parameters"
    )
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    check_training_options(args)
    if args.patience is not None and args.validation is None:
        raise CliError("--patience needs --validation SHARE (the rows to watch)")
    if args.out is not None:  # before any work: training is not lost to an unwritable file
        check_writable(args.out)
        if os.path.exists(args.out) and os.path.samefile(args.out, args.data):
            raise CliError(f"--out {args.out} is the data file; choose another file name")
    network = load_network_or_session(args.network)
    data = _read_data(args, network, with_targets=True)
    X, T = data.inputs, data.targets
    if args.validation is not None:
        labels = class_labels(T) if network.loss.targets != "real" else None
        kept, held_out = split_rows(X.shape[0], args.validation, args.seed, labels)
        if held_out.size == 0:
            raise CliError(
                f"{data.path}: --validation {args.validation:g} of {pluralize(X.shape[0], 'row')} "
                "holds out no row; choose a larger share"
            )
        X, T, X_val, T_val = X[kept], T[kept], X[held_out], T[held_out]
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
            if args.patience is not None:
                stopper = EarlyStopping(network, X_val, T_val, args.patience)
        except ValueError as exc:
            raise CliError(f"{data.path}: {exc}") from None
        show = _is_terminal(sys.stderr) if args.progress is None else args.progress
        bar = _ProgressBar(args.epochs, sys.stderr) if show and args.epochs > 0 else None
        try:
            if args.patience is not None:
                stopped = train_with_early_stopping(
                    trainer, stopper, args.epochs, bar.update if bar else None
                )
                history = stopped.losses
            else:
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
    done = f"{pluralize(epochs, 'epoch')} ({pluralize(steps, 'step')})"
    report = f"final loss {loss:.6g} after {done}{start}"
    if args.patience is not None:
        if stopped.stopped_epoch is not None:
            report += (
                f"\nstopped early after epoch {stopped.stopped_epoch}: the validation loss had "
                f"not improved for {pluralize(args.patience, 'epoch')}"
            )
        report += (
            f"\nbest validation loss {stopped.best_loss:.6g} in epoch {stopped.best_epoch} "
            f"({pluralize(len(held_out), 'row')} held out); the network has that epoch's weights"
        )
    elif args.validation is not None:
        T_val = prepare_targets(network, T_val, len(held_out))
        final = validation_loss(network, network.check_inputs(X_val), T_val)
        report += f"\nvalidation loss {final:.6g} ({pluralize(len(held_out), 'row')} held out)"
    if args.out is not None:
        report += f"\nwrote {args.out}"
    _say(report, "the final loss" + (f" (the network was saved to {args.out})" if args.out else ""))
    if args.out is None:
        print(
            f"{PROG}: note: the trained network was not saved; add --out FILE to save it",
            file=sys.stderr,
        )
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    network = load_network_or_session(args.network)
    data = _read_data(args, network, with_targets=False)
    X = data.inputs
    with np.errstate(all="ignore"):
        outputs = network.predict(X)
    if not np.all(np.isfinite(outputs)):
        row, column = np.argwhere(~np.isfinite(outputs))[0]
        raise CliError(
            f"{data.path}: data row {row + 1}: output {column + 1} of {args.network} is "
            f"{outputs[row, column]} (the numbers overflowed)"
        )
    text = write_csv_text([f"output_{j + 1}" for j in range(network.outputs)], outputs)
    try:
        _say(text, "the predictions", end="")
    except BrokenPipeError:
        return 1  # the reader went away (e.g. `| head`): stop quietly, as other tools do
    return EXIT_OK


# -- helpers ------------------------------------------------------------------------------


def load_network_or_session(path: str) -> Network:
    """The network of a network file, or of a session file (``.bpsession``: the weights it
    had when it was saved). ``NetworkFileError``/``SessionFileError`` name the file."""
    if path.lower().endswith(".bpsession"):
        from bp_studio.io.session import load_session

        return load_session(path).network
    return Network.load(path)


def check_training_options(args: argparse.Namespace) -> None:
    """``CliError`` for a regularisation without a rate, or a rate without one."""
    if args.regularization != "none" and args.regularization_rate == 0.0:
        raise CliError(
            f"--regularization {args.regularization} needs a --regularization-rate above 0"
        )
    if args.regularization == "none" and args.regularization_rate != 0.0:
        raise CliError("--regularization-rate needs --regularization l1 or l2")


def _read_data(args: argparse.Namespace, network: Network, *, with_targets: bool) -> CsvData:
    """Read ``--data`` with the one CSV reader (the window's); the layout fits ``network``.

    The inputs are the network's inputs; the targets (for training) one column per output,
    or one column of class numbers or text labels for cross_entropy. ``predict`` leaves the
    other columns out. ``DataError`` or ``CliError`` name the problem.
    """
    choose = _target_chooser(
        network, args.network, args.data, args.targets, with_targets=with_targets
    )
    drop = bool(getattr(args, "drop_missing", False))
    hint = "add --drop-missing to skip them" if with_targets else ""
    return read_columns(args.data, choose, drop_missing=drop, missing_hint=hint)


def _target_chooser(
    network: Network,
    network_path: str,
    data_path: str,
    targets: list[str] | None,
    *,
    with_targets: bool,
) -> Callable[[tuple[str, ...]], list[int]]:
    """The target columns of a data file for ``network``, as a function of its header.

    Called by the reader on the header, before any row is read, so a file that does not fit
    the network is refused at once (``CliError``). For ``predict`` the "targets" are the
    columns left out; they are read (text allowed) but not used.
    """
    inputs, outputs = network.inputs, network.outputs
    where = f"the network {network_path} ({network.describe()})"
    labels = network.loss_name == "cross_entropy" and outputs > 1
    path = _show(data_path)

    def choose(columns: tuple[str, ...]) -> list[int]:
        width = len(columns)
        if targets is not None:
            duplicates = sorted({name for name in targets if targets.count(name) > 1})
            if duplicates:
                raise CliError(f"--targets names the column {duplicates[0]!r} more than once")
            index = {name: i for i, name in enumerate(columns)}
            for name in targets:
                if name not in index:
                    available = ", ".join(_quote(c) for c in columns)
                    raise DataError(
                        f"{path}: no column {_quote(name)} (the columns are {available})"
                    )
            if with_targets and len(targets) != outputs and not (labels and len(targets) == 1):
                raise CliError(
                    f"--targets names {pluralize(len(targets), 'column')}, but {where} has "
                    f"{pluralize(outputs, 'output')}"
                )
            if width - len(targets) != inputs:
                raise CliError(
                    f"{path}: {pluralize(width - len(targets), 'column')} besides the targets, "
                    f"but {where} has {pluralize(inputs, 'input')}"
                )
            return [index[name] for name in targets]
        if with_targets:
            if width == inputs + outputs or (labels and width == inputs + 1):
                return list(range(inputs, width))
            layout = f"{pluralize(inputs, 'input')} then {pluralize(outputs, 'target')}"
            need = f"{inputs + outputs}: {layout}"
            if labels:
                need += f" (or {inputs + 1}, with one column of class numbers)"
            raise CliError(
                f"{path} has {pluralize(width, 'column')}, {where} needs {need}; "
                "--targets names the target columns"
            )
        if width == inputs or width == inputs + outputs or (labels and width == inputs + 1):
            return list(range(inputs, width))
        need = f"{inputs} (its inputs) or {inputs + outputs} (inputs then targets)"
        raise CliError(
            f"{path} has {pluralize(width, 'column')}, {where} needs {need}; "
            "--targets names columns to leave out"
        )

    return choose


def _split_columns(
    table: Table,
    network: Network,
    network_path: str,
    targets: list[str] | None,
    *,
    with_targets: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The input columns ``X`` and (for training) the target columns ``T`` of ``table``.

    For commands that read a :class:`Table` (numbers only); the layout rules are
    ``_target_chooser``'s. ``_read_data`` reads the file with them directly (and accepts text
    class labels and ``--drop-missing``, as the window does).
    """
    choose = _target_chooser(network, network_path, table.path, targets, with_targets=with_targets)
    target_index = choose(table.columns)
    chosen = set(target_index)
    X = np.array(table.values[:, [i for i in range(len(table.columns)) if i not in chosen]])
    return X, (np.array(table.values[:, target_index]) if with_targets else None)


def _check_out_folder(path: str) -> None:
    """Fail before any work if ``path`` cannot be saved to (``check_writable``'s checks)."""
    check_writable(path)


def _say(text: str, what: str = "the result", end: str = "\n") -> None:
    """Write ``text`` to stdout and flush it, checking both.

    A full disk (or any other write error) becomes ``CliError("could not write <what>:
    <reason>")``; a reader that went away raises ``BrokenPipeError``. Either way stdout is
    then pointed at the null device, so that the flush at exit cannot fail a second time
    (and print a traceback) over what is still buffered.
    """
    try:
        sys.stdout.write(text + end)
        sys.stdout.flush()
    except OSError as exc:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, ValueError, OSError):
            pass
        if isinstance(exc, BrokenPipeError):
            raise
        raise CliError(f"could not write {what}: {plain_reason(exc)}") from None


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
