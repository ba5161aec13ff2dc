"""Settings for a command: options given on the command line beat PAPER_PROCESSOR_* variables,
which beat defaults. `paper-processor config` shows them all. Options several commands share
are defined here too."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from pydantic import ValidationError

from ..context import Context
from ..conversion.sizing import describe_workers
from .errors import EXIT_OK, fail


def context_from(**explicit: Any) -> Context:
    """The settings in effect, with the options the user gave (None: not given)."""
    try:
        return Context(**{k: v for k, v in explicit.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        fail(f"setting {field} (PAPER_PROCESSOR_{field.upper()}): {first.get('msg', 'invalid')}")


def _check_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise click.BadParameter(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


workspace_option = click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Artifact store and checkpoints [default: PAPER_PROCESSOR_WORKSPACE or the user cache].",
)


class WorkerCount(click.ParamType):
    """A converter count of at least 1, or `auto` (sized to the machine)."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "auto" or isinstance(value, int):
            return value
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            self.fail(f"{value!r} is neither a count of at least 1 nor auto", param, ctx)
        return count


retrieve_option = click.option(
    "--retrieve-url",
    callback=_check_url,
    help="Base URL of retrieve-academic [default: PAPER_PROCESSOR_RETRIEVE_URL; unset: not used].",
)


@click.command("config")
def config_command() -> int:
    """Show every setting with its environment variable and the value in effect here."""
    ctx = context_from()
    for name in Context.model_fields:
        value = getattr(ctx, name)
        shown = repr("(set)" if name.endswith("api_key") and value is not None else value)
        if name == "conversion_workers":
            shown = describe_workers(ctx)  # what `auto` chose here, and why
        click.echo(f"{name} = {shown}    [PAPER_PROCESSOR_{name.upper()}]")
    return EXIT_OK
