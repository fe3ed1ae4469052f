"""The data settings: which data set, its generator settings, features, normalisation, split.

It edits a ``DataSpec`` and emits ``spec_changed(DataSpec)``; "Open CSV file…" emits
``open_file_requested``. The main window prepares the data and rebuilds what depends on it.
The split is three shares of the samples: test + validation (each 0 to 90 %, together at
most 90 %) and training, the rest; shares that leave too little for training are refused
here, with ``check_shares``'s reason, and the spec stays as it was.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bp_studio.data.examples import EXAMPLES, Dataset
from bp_studio.data.features import FEATURES
from bp_studio.data.generators import GENERATORS, MAX_SAMPLES
from bp_studio.data.source import DataSpec
from bp_studio.data.split import MAX_TEST_RATIO, check_shares
from bp_studio.ui.section import Section
from bp_studio.ui.settings_panel import compact

REAL_TITLES = {
    "iris": "Iris (150 flowers, 4 measurements, 3 species)",
    "digits": "Digits (1,797 8x8 images, 10 classes)",
}
GENERATED_TEST_RATIO = 0.2
"""The test share generated data starts with."""
FEATURE_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1^2": "x₁²",
    "x2^2": "x₂²",
    "x1*x2": "x₁x₂",
    "sin(x1)": "sin x₁",
    "sin(x2)": "sin x₂",
}


def describe(dataset: Dataset) -> str:
    """One line: samples, inputs, and the classes or the regression target."""
    samples = f"{dataset.samples:,} sample{'s' * (dataset.samples != 1)}"
    text = f"{samples} · {dataset.inputs} input{'s' * (dataset.inputs != 1)}"
    if dataset.classes is not None:
        names = ", ".join(dataset.classes[:6]) + (" …" if len(dataset.classes) > 6 else "")
        return f"{text} · {len(dataset.classes)} classes ({names})"
    return f"{text} · regression target {', '.join(dataset.target_names)}"


class DataSettings(QWidget):
    """Choose and shape the training data."""

    spec_changed = Signal(object)
    open_file_requested = Signal()

    def __init__(self, spec: DataSpec | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = spec or DataSpec()
        self._updating = False
        self.source = QComboBox()
        self.source.setToolTip("The data set to train on")
        for name, dataset in EXAMPLES.items():
            self.source.addItem(dataset.title, ("example", name))
        self.source.insertSeparator(self.source.count())
        for name, info in GENERATORS.items():
            kind = "classification" if info.classification else "regression"
            what = "generated" if kind in info.title.lower() else f"{kind}, generated"
            self.source.addItem(f"{info.title} ({what})", ("generator", name))
        self.source.insertSeparator(self.source.count())
        for name, title in REAL_TITLES.items():
            self.source.addItem(title, ("real", name))
        self.source.insertSeparator(self.source.count())
        self.source.addItem("Your own rows (CSV or drawn)", ("rows", ""))
        compact(self.source)
        self.open_file = QPushButton("Open CSV file…")
        self.open_file.setToolTip("Train on your own data: a CSV file with a header row")
        self.open_file.clicked.connect(self.open_file_requested)

        self.samples = QSpinBox()
        self.samples.setRange(4, MAX_SAMPLES)
        self.samples.setSingleStep(50)
        self.samples.setToolTip("How many points the generator makes")
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 10.0)
        self.noise.setSingleStep(0.05)
        self.noise.setToolTip("Standard deviation of the noise added to each point")
        self.classes = QSpinBox()
        self.classes.setRange(2, 10)
        self.classes.setToolTip("Number of classes (gaussian blobs and spiral arms)")
        self.data_seed = QSpinBox()
        self.data_seed.setRange(0, 2**31 - 1)
        self.data_seed.setToolTip("Seed of the generator: the same seed gives the same points")

        self.features: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for index, name in enumerate(FEATURES):
            box = QCheckBox(FEATURE_LABELS.get(name, name))
            box.setToolTip(f"Give the network the input {name} (2-D data sets only)")
            self.features[name] = box
            grid.addWidget(box, index // 3, index % 3)
        self.features_widget = QWidget()
        self.features_widget.setLayout(grid)

        self.normalization = QComboBox()
        for label, value in (
            ("none", "none"),
            ("standardise (mean 0, sd 1)", "standardize"),
            ("min-max (0 to 1)", "minmax"),
        ):
            self.normalization.addItem(label, value)
        compact(self.normalization)
        self.normalization.setToolTip(
            "Scale the inputs before the first layer; stored in the network, so predict "
            "takes raw inputs"
        )
        most = round(MAX_TEST_RATIO * 100)
        self.test_percent = QSpinBox()
        self.test_percent.setRange(0, most)
        self.test_percent.setSuffix(" % test")
        self.test_percent.setToolTip("Share of the samples kept aside to measure the test loss")
        self.validation_percent = QSpinBox()
        self.validation_percent.setRange(0, most)
        self.validation_percent.setSuffix(" % validation")
        self.validation_percent.setToolTip(
            "Share of the samples kept aside to measure the validation loss while training "
            "(early stopping watches it); the test share stays untouched until the end. "
            f"Test and validation together: at most {most} %"
        )
        self.split_summary = QLabel()
        self.split_summary.setWordWrap(True)
        self.split_summary.setStyleSheet("color: palette(mid);")
        self.split_problem = QLabel()
        """Why the shares shown cannot be used (hidden when they can)."""
        self.split_problem.setWordWrap(True)
        self.split_problem.setStyleSheet("color: #b2182b;")
        self.split_problem.hide()
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Data", self.source)
        form.addRow("", self.open_file)
        options = QWidget()
        oform = QFormLayout(options)
        oform.setContentsMargins(0, 0, 0, 0)
        oform.addRow("Samples", self.samples)
        oform.addRow("Noise", self.noise)
        oform.addRow("Classes", self.classes)
        oform.addRow("Data seed", self.data_seed)
        oform.addRow("Features", self.features_widget)
        oform.addRow("Normalise", self.normalization)
        oform.addRow("Split", self.test_percent)
        oform.addRow("", self.validation_percent)
        oform.addRow("", self.split_summary)
        oform.addRow(self.split_problem)
        self.options = Section("Samples, features, split", options)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.options)
        layout.addStretch(1)

        self.set_spec(self._spec)
        self.source.currentIndexChanged.connect(self._on_edited)
        for signal in (
            self.samples.valueChanged,
            self.noise.valueChanged,
            self.classes.valueChanged,
            self.data_seed.valueChanged,
            self.normalization.currentIndexChanged,
            self.test_percent.valueChanged,
            self.validation_percent.valueChanged,
        ):
            signal.connect(self._on_edited)
        for box in self.features.values():
            box.toggled.connect(self._on_edited)

    def spec(self) -> DataSpec:
        return self._spec

    def set_spec(self, spec: DataSpec, dataset: Dataset | None = None) -> None:
        """Show ``spec`` (and the summary of ``dataset``) without emitting ``spec_changed``."""
        self._updating = True
        try:
            self._spec = spec
            key = (spec.kind, spec.name if spec.kind != "rows" else "")
            index = next(
                (i for i in range(self.source.count()) if self.source.itemData(i) == key), 0
            )
            self.source.setCurrentIndex(index)
            self.samples.setValue(spec.samples)
            self.noise.setValue(spec.noise)
            self.classes.setValue(spec.classes)
            self.data_seed.setValue(spec.seed)
            raw = ("x1", "x2")  # no derived features: the raw inputs, shown ticked
            for name, box in self.features.items():
                box.setChecked(name in (spec.features or raw))
            self.normalization.setCurrentIndex(self.normalization.findData(spec.normalization))
            self.test_percent.setValue(round(spec.test_ratio * 100))
            self.validation_percent.setValue(round(spec.validation_ratio * 100))
            self._show_split(spec.test_ratio, spec.validation_ratio)
            generator = GENERATORS.get(spec.name) if spec.kind == "generator" else None
            for widget in (self.samples, self.noise, self.data_seed):
                widget.setEnabled(generator is not None)
            self.classes.setEnabled(generator is not None and generator.variable_classes)
            two_d = (generator is not None and generator.inputs == 2) or (
                dataset is not None and spec.kind in ("example", "rows") and dataset.inputs == 2
            )
            if dataset is not None and spec.features:
                two_d = True
            self.features_widget.setEnabled(two_d)
            if dataset is not None:
                self.summary.setText(describe(dataset))
        finally:
            self._updating = False

    def _read(self) -> DataSpec:
        kind, name = self.source.currentData() or ("example", "xor")
        if kind == "rows":
            name = self._spec.name if self._spec.kind == "rows" else "drawn"
        features = tuple(name for name, box in self.features.items() if box.isChecked())
        if features == ("x1", "x2"):
            features = ()
        return replace(
            self._spec,
            kind=kind,
            name=name,
            samples=self.samples.value(),
            noise=round(self.noise.value(), 6),
            classes=self.classes.value(),
            seed=self.data_seed.value(),
            features=features if self.features_widget.isEnabled() else (),
            normalization=self.normalization.currentData(),
            test_ratio=self._test_ratio(kind),
            validation_ratio=self.validation_percent.value() / 100,
        )

    def _test_ratio(self, kind: str) -> float:
        """The split shown; switching to generated data starts with 20 % test, so that
        overfitting shows (the tiny built-in tables keep every sample for training)."""
        if kind == "generator" and self._spec.kind != "generator":
            return GENERATED_TEST_RATIO
        return self.test_percent.value() / 100

    def _show_split(self, test_ratio: float, validation_ratio: float) -> str | None:
        """Show the three shares, or why they are refused; returns that reason."""
        problem = check_shares(test_ratio, validation_ratio)
        if problem is not None:
            self.split_problem.setText(_sentence(problem) + " Training needs the rest.")
        self.split_problem.setVisible(problem is not None)
        train = 100 - round(test_ratio * 100) - round(validation_ratio * 100)
        self.split_summary.setText(f"leaves {train} % to train on")
        self.split_summary.setVisible(problem is None)
        return problem

    def _on_edited(self, *_args: object) -> None:
        if self._updating:
            return
        spec = self._read()
        if self._show_split(spec.test_ratio, spec.validation_ratio) is not None:
            return  # the previous spec stays; the message says why
        self._spec = spec
        self.spec_changed.emit(self._spec)


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
