"""The settings panel: the architecture editor and the training settings.

It only edits a ``Settings`` value and emits it; the main window applies it to the engine.
Combinations the engine refuses cannot be chosen: the output activations offered depend on
the loss (softmax only with cross-entropy), hidden layers never offer softmax, and a one-line
reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio.engine import (
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    REGULARIZATIONS,
    hidden_activations,
    output_activations,
)

# Derived from the engine's registries: a new activation or loss needs no edit here.
HIDDEN_ACTIVATIONS = hidden_activations()
OUTPUT_ACTIVATIONS = {name: output_activations(name) for name in LOSSES}
LOSS_REASON = {name: loss.requirement for name, loss in LOSSES.items()}
MAX_UNITS = 512
MAX_HIDDEN_LAYERS = 6


@dataclass(frozen=True)
class HiddenLayer:
    units: int = 3
    activation: str = "sigmoid"
    bias: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything the user sets: architecture (hidden layers, output) and training."""

    hidden: tuple[HiddenLayer, ...] = field(default=(HiddenLayer(),))
    output_activation: str = "sigmoid"
    output_bias: bool = True
    loss: str = "mse"
    optimizer: str = "sgd"
    lr: float = 0.5
    batch_size: int | None = None
    shuffle: bool = False
    regularization: str = "none"
    regularization_rate: float = 0.001
    init: str = "xavier"
    seed: int = 0

    def architecture(self) -> tuple:
        """The fields that need a new network when they change."""
        return (
            self.hidden,
            self.output_activation,
            self.output_bias,
            self.loss,
            self.init,
            self.seed,
        )


class _HiddenRow(QWidget):
    changed = Signal()
    removed = Signal(object)

    def __init__(self, number: int, layer: HiddenLayer) -> None:
        super().__init__()
        self.label = QLabel(f"Hidden {number}")
        self.units = QSpinBox()
        self.units.setRange(1, MAX_UNITS)
        self.units.setValue(layer.units)
        self.units.setSuffix(" units")
        self.units.setToolTip(f"Units (neurons) in this hidden layer: 1 to {MAX_UNITS}")
        self.activation = QComboBox()
        self.activation.addItems(HIDDEN_ACTIVATIONS)
        self.activation.setCurrentText(layer.activation)
        self.activation.setToolTip("Activation f of this layer: a = f(z)")
        self.bias = QCheckBox("bias")
        self.bias.setChecked(layer.bias)
        self.bias.setToolTip("Give this layer's units a bias b: z = W a + b")
        self.remove = QToolButton()
        self.remove.setText("−")
        self.remove.setToolTip("Remove this hidden layer")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.units, self.activation, self.bias, self.remove):
            row.addWidget(widget)
        self.units.valueChanged.connect(self.changed)
        self.activation.currentTextChanged.connect(self.changed)
        self.bias.toggled.connect(self.changed)
        self.remove.clicked.connect(lambda: self.removed.emit(self))

    def value(self) -> HiddenLayer:
        return HiddenLayer(self.units.value(), self.activation.currentText(), self.bias.isChecked())


