"""The backpropagation engine (numpy only, float64): networks, the four phases, training.

```python
from bp_studio.engine import Network
net = Network.create([2, 4, 1], activations=["tanh", "sigmoid"], loss="mse", seed=0)
history = net.train(X, Y, epochs=100, lr=0.5)
```
"""

from bp_studio.engine.activations import ACTIVATIONS, Activation, get_activation
from bp_studio.engine.gradcheck import gradient_check, numerical_gradient
from bp_studio.engine.history import TrainingHistory, rewind
from bp_studio.engine.initializers import INITIALIZERS
from bp_studio.engine.losses import LOSSES, Loss, check_output_activation, get_loss
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
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "REGULARIZATIONS",
    "Activation",
    "BackwardRecord",
    "ErrorRecord",
    "ForwardRecord",
    "Layer",
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
    "check_output_activation",
    "error",
    "forward",
    "get_activation",
    "get_loss",
    "gradient_check",
    "make_optimizer",
    "numerical_gradient",
    "prepare_targets",
    "rewind",
]
