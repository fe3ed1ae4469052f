"""The settings panel: the architecture editor and the training settings.

It only edits a ``Settings`` value (``bp_studio.studio.settings``) and emits it; the window
sends the change to the studio.
Combinations the engine refuses cannot be chosen: the output activations offered depend on
the loss (softmax only with cross-entropy), hidden layers never offer softmax, and a one-line
reason says why.
"""

from __future__ import annotations

from dataclasses import replace

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

from bp_studio.engine import INITIALIZERS, LOSSES, OPTIMIZERS, REGULARIZATIONS
from bp_studio.studio.settings import (
    MAX_HIDDEN_LAYERS,
    MAX_PATIENCE,
    MAX_SEED,
    MAX_UNITS,
    HiddenLayer,
    Settings,
    allowed_outputs,
    hidden_activations,
    loss_reason,
)
from bp_studio.ui.section import Section


def compact(box: QComboBox, characters: int = 6) -> QComboBox:
    """Let a combo box be narrower than its longest item (the settings column scrolls
    vertically only): it shows about ``characters`` characters, the list shows them all."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(characters)
    return box


class _HiddenRow(QWidget):
    changed = Signal()
    removed = Signal(object)

    def __init__(self, number: int, layer: HiddenLayer) -> None:
        super().__init__()
        self.label = QLabel(f"{number}")
        self.label.setToolTip(f"Hidden layer {number}")
        self.units = QSpinBox()
        self.units.setRange(1, MAX_UNITS)
        self.units.setValue(layer.units)
        self.units.setToolTip(f"Units (neurons) in hidden layer {number}: 1 to {MAX_UNITS}")
        self.activation = QComboBox()
        self.activation.addItems(hidden_activations())
        self.activation.setCurrentText(layer.activation)
        self.activation.setToolTip("Activation f of this layer: a = f(z)")
        self.bias = QCheckBox("b")
        self.bias.setChecked(layer.bias)
        self.bias.setToolTip(f"Give the units of hidden layer {number} a bias b: z = W a + b")
        self.remove = QToolButton()
        self.remove.setText("−")
        self.remove.setToolTip(f"Remove hidden layer {number}")
        compact(self.activation)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)  # five controls in a row: the settings column stays within 260 px
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
        heading = QLabel("Hidden layers: units, activation, bias (b)")
        heading.setStyleSheet("color: palette(mid);")
        heading.setWordWrap(True)
        box.addWidget(heading)
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
        self.patience = QSpinBox()
        self.patience.setRange(0, MAX_PATIENCE)
        self.patience.setSpecialValueText("off")
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip(
            "Early stopping: stop when the validation loss has not improved for this many "
            "epochs and go back to the weights of the best epoch. Needs a validation share "
            "(Data: Samples, features, split); off: train until you stop"
        )
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
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("Random seed: the same seed gives the same run")

        training = QGroupBox("Training")
        tform = QFormLayout(training)
        tform.addRow("Optimiser", self.optimizer)
        tform.addRow("Learning rate", self.lr)
        tform.addRow("Batch size", self.batch)
        tform.addRow("", self.shuffle)
        tform.addRow("Patience", self.patience)
        # Changed once, if ever: folded away until asked for.
        more = QWidget()
        mform = QFormLayout(more)
        mform.setContentsMargins(0, 0, 0, 0)
        mform.addRow("Regularisation", self.regularization)
        mform.addRow("Rate λ", self.regularization_rate)
        mform.addRow("Initialiser", self.init)
        mform.addRow("Seed", self.seed)
        self.more = Section("Regularisation, seed", more)
        tform.addRow(self.more)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(architecture)
        layout.addWidget(training)
        layout.addStretch(1)

        for combo in (self.output_activation, self.loss, self.optimizer, self.regularization):
            compact(combo)
        compact(self.init)

        self.set_settings(self._settings)
        self.loss.currentIndexChanged.connect(self._on_loss_changed)
        for signal in (
            self.output_activation.currentTextChanged,
            self.output_bias.toggled,
            self.optimizer.currentIndexChanged,
            self.lr.valueChanged,
            self.batch.valueChanged,
            self.shuffle.toggled,
            self.patience.valueChanged,
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
            self.patience.setValue(settings.patience)
            self.regularization.setCurrentText(settings.regularization)
            self.regularization_rate.setValue(settings.regularization_rate)
            self.regularization_rate.setEnabled(settings.regularization != "none")
            self.init.setCurrentText(settings.init)
            self.seed.setValue(settings.seed)
            self.reason.setText(loss_reason(settings.loss))
            self.reason.setVisible(bool(loss_reason(settings.loss)))
        finally:
            self._updating = False

    def _rebuild_hidden_rows(self, hidden: tuple[HiddenLayer, ...]) -> None:
        while self.hidden_box.count():
            item = self.hidden_box.takeAt(0)
            assert item is not None  # the box is not empty
            widget = item.widget()
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
        allowed = allowed_outputs(loss)
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
            patience=self.patience.value(),
            regularization=self.regularization.currentText(),
            regularization_rate=self.regularization_rate.value(),
            init=self.init.currentText(),
            seed=self.seed.value(),
        )

    def _emit(self, settings: Settings) -> None:
        self._settings = settings
        self.regularization_rate.setEnabled(settings.regularization != "none")
        self.settings_changed.emit(settings)

    def _on_edited(self, *_args: object) -> None:
        if self._updating:
            return
        self._emit(self._read())

    def _on_loss_changed(self, _index: int) -> None:
        if self._updating:
            return
        loss = self.loss.currentData()
        self._fill_output_activations(loss, self.output_activation.currentText())
        self.reason.setText(loss_reason(loss))
        self.reason.setVisible(bool(loss_reason(loss)))
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
