"""BP Studio: make backpropagation visible."""

__version__ = "0.1.0"
