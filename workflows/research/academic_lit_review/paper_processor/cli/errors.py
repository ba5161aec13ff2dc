"""Exit codes and the one-line messages of the command line."""

from __future__ import annotations

from typing import NoReturn

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UserError(click.ClickException):
    """Something the user can fix: bad input file, option or setting. Exit code 2."""

    exit_code = EXIT_USAGE


def fail(message: str) -> NoReturn:
    raise UserError(message)


def print_error(message: str) -> None:
    # One line, whatever the message held (pydantic and JSON messages can span lines).
    click.echo(f"error: {' '.join(message.split())}", err=True)


def notice(message: str) -> None:
    click.echo(message, err=True)
