"""YAML input files (vocabularies, checks, harness cases) read with the line of every value, so
that a refusal names ``FILE:LINE``. Duplicate keys are refused, not silently overwritten."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dotbox.core.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class YamlDoc:
    """Plain data from a YAML file plus the line (1-based) where each value starts."""

    def __init__(self, path: Path, data: Any, lines: dict[Loc, int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def line(self, loc: Loc) -> int:
        """The line of ``loc``, or of its nearest enclosing value that has one."""
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def error(self, loc: Loc, message: str) -> InvalidInput:
        return InvalidInput(f"{self.path}:{self.line(loc)}: {message}")


def load(path: Path) -> YamlDoc:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # an end of stream after the last newline is reported on the line after it
        line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidInput(f"{path}:{line}: not valid YAML: {problem}") from None
    lines: dict[Loc, int] = {}
    if node is None:
        return YamlDoc(path, None, lines)
    return YamlDoc(path, _Walk(path, lines).plain(node, ()), lines)


class _Walk:
    def __init__(self, path: Path, lines: dict[Loc, int]) -> None:
        self.path, self.lines = path, lines
        self.loader = yaml.SafeLoader("")

    def plain(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(self.scalar(key_node))
                if key in out:
                    raise InvalidInput(
                        f"{self.path}:{key_node.start_mark.line + 1}: duplicate key {key!r}"
                        f" (first at line {self.lines[(*loc, key)]})"
                    )
                out[key] = self.plain(value_node, (*loc, key))
                self.lines[(*loc, key)] = key_node.start_mark.line + 1  # the key's line
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.plain(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            line = node.start_mark.line + 1
            raise InvalidInput(f"{self.path}:{line}: a key must be a plain value")
        try:
            return self.loader.construct_object(node)
        except yaml.YAMLError as exc:
            line = node.start_mark.line + 1
            problem = getattr(exc, "problem", None) or "unsupported value"
            raise InvalidInput(f"{self.path}:{line}: not a plain YAML value: {problem}") from None


def parse(doc: YamlDoc, model: type[M]) -> M:
    """Validate the document against ``model``; the first problem is refused with its line."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc: Loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc) or "the file"
        if first["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif first["type"] == "missing":
            message = f"{where} is missing"
        else:
            message = f"{where}: {first['msg']}"
        raise doc.error(loc, message) from None
