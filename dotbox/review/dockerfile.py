"""What a Dockerfile makes the engine fetch: the images its ``FROM`` and ``COPY --from`` name,
and ``ADD`` sources. A review build may use only images already on the engine (dotbox never
pulls: a pull opens a connection to whatever registry the name says) and only local ``ADD``
sources (a URL would be fetched by the engine, from the host's network). Pure text, no engine.
"""

from __future__ import annotations

import re

from dotbox.core.errors import Refused

_ARG_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_ESCAPE = re.compile(r"#\s*escape\s*=\s*(\S)", re.IGNORECASE)


def instructions(text: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = text.splitlines()
    escape = "\\"
    for line in lines:
        if not line.startswith("#"):
            break
        if m := _ESCAPE.match(line):
            escape = m.group(1)
    out: list[tuple[int, str, str]] = []
    buffer, start = "", 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith(escape):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        word, _, rest = buffer.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        buffer = ""
    if buffer:
        word, _, rest = buffer.partition(" ")
        out.append((start, word.upper(), rest.strip()))
    return out


def images(text: str, build_args: dict[str, str], origin: str) -> tuple[str, ...]:
    """The images the Dockerfile builds from; refused where the engine would fetch anything."""
    args: dict[str, str] = {}
    stages: set[str] = set()
    index = 0
    found: list[str] = []
    for line, word, rest in instructions(text):
        at = f"{origin}:{line}"
        if word == "ARG":
            name, _, default = rest.partition("=")
            args[name.strip()] = build_args.get(name.strip(), default.strip().strip("\"'"))
        elif word == "FROM":
            found += _from_image(rest, args, stages, at)
            stages.add(str(index))
            index += 1
        elif word in ("COPY", "ADD"):
            found += _copy_from_images(rest, args, stages, at)
            if word == "ADD":
                _refuse_add_from_url(rest, at)
    if not found and not stages:
        raise Refused(f"{origin}: no FROM instruction")
    return tuple(dict.fromkeys(found))


def _from_image(rest: str, args: dict[str, str], stages: set[str], at: str) -> list[str]:
    """The image a ``FROM`` builds on, unless it is scratch or an earlier stage; a stage it
    names (``AS NAME``) is added to ``stages``."""
    parts = rest.split()
    if any(p.startswith("--") for p in parts):
        raise Refused(f"{at}: FROM options ({parts[0]}) are not supported")
    ref = _expand(parts[0] if parts else "", args, at)
    found = [ref] if ref.lower() != "scratch" and ref not in stages else []
    if len(parts) >= 3 and parts[1].upper() == "AS":
        stages.add(parts[2])
    return found


def _copy_from_images(rest: str, args: dict[str, str], stages: set[str], at: str) -> list[str]:
    """The images a ``COPY --from`` (or ``ADD --from``) names that are not earlier stages."""
    found: list[str] = []
    for flag in rest.split():
        if not flag.startswith("--"):
            break
        if flag.startswith("--from="):
            ref = _expand(flag.removeprefix("--from="), args, at)
            if ref not in stages:
                found.append(ref)
    return found


def _refuse_add_from_url(rest: str, at: str) -> None:
    if re.search(r"[A-Za-z][A-Za-z0-9+.-]*://|git@", rest):
        raise Refused(f"{at}: ADD from a URL would be fetched by the engine; refused")


def _expand(ref: str, args: dict[str, str], at: str) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in args:
            raise Refused(f"{at}: {m.group()} is not a declared ARG; the image must be known")
        return args[name]

    expanded = _ARG_REF.sub(value, ref)
    if "$" in expanded:
        raise Refused(f"{at}: {ref}: only plain ${{ARG}} references are resolved in an image name")
    if not expanded:
        raise Refused(f"{at}: FROM names no image")
    return expanded
