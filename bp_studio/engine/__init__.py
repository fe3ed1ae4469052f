"""The backpropagation engine (numpy only, float64): networks, the four phases, training.

```python
from bp_studio.engine import Network
net = Network.create([2, 4, 1], activations=["tanh", "sigmoid"], loss="mse", seed=0)
history = net.train(X, Y, epochs=100, lr=0.5)
```
"""

from bp_studio.engine.activations import (
    ACTIVATIONS,
    Activation,
    get_activation,
    hidden_activations,
)
from bp_studio.engine.diagnostics import LayerHealth, layer_health, step_health
from bp_studio.engine.early_stopping import (
    EarlyStopping,
    EarlyStoppingResult,
    train_with_early_stopping,
    validation_loss,
)
from bp_studio.engine.gradcheck import (
    GradientCheck,
    check_gradients,
    gradient_check,
    numerical_gradient,
)
from bp_studio.engine.history import TrainingHistory, rewind
from bp_studio.engine.initializers import INITIALIZER_TABLE, INITIALIZERS, Initializer
from bp_studio.engine.losses import (
    LOSSES,
    Loss,
    check_output_activation,
    get_loss,
    output_activations,
    output_losses,
)
from bp_studio.engine.network import Layer, Network, check_architecture
from bp_studio.engine.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from bp_studio.engine.phases import backward, error, forward
from bp_studio.engine.records import (
    BackwardRecord,
    ErrorRecord,
    ForwardRecord,
    LayerBackward,
    LayerForward,
    Parameters,
    Phase,
    StepRecord,
    UpdateRecord,
)
from bp_studio.engine.regularization import REGULARIZATIONS, Regularization
from bp_studio.engine.trainer import StepProgress, Trainer, TrainingDiverged, prepare_targets
from bp_studio.engine.trainer_state import TrainerState

__all__ = [
    "ACTIVATIONS",
    "INITIALIZER_TABLE",
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "REGULARIZATIONS",
    "Activation",
    "BackwardRecord",
    "EarlyStopping",
    "EarlyStoppingResult",
    "ErrorRecord",
    "ForwardRecord",
    "GradientCheck",
    "Initializer",
    "Layer",
    "LayerHealth",
    "LayerBackward",
    "LayerForward",
    "Loss",
    "Network",
    "Optimizer",
    "Parameters",
    "Phase",
    "Regularization",
    "StepProgress",
    "StepRecord",
    "Trainer",
    "TrainerState",
    "TrainingDiverged",
    "TrainingHistory",
    "UpdateRecord",
    "backward",
    "check_architecture",
    "check_gradients",
    "check_output_activation",
    "error",
    "forward",
    "get_activation",
    "get_loss",
    "gradient_check",
    "hidden_activations",
    "layer_health",
    "make_optimizer",
    "numerical_gradient",
    "output_activations",
    "output_losses",
    "prepare_targets",
    "rewind",
    "step_health",
    "train_with_early_stopping",
    "validation_loss",
]
