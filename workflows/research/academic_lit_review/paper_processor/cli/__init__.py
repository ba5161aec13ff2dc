"""The `paper-processor` command line: the only place that owns the terminal.

    paper-processor run PAPERS --out DIR     papers in, DIR/<paper>.md and DIR/manifest.jsonl out
    paper-processor doctor                   what this machine will do, and what is reachable
    paper-processor config                   every setting, its variable and its value here
    paper-processor demo --out DIR           generated papers from loopback fakes, offline

Errors a user can fix (an unreadable input file, bad JSON, a bad option or setting) end the
command with exit code 2 and one line on stderr, never a traceback. A run that finishes exits 0
even when some papers failed: each paper's failure is data in the manifest. Systemic failures
exit 1 and say how to resume.

One module per command (run, doctor, config, demo); `group` is the command group and its
error handling, `report` the run's live display and closing report, `papers` the input file.
The conversion itself is the library's `run.run_papers`.
"""

from __future__ import annotations

from .config import config_command
from .demo import demo_command
from .doctor import doctor_command
from .group import main
from .run import run_command

for _command in (run_command, doctor_command, demo_command, config_command):
    main.add_command(_command)

__all__ = ["main"]
