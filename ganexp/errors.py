"""The one error a user's configuration gets."""


class ConfigError(ValueError):
    """A configuration that cannot work; the message names the key and the allowed values."""
