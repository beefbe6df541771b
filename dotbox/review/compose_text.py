"""A compose file read the way compose reads it, bounded: YAML with anchors and merge keys,
``${VAR}`` interpolation, env files. Variables come only from the project's own ``.env`` and
what the user passes with ``--env``, never from the host's environment. Pure, no engine.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from dotbox.core.errors import InvalidInput, Refused

MAX_FILE_BYTES = 1 << 20
MAX_VALUES = 50_000  # scalars and collections after aliases are expanded
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_yaml(path: Path) -> Any:
    """The file's YAML, refused if it is large or its aliases expand past ``MAX_VALUES``."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read compose file {path}: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    _count(data, [0], path)
    return data


def _count(node: Any, seen: list[int], path: Path) -> None:
    seen[0] += 1
    if seen[0] > MAX_VALUES:
        raise InvalidInput(
            f"{path} expands to more than {MAX_VALUES:,} values (YAML aliases?); refused"
        )
    if isinstance(node, dict):
        for key, value in node.items():
            _count(key, seen, path)
            _count(value, seen, path)
    elif isinstance(node, list):
        for item in node:
            _count(item, seen, path)


def interpolate(node: Any, variables: dict[str, str], where: str = "") -> Any:
    """Every string value with ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``,
    ``${VAR:?e}``, ``${VAR?e}``, ``${VAR:+r}``, ``${VAR+r}`` and ``$$`` resolved as compose
    does, from ``variables`` alone (unset: empty). Keys are kept as written."""
    if isinstance(node, dict):
        return {
            k: interpolate(v, variables, f"{where}.{k}" if where else str(k))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [interpolate(v, variables, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str) and "$" in node:
        return _substitute(node, variables, where)
    return node


def _substitute(text: str, variables: dict[str, str], where: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2, where)
            out.append(_braced(text[i + 2 : end], variables, where))
            i = end + 1
        elif m := _NAME.match(text, i + 1):
            out.append(variables.get(m.group(), ""))
            i = m.end()
        else:
            raise InvalidInput(f"{where}: invalid interpolation {text!r} (write $$ for a '$')")
    return "".join(out)


def _closing_brace(text: str, start: int, where: str) -> int:
    depth = 1
    for j in range(start, len(text)):
        if text[j] == "{" and text[j - 1] == "$":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise InvalidInput(f"{where}: unterminated '${{' in {text!r}")


def _braced(body: str, variables: dict[str, str], where: str) -> str:
    m = _NAME.match(body)
    if m is None:
        raise InvalidInput(f"{where}: invalid interpolation '${{{body}}}'")
    name, rest = m.group(), body[m.end() :]
    value = variables.get(name)
    if rest == "":
        return value or ""
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = _substitute(rest[len(op) :], variables, where)
            present = bool(value) if op.startswith(":") else value is not None
            if op.endswith("-"):
                return value if present and value is not None else arg
            if op.endswith("+"):
                return arg if present else ""
            if not present:
                raise Refused(f"{where}: variable {name} is required: {arg or 'not set'}")
            return value or ""
    raise InvalidInput(f"{where}: invalid interpolation '${{{body}}}'")


def inside(project: Path, path: Path, what: str) -> Path:
    """``path`` (relative to ``project``) with every link resolved, refused unless it stays in
    the project."""
    resolved = Path(os.path.realpath(project / path))
    if resolved != project and project not in resolved.parents:
        raise Refused(f"{what} {path}: outside the project directory {project}")
    return resolved


def env_file(project: Path, name: str, what: str) -> dict[str, str]:
    """KEY=VALUE lines of an env file inside the project (compose's syntax: ``#`` comments,
    optional quotes, no interpolation)."""
    path = inside(project, Path(name), what)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{what} {name}: not a regular file")
        text = path.read_text()
    except OSError as exc:
        raise InvalidInput(f"{what} {name}: {exc.strerror}") from None
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not _NAME.fullmatch(key):
            raise InvalidInput(f"{what} {name}:{number}: not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value if sep else ""
    return out


def project_variables(project: Path, given: dict[str, str]) -> dict[str, str]:
    """The variables interpolation may use: the project's ``.env`` (if any), then ``given``."""
    found = env_file(project, ".env", "env file") if (project / ".env").exists() else {}
    return {**found, **given}
