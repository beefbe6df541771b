import re
from pathlib import Path

from dotbox.cli.command_index import EXIT_TABLE
from dotbox.core.errors import EXIT_CODES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_and_help_list_the_same_exit_codes() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README.read_text(), re.MULTILINE))
    assert {int(k): v for k, v in table.items()} == EXIT_CODES
    for code, text in EXIT_CODES.items():
        assert f"{code}  {text}" in EXIT_TABLE
