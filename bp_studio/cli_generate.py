"""The bodies of ``bp-studio code`` and ``bp-studio worksheet`` (their options are in ``cli``).

Both follow the command line's rules: every problem is a ``CliError`` (one line naming the
file and the problem, exit status 2) raised before anything is written, and files are
written atomically. ``export --format py`` needs no body of its own: ``io.export`` writes it.
"""

from __future__ import annotations

import argparse
import contextlib
import os

import numpy as np

from bp_studio.cli import (
    EXIT_OK,
    CliError,
    _check_out_folder,
    _split_columns,
    check_training_options,
    load_network_or_session,
)
from bp_studio.data.csv_table import pluralize, read_csv
from bp_studio.engine import Network, Regularization, Trainer, TrainingDiverged
from bp_studio.io.atomic import atomic_write_text
from bp_studio.io.codegen import TrainingOptions, training_script


def _options(args: argparse.Namespace, epochs: int = 0) -> TrainingOptions:
    return TrainingOptions(
        epochs=epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        shuffle=args.shuffle,
        seed=args.seed,
        regularization=args.regularization,
        regularization_rate=args.regularization_rate,
    )


def _check_not_an_input(out: str, args: argparse.Namespace, option: str = "--out") -> None:
    """Refuse to write over the network file or the data file."""
    for what, path in (("the network file", args.network), ("the data file", args.data)):
        if os.path.exists(out) and os.path.exists(path) and os.path.samefile(out, path):
            raise CliError(f"{option} {out} is {what}; choose another file name")


def _data(args: argparse.Namespace, network: Network) -> tuple[str, np.ndarray, np.ndarray]:
    """The data file's name as shown, and its inputs and targets for ``network``."""
    table = read_csv(args.data)
    X, T = _split_columns(table, network, args.network, args.targets, with_targets=True)
    assert T is not None, "with_targets=True gives the target columns"
    return table.path, X, T


def code(args: argparse.Namespace) -> int:
    """``bp-studio code``: write the training script ``training_script`` makes."""
    check_training_options(args)
    network = load_network_or_session(args.network)
    data_path, X, T = _data(args, network)
    _check_out_folder(args.out)
    _check_not_an_input(args.out, args)
    options = _options(args, args.epochs)
    try:  # the checks train makes on the data (class labels, shapes) happen now
        Trainer(
            network.copy(),
            X,
            T,
            lr=options.lr,
            batch_size=options.batch_size,
            optimizer=options.optimizer,
            regularization=Regularization(options.regularization, options.regularization_rate),
        )
    except ValueError as exc:
        raise CliError(f"{data_path}: {exc}") from None
    text = training_script(network, options, source=args.network, target_columns=args.targets)
    atomic_write_text(args.out, text)
    print(
        f"wrote {args.out}: trains {network.describe()} ({options.optimizer}, "
        f"{pluralize(options.epochs, 'epoch')}); run: python {args.out} {args.data} trained.json"
    )
    return EXIT_OK


def worksheet(args: argparse.Namespace) -> int:
    """``bp-studio worksheet``: one training step as a worked solution, perhaps an exercise."""
    from bp_studio.studio.worksheet import (
        MAX_PARAMETERS,
        MAX_ROWS,
        QUANTITY_KINDS,
        build,
        render,
        worked_step,
    )

    blanks: list[str] = []
    if args.blanks is not None:
        blanks = list(QUANTITY_KINDS) if args.blanks == ["all"] else list(args.blanks)
        unknown = [kind for kind in blanks if kind not in QUANTITY_KINDS]
        if unknown:
            raise CliError(
                f"--blanks: unknown quantity {unknown[0]!r} (known: {', '.join(QUANTITY_KINDS)})"
            )
    elif args.answers is not None:
        raise CliError("--answers needs --blanks (without blanks the worksheet has the answers)")
    if args.rows is not None and (args.batch_size is not None or args.shuffle):
        raise CliError("--rows chooses the batch; leave out --batch-size and --shuffle")
    check_training_options(args)
    network = load_network_or_session(args.network)
    if network.parameters.size > MAX_PARAMETERS:
        raise CliError(
            f"{args.network}: the network has {network.parameters.size} parameters; a "
            f"worksheet writes out every one of them and takes at most {MAX_PARAMETERS}"
        )
    data_path, X, T = _data(args, network)
    samples = X.shape[0]
    rows = None
    if args.rows is not None:
        too_far = [row for row in args.rows if row > samples]
        if too_far:
            raise CliError(
                f"{data_path} has {pluralize(samples, 'data row')}; --rows names row {too_far[0]}"
            )
        rows = [row - 1 for row in args.rows]
        size = len(rows)
    else:
        size = min(args.batch_size or samples, samples)
    if size > MAX_ROWS:
        raise CliError(
            f"the step's batch has {size} rows; a worksheet writes every z and a of each and "
            f"takes at most {MAX_ROWS}: choose them with --rows or --batch-size"
        )
    outputs = [("--out", args.out)]
    if blanks:
        root, suffix = os.path.splitext(args.out)
        answers = args.answers if args.answers is not None else f"{root}-answers{suffix}"
        if os.path.abspath(answers) == os.path.abspath(args.out):
            raise CliError(f"--answers {answers} is the worksheet itself; choose another name")
        outputs.append(("--answers", answers))
    for option, path in outputs:
        _check_out_folder(path)
        _check_not_an_input(path, args, option)
    with np.errstate(all="ignore"):
        try:
            moment = worked_step(
                network,
                X,
                T,
                lr=args.lr,
                optimizer=args.optimizer,
                batch_size=args.batch_size,
                shuffle=args.shuffle,
                seed=args.seed,
                regularization=Regularization(args.regularization, args.regularization_rate),
                rows=rows,
            )
        except TrainingDiverged as exc:
            raise CliError(f"{args.network}: {exc}; nothing was written") from None
        except ValueError as exc:
            raise CliError(f"{data_path}: {exc}") from None
    sheet = build(moment, args.digits, data_name=os.path.basename(data_path))
    texts = [render(sheet, args.format, blanks=blanks)]
    if blanks:
        texts.append(render(sheet, args.format, blanks=blanks, answers=True))
    # The answer key first: if the worksheet then cannot be written, the key goes again.
    for (_, path), text in reversed(list(zip(outputs, texts))):
        try:
            atomic_write_text(path, text)
        except OSError:
            if path == outputs[0][1] and len(outputs) > 1:
                with contextlib.suppress(OSError):
                    os.remove(outputs[1][1])
            raise
    batch = moment.batch if moment.batch is not None else np.arange(size)
    rows_text = ", ".join(str(int(row) + 1) for row in batch)
    print(
        f"wrote {args.out}: one step of {network.describe()} on data "
        f"row{'s' if len(batch) != 1 else ''} {rows_text}"
    )
    if blanks:
        print(f"wrote {outputs[1][1]}: the answer key")
    return EXIT_OK
