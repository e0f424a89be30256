"""Named exceptions and warnings.

Errors a user can fix (bad input, bad parameters, missing set-up) derive from
:class:`UserInputError`; the command line prints their message and exits with
status 2, without a traceback. Every message says what was received, what was
expected and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "EvalkitError",
    "UserInputError",
    "ConfigurationError",
    "DataError",
    "LedgerError",
    "PackageError",
    "ParameterError",
    "NotebookNotFoundError",
    "MetricsError",
    "CalibrationError",
    "FontError",
    "BrowserError",
    "EstimationError",
    "EvalkitWarning",
]


class EvalkitError(Exception):
    """Base class of every evalkit error."""


class UserInputError(EvalkitError):
    """An error the user can fix; the CLI exits 2 and prints only the message."""


class ConfigurationError(UserInputError):
    """The installation or environment is incomplete (missing folder, kernel, font)."""


class DataError(UserInputError):
    """A data file does not meet its schema.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    file, row, column
        Where (``row`` is the 1-based line in the file, header = line 1).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"column {column!r}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class LedgerError(DataError):
    """The published-figures ledger or its identities are malformed."""


class PackageError(DataError):
    """A data package cannot be opened or does not meet evalkit's contract (every problem listed)."""


class ParameterError(UserInputError):
    """A notebook parameter is unknown or has the wrong type or value."""


class NotebookNotFoundError(UserInputError):
    """No notebook matched where one was expected."""


class EstimationError(UserInputError, ValueError):
    """An estimator cannot run on the data or arguments given (missing column, no comparison units …)."""


class MetricsError(EvalkitError):
    """A metric key or value cannot be written to ``metrics.json``."""


class CalibrationError(EvalkitError):
    """A synthetic draw could not meet its published counts exactly (the generator retries)."""


class FontError(ConfigurationError):
    """The CJK font needed for Chinese labels is not installed."""


class BrowserError(ConfigurationError):
    """No browser to print the year's PDF with, or the browser failed to print a page."""


class EvalkitWarning(UserWarning):
    """Base class of evalkit warnings."""
