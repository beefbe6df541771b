"""Text made from the catalogue: help sections, the facet table, the registry manifest and the
per-primitive docs pages. Generated from one place, so help, docs and registry cannot disagree."""

from __future__ import annotations

import textwrap
from typing import Any

from dotbox.primitives.catalogue import ENTRIES, Entry

SECTIONS = (
    "PURPOSE",
    "WHEN TO USE",
    "WHEN NOT",
    "INPUTS",
    "DRY-RUN",
    "EXECUTE",
    "VERIFY",
    "ROLLBACK",
    "EXIT CODES",
    "EXAMPLES",
)


def _wrap(text: str) -> str:
    return textwrap.fill(text, 78, initial_indent="  ", subsequent_indent="  ")


def sections(entry: Entry) -> list[tuple[str, str]]:
    d = entry.describe
    return [
        ("PURPOSE", _wrap(d.purpose)),
        ("WHEN TO USE", _wrap(d.when_to_use)),
        ("WHEN NOT", _wrap(d.when_not)),
        ("INPUTS", "\n".join(f"  {k}: {v}" for k, v in d.inputs.items())),
        ("DRY-RUN", _wrap(d.dry_run)),
        ("EXECUTE", _wrap(d.execute)),
        ("VERIFY", _wrap(d.verify)),
        ("ROLLBACK", _wrap(d.rollback)),
        ("EXIT CODES", "\n".join(f"  {c:>3}  {t}" for c, t in sorted(d.exit_codes.items()))),
        ("EXAMPLES", "\n".join(f"  {e}" for e in d.examples)),
    ]


def help_text(entry: Entry) -> str:
    return "\n\n".join(f"{title}\n{body}" for title, body in sections(entry))


def facets(entry: Entry) -> dict[str, str]:
    """The eight facets of the lifecycle, as the catalogue states them."""
    d = entry.describe
    return {
        "describe": d.purpose,
        "contract": "typed inputs, validated before anything happens: " + ", ".join(d.inputs),
        "guard": d.guard,
        "plan": d.dry_run,
        "apply": d.execute,
        "verify": d.verify,
        "rollback": d.rollback,
        "evidence": d.evidence,
    }


def catalogue_data() -> list[dict[str, Any]]:
    return [
        {
            "code": e.code,
            "name": e.name,
            "command": e.command,
            "script": e.script,
            "facets": facets(e),
            "exit_codes": e.describe.exit_codes,
        }
        for e in ENTRIES.values()
    ]


def _module_name(entry: Entry) -> str:
    return (
        "primitives/"
        + {
            "sandbox-create": "create",
            "sandbox-drop": "drop",
            "vocab-build": "vocab_build",
            "verify": "verify",
            "bad-input-harness": "bad_input_harness",
            "evidence-readback": "readback",
            "apply": "apply",
        }[entry.name]
        + ".py"
    )


def code_sha256(entry: Entry) -> str:
    """sha256 of the installed code that carries the primitive: its module, the lifecycle
    runner and the catalogue."""
    import hashlib  # here, not at the top: every CLI start imports this module
    from importlib import resources

    h = hashlib.sha256()
    for name in (_module_name(entry), "primitives/facets.py", "primitives/catalogue.py"):
        h.update(resources.files("dotbox").joinpath(name).read_bytes())
    return h.hexdigest()


def registry_manifest() -> dict[str, Any]:
    """What a governance toolkit loads: one entry per primitive."""
    from importlib import metadata

    try:
        version = metadata.version("dotbox")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    return {
        "registry": "dotbox",
        "version": version,
        "tools": [
            {
                "code": e.code,
                "name": e.script or e.name,
                "primitive": e.name,
                "entry_point": f"dotbox.cli.governance_scripts:{e.name.replace('-', '_')}"
                if e.script
                else "dotbox.cli.toplevel:main",
                "command": e.command,
                "version": version,
                "sha256": code_sha256(e),
                "facets": facets(e),
                "exit_codes": {str(k): v for k, v in e.describe.exit_codes.items()},
            }
            for e in ENTRIES.values()
        ],
    }


def docs_page(entry: Entry) -> str:
    """docs/primitives/NAME.md"""
    lines = [f"# {entry.name} ({entry.code})", ""]
    lines.append(f"`{entry.command}`" + (f" · `{entry.script}`" if entry.script else ""))
    lines.append("")
    generated = "generated from dotbox/primitives/catalogue.py by `make docs`: do not edit"
    lines.append(f"<!-- {generated} -->")
    for title, body in sections(entry):
        lines += ["", f"## {title.title()}", "", textwrap.dedent(body)]
    lines += ["", "## The eight facets", "", "| facet | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facets(entry).items()]
    return "\n".join(lines) + "\n"
