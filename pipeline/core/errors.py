"""Errors a user can act on. The CLI turns these into a one-line message and exit status 2."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or invocation, reported without a traceback."""


class FrameworkError(UserError):
    """The framework file cannot be used (missing, unparsable or inconsistent)."""


class ContractError(UserError):
    """An input file does not meet the data contract (for example a required column is missing)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.column = column
        self.row = row


class MissingColumnsError(ContractError):
    """A file's header lacks a column the contract requires (`column` names the first)."""
