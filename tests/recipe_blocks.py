"""The fenced blocks of a recipe in docs/recipes, and the one bash script that runs them.

A block whose info string has ``file=PATH`` is a file of the project (``python file=app.py``);
a ``sh`` block is commands a user types; any other block (``console``, ``text``, ``dockerfile``
without ``file=``, …) is shown, not run; so is a ``sh builds-image`` block, which builds the
app's image where its registry is reachable (a test builds its own and passes it in
``$IMAGE``). A recipe is run as written: its files and shell blocks
in the order they appear, in one ``bash`` with ``set -euo pipefail``, each shell block's output
after a marker line of its own, so a test can read what each block printed."""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "recipes"
MARKER = "::recipe-block {}::"
_FENCE = re.compile(r"^(`{3,})(.*)$")
_DOTBOX = re.compile(r"(?:^|[\s(;&|])dotbox[ \t]+(?=([^\n]*))")
_STOP = re.compile(r"\s--(?:\s|$)|[|;&)]|\s#")


class MalformedRecipe(ValueError):
    pass


@dataclass(frozen=True)
class Block:
    line: int  # of its opening fence, 1-based
    info: str
    text: str

    @property
    def lang(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def file(self) -> str | None:
        for word in self.info.split()[1:]:
            if word.startswith("file="):
                return word.removeprefix("file=")
        return None

    @property
    def is_shell(self) -> bool:
        return self.lang == "sh" and self.file is None and not self.builds_image

    @property
    def builds_image(self) -> bool:
        return self.lang == "sh" and "builds-image" in self.info.split()[1:]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a markdown file; a fence left open or a bad file= is refused."""
    found: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2).strip()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == fence), None)
        if end is None:
            raise MalformedRecipe(f"{path.name}:{i + 1}: the block opened here is never closed")
        block = Block(i + 1, info, "".join(x + "\n" for x in lines[i + 1 : end]))
        _check(path, block)
        found.append(block)
        i = end + 1
    return found


def _check(path: Path, block: Block) -> None:
    where = f"{path.name}:{block.line}"
    if not block.lang:
        raise MalformedRecipe(f"{where}: a block needs a language (sh, python, …)")
    name = block.file
    if name is None:
        return
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts:
        raise MalformedRecipe(f"{where}: file={name!r} must be a relative path inside the project")
    if block.lang == "sh":
        raise MalformedRecipe(f"{where}: a sh block is run; a file needs its own language")


def script(recipe: Path) -> str:
    """The recipe as one bash script: its files written, its shell blocks run, in order."""
    parts = ["set -euo pipefail"]
    seen: set[str] = set()
    for n, block in enumerate(blocks(recipe)):
        name = block.file
        if name is not None:
            if name in seen:
                raise MalformedRecipe(f"{recipe.name}:{block.line}: file={name} written twice")
            seen.add(name)
            parts.append(_heredoc(name, block.text))
        elif block.is_shell:
            parts.append(f"echo '{MARKER.format(n)}'")
            parts.append(block.text)
    return "\n".join(parts) + "\n"


def _heredoc(name: str, text: str) -> str:
    end = "RECIPE_FILE_END"
    if end in text:
        raise MalformedRecipe(f"file={name} holds {end}")
    quoted = shlex.quote(name)
    return f"mkdir -p \"$(dirname {quoted})\"\ncat > {quoted} <<'{end}'\n{text}{end}"


def outputs(recipe: Path, printed: str) -> dict[str, str]:
    """What each shell block printed, by the block's text."""
    shell = {n: b for n, b in enumerate(blocks(recipe)) if b.is_shell}
    pieces = re.split(r"^::recipe-block (\d+)::$", printed, flags=re.M)
    return {shell[int(n)].text: out for n, out in zip(pieces[1::2], pieces[2::2], strict=True)}


def commands(block: Block) -> list[tuple[list[str], list[str]]]:
    """The dotbox commands of a shell block: (subcommand words, options given) of each, read up
    to a shell operator, a closing parenthesis or ``--`` (what follows is another program's)."""
    joined = block.text.replace("\\\n", " ")
    found = []
    for match in _DOTBOX.finditer(joined):
        words = _STOP.split(match.group(1), maxsplit=1)[0].split()
        path = list(itertools.takewhile(lambda w: re.fullmatch(r"[a-z][a-z-]*", w), words))
        found.append((path, [w.split("=")[0] for w in words if w.startswith("-")]))
    return found
