"""Errors a user can act on. The CLI edge maps each to one line on stderr and exit 1."""


class RnnCliError(Exception):
    """Base class: the message says what is wrong and how to fix it."""

    exit_code = 1


class DataError(RnnCliError):
    """The input data is unusable: missing file or column, bad values, too short."""


class ConfigError(RnnCliError):
    """An option or a YAML config value is invalid."""


class ArtifactError(RnnCliError):
    """A model directory is missing, incomplete, corrupt or from a newer rnncli."""


class TrainingError(RnnCliError):
    """Training failed in a way the user can fix (NaN loss, no GPU, ...)."""
