"""The primitives under the names the governance toolkit expects (``dot-…``, the console scripts
of pyproject.toml), an argparse front end generated from the catalogue. Its conventions: a dry
run unless ``--execute`` is given, ``--help`` with fixed sections, JSON on stdout, the documented
exit codes. An error is reported by the ``dotbox`` command's own handler
(``dotbox.cli.one_line_errors.exit_code``): one line, ``dot-…: error: …``."""

from __future__ import annotations

import argparse
import json
import sys
import typing
from collections.abc import Callable
from typing import Any

from dotbox.cli import help_text
from dotbox.core.records import jsonable
from dotbox.primitives.catalogue import ENTRIES, Entry


def _parser(entry: Entry) -> argparse.ArgumentParser:
    from dotbox.primitives.inputs import fields
    from dotbox.primitives.registry import CATALOGUE

    parser = argparse.ArgumentParser(
        prog=entry.script,
        description=help_text.help_text(entry),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--execute", action="store_true", help="act (without it: a dry run that prints the plan)"
    )
    for name, (annotation, required) in fields(CATALOGUE[entry.name].inputs).items():
        flag = "--" + name.replace("_", "-")
        meaning = entry.describe.inputs[name]
        if annotation is bool:
            parser.add_argument(flag, action="store_true", dest=name, help=meaning)
        elif typing.get_origin(annotation) is list:
            parser.add_argument(flag, nargs="+", dest=name, help=meaning, required=True)
        else:
            parser.add_argument(flag, dest=name, help=meaning, required=required)
    return parser


def main(name: str, argv: list[str] | None = None) -> int:
    from dotbox.cli.one_line_errors import exit_code
    from dotbox.core.errors import DotboxError
    from dotbox.primitives.facets import run
    from dotbox.primitives.registry import CATALOGUE

    entry = ENTRIES[name]
    args = vars(_parser(entry).parse_args(argv))
    execute = args.pop("execute")
    raw = {k: v for k, v in args.items() if v is not None}
    kind = CATALOGUE[name]
    try:
        outcome = run(kind(), raw, dry_run=not execute)
    except (DotboxError, OSError, KeyboardInterrupt) as exc:
        return exit_code(exc, entry.script or name)  # as the dotbox command's errors
    out: dict[str, Any] = jsonable(outcome)
    if not execute:
        out["note"] = "dry run: nothing was done; add --execute to act"
    print(json.dumps({**out, "ok": outcome.ok}, indent=2))
    return 0 if outcome.ok else kind.failure.exit_code


def _entry_point(name: str) -> Callable[[], None]:
    def script() -> None:
        sys.exit(main(name))

    script.__name__ = name.replace("-", "_")
    return script


sandbox_create = _entry_point("sandbox-create")
sandbox_drop = _entry_point("sandbox-drop")
vocab_build = _entry_point("vocab-build")
verify = _entry_point("verify")
bad_input_harness = _entry_point("bad-input-harness")
evidence_readback = _entry_point("evidence-readback")

__all__ = [
    "bad_input_harness",
    "evidence_readback",
    "main",
    "sandbox_create",
    "sandbox_drop",
    "verify",
    "vocab_build",
]
