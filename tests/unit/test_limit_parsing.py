import pytest

from dotbox.core import limits
from dotbox.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "size"),
    [("512m", 512 << 20), ("1g", 1 << 30), ("1.5G", 3 << 29), ("256MiB", 256 << 20), ("7", 7)],
)
def test_parse_size(text: str, size: int) -> None:
    assert limits.parse_size(text, "--memory") == size


@pytest.mark.parametrize("text", ["", "m", "12 parsecs", "-1g", "1t"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a size"):
        limits.parse_size(text, "--memory")


def test_disk_cap_raises_the_memory_limit_and_moves_the_data_directory() -> None:
    capped = limits.make(memory="256m", disk="1g")
    assert capped.engine_memory_bytes == (256 << 20) + (1 << 30)
    assert limits.tmpfs(capped) == {limits.CAPPED_DATA: f"size={1 << 30},mode=1777"}
    entry = limits.entrypoint(capped, "/var/lib/postgresql/dotbox", 17, ["-c", "hba_file=/h"])
    assert entry is not None and "cp -a /var/lib/postgresql/dotbox/." in entry[2]
    assert entry[2].endswith('-D /var/lib/postgresql/capped/data -c hba_file=/h "$@"')
    assert limits.entrypoint(limits.DEFAULT, "/x", 17, []) is None
    assert limits.tmpfs(limits.DEFAULT) == {}
