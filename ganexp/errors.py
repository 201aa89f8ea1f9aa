"""The one error a user's configuration gets."""


class ConfigError(ValueError):
    """A configuration that cannot work; the message names the key and the allowed values."""


class RejectionStalled(ValueError):
    """Rejection sampling kept too few of the candidates it drew (the message says how many)."""


def show(value) -> str:
    """A value as the command line writes it (true, false, null), for the one line."""
    words = {True: "true", False: "false", None: "null"}
    return words[value] if value is None or isinstance(value, bool) else str(value)
