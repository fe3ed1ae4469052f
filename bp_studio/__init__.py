"""BP Studio: make backpropagation visible."""

__version__ = "0.1.0"

# The network file format: registers ``Network.load``/``Network.save`` (the engine imports no
# files module itself).
from bp_studio.io import network_file as _network_file  # noqa: E402, F401
