"""The `paper-processor` command group: click, with errors as one line and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from .errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, print_error


class CommandLine(click.Group):
    """Click group whose errors are one line on stderr (click's own are multi-line usage dumps).

    `main(args, standalone_mode=False)` returns the exit code instead of exiting, so a caller
    can run the command line in-process.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = self._exit_code(args, prog_name or "paper-processor", complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _exit_code(
        self, args: Sequence[str] | None, prog_name: str, complete_var: str | None, **extra: Any
    ) -> int:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `paper-processor` alone: the help
            click.echo(exc.format_message(), err=True)
            return EXIT_USAGE
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            print_error(f"{exc.format_message()}{hint}")
            return exc.exit_code
        except click.Abort:
            print_error("interrupted")
            return EXIT_INTERRUPTED
        return result if isinstance(result, int) else EXIT_OK


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Turn academic papers into markdown full texts: open-access PDFs and retrieve-academic in,
    marker markdown out."""
