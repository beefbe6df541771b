"""The ``dotbox`` command's entry point (console script and ``python -m dotbox``).

It tells ``dotbox.cli`` to register only the command being run (see ``dotbox.cli.COMMANDS``)
instead of all of them, which keeps ``dotbox list`` and ``dotbox --help`` fast. Importing
``dotbox.cli`` any other way (tests, docs generation) registers every command, as before.
"""

from __future__ import annotations

LAZY = False  # set by main() before dotbox.cli is imported


def main() -> None:
    global LAZY
    LAZY = True
    from dotbox.cli import main as cli_main

    cli_main()
