"""The studio's one error: a command that cannot be done now or with these values."""


class StudioError(ValueError):
    """A command that cannot be done now or with these values; the message says why."""