class SettingsPanel(QWidget):
    """Edits ``Settings``; emits ``settings_changed(Settings)`` after every user change."""

    settings_changed = Signal(object)

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings or Settings()
        self._updating = False

        # architecture
        self.hidden_box = QVBoxLayout()
        self.add_layer = QPushButton("Add hidden layer")
        self.add_layer.setToolTip(f"Add a hidden layer (up to {MAX_HIDDEN_LAYERS})")
        self.add_layer.clicked.connect(self._on_add_layer_clicked)
        self.output_activation = QComboBox()
        self.output_activation.setToolTip("Activation of the output layer")
        self.output_bias = QCheckBox("bias")
        self.output_bias.setToolTip("Give the output units a bias")
        self.loss = QComboBox()
        for name, loss in LOSSES.items():
            self.loss.addItem(loss.title, name)
        self.loss.setToolTip("The loss L that training lowers")
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: palette(mid);")
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_activation, 1)
        output_row.addWidget(self.output_bias)

        architecture = QGroupBox("Network")
        form = QFormLayout()
        form.addRow("Loss", self.loss)
        form.addRow("Output", output_row)
        form.addRow(self.reason)
        box = QVBoxLayout(architecture)
        box.addLayout(self.hidden_box)
        box.addWidget(self.add_layer)
        box.addLayout(form)

        # training
        self.optimizer = QComboBox()
        for name, cls in OPTIMIZERS.items():
            self.optimizer.addItem(cls.title, name)
        self.optimizer.setToolTip("How the gradient becomes a weight change")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(0.0001, 100.0)
        self.lr.setSingleStep(0.05)
        self.lr.setToolTip("Learning rate η; can be changed while training runs")
        self.batch = QSpinBox()
        self.batch.setRange(0, 100000)
        self.batch.setSpecialValueText("full batch")
        self.batch.setToolTip("Samples per step: full batch, or 1 for one sample at a time")
        self.shuffle = QCheckBox("Shuffle every epoch")
        self.shuffle.setToolTip("Visit the samples in a new seeded order each epoch")
        self.regularization = QComboBox()
        self.regularization.addItems(REGULARIZATIONS)
        self.regularization.setToolTip("L1: λ Σ|w|;  L2: λ Σ ½w²  (biases are not regularised)")
        self.regularization_rate = QDoubleSpinBox()
        self.regularization_rate.setDecimals(5)
        self.regularization_rate.setRange(0.0, 10.0)
        self.regularization_rate.setSingleStep(0.001)
        self.regularization_rate.setToolTip("Regularisation rate λ")
        self.init = QComboBox()
        self.init.addItems(INITIALIZERS)
        self.init.setToolTip("How Reset draws the initial weights")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed gives the same run")

        training = QGroupBox("Training")
        tform = QFormLayout(training)
        tform.addRow("Optimiser", self.optimizer)
        tform.addRow("Learning rate", self.lr)
        tform.addRow("Batch size", self.batch)
        tform.addRow("", self.shuffle)
        tform.addRow("Regularisation", self.regularization)
        tform.addRow("Rate λ", self.regularization_rate)
        tform.addRow("Initialiser", self.init)
        tform.addRow("Seed", self.seed)

        layout = QVBoxLayout(self)
        layout.addWidget(architecture)
        layout.addWidget(training)
        layout.addStretch(1)

        self.set_settings(self._settings)
        self.loss.currentIndexChanged.connect(self._on_loss_changed)
        for signal in (
            self.output_activation.currentTextChanged,
            self.output_bias.toggled,
            self.optimizer.currentIndexChanged,
            self.lr.valueChanged,
            self.batch.valueChanged,
            self.shuffle.toggled,
            self.regularization.currentTextChanged,
            self.regularization_rate.valueChanged,
            self.init.currentTextChanged,
            self.seed.valueChanged,
        ):
            signal.connect(self._on_edited)

    # -- model -> view ------------------------------------------------------------------------

    def settings(self) -> Settings:
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """Show ``settings`` without emitting ``settings_changed``."""
        self._updating = True
        try:
            self._settings = settings
            self._rebuild_hidden_rows(settings.hidden)
            self.loss.setCurrentIndex(self.loss.findData(settings.loss))
            self._fill_output_activations(settings.loss, settings.output_activation)
            self.output_bias.setChecked(settings.output_bias)
            self.optimizer.setCurrentIndex(self.optimizer.findData(settings.optimizer))
            self.lr.setValue(settings.lr)
            self.batch.setValue(settings.batch_size or 0)
            self.shuffle.setChecked(settings.shuffle)
            self.regularization.setCurrentText(settings.regularization)
            self.regularization_rate.setValue(settings.regularization_rate)
            self.regularization_rate.setEnabled(settings.regularization != "none")
            self.init.setCurrentText(settings.init)
            self.seed.setValue(settings.seed)
            self.reason.setText(LOSS_REASON[settings.loss])
            self.reason.setVisible(bool(LOSS_REASON[settings.loss]))
        finally:
            self._updating = False

    def _rebuild_hidden_rows(self, hidden: tuple[HiddenLayer, ...]) -> None:
        while self.hidden_box.count():
            widget = self.hidden_box.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self._rows: list[_HiddenRow] = []
        for number, layer in enumerate(hidden, start=1):
            row = _HiddenRow(number, layer)
            row.changed.connect(self._on_edited)
            row.removed.connect(self._on_remove_layer)
            self.hidden_box.addWidget(row)
            self._rows.append(row)
        self.add_layer.setEnabled(len(hidden) < MAX_HIDDEN_LAYERS)

    def _fill_output_activations(self, loss: str, current: str) -> None:
        allowed = OUTPUT_ACTIVATIONS[loss]
        self.output_activation.blockSignals(True)
        self.output_activation.clear()
        self.output_activation.addItems(allowed)
        self.output_activation.setCurrentText(current if current in allowed else allowed[0])
        self.output_activation.setEnabled(len(allowed) > 1)
        self.output_activation.blockSignals(False)

    # -- view -> model ------------------------------------------------------------------------

    def _read(self) -> Settings:
        batch = self.batch.value()
        return Settings(
            hidden=tuple(row.value() for row in self._rows),
            output_activation=self.output_activation.currentText(),
            output_bias=self.output_bias.isChecked(),
            loss=self.loss.currentData(),
            optimizer=self.optimizer.currentData(),
            lr=self.lr.value(),
            batch_size=batch or None,
            shuffle=self.shuffle.isChecked(),
            regularization=self.regularization.currentText(),
            regularization_rate=self.regularization_rate.value(),
            init=self.init.currentText(),
            seed=self.seed.value(),
        )

    def _emit(self, settings: Settings) -> None:
        self._settings = settings
        self.regularization_rate.setEnabled(settings.regularization != "none")
        self.settings_changed.emit(settings)

    def _on_edited(self, *_args) -> None:
        if self._updating:
            return
        self._emit(self._read())

    def _on_loss_changed(self, _index: int) -> None:
        if self._updating:
            return
        loss = self.loss.currentData()
        self._fill_output_activations(loss, self.output_activation.currentText())
        self.reason.setText(LOSS_REASON[loss])
        self.reason.setVisible(bool(LOSS_REASON[loss]))
        self._emit(self._read())

    def _on_add_layer_clicked(self) -> None:
        hidden = self._settings.hidden
        if len(hidden) >= MAX_HIDDEN_LAYERS:
            return
        template = hidden[-1] if hidden else HiddenLayer()
        settings = replace(self._read(), hidden=hidden + (template,))
        self.set_settings(settings)
        self._emit(settings)

    def _on_remove_layer(self, row: _HiddenRow) -> None:
        index = self._rows.index(row)
        hidden = tuple(h for i, h in enumerate(self._read().hidden) if i != index)
        settings = replace(self._read(), hidden=hidden)
        self.set_settings(settings)
        self._emit(settings)
