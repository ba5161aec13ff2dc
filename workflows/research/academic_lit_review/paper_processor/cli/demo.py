"""`paper-processor demo`: generated papers served by loopback fakes, converted offline."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the markdown and the manifest go.",
)
def demo_command(out_dir: Path) -> int:
    """Run on generated papers served by loopback fakes: offline, with the real converter."""
    from ..demo import run_demo

    return run_demo(out_dir)
