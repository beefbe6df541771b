import pytest

from dotbox.core import limits
from dotbox.core.errors import InvalidInput, Refused


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


SCRATCH = {
    "dotbox.scratch": "/var/lib/postgresql/scratch/PG_17_202406281",
    "dotbox.scratch-owner": "100:102",
}


def test_the_scratch_tmpfs_is_half_the_memory_owned_by_the_server() -> None:
    assert limits.scratch(SCRATCH, limits.DEFAULT) == {
        SCRATCH["dotbox.scratch"]: f"size={256 << 20},mode=0700,uid=100,gid=102"
    }
    assert limits.scratch(SCRATCH, limits.make(memory="2g"))[SCRATCH["dotbox.scratch"]].startswith(
        f"size={1 << 30},"
    )
    assert limits.scratch(SCRATCH, limits.make(memory="256m")) == {}  # on disk below 512m
    assert limits.scratch({}, limits.DEFAULT) == {}  # an image baked without one


@pytest.mark.parametrize(
    "labels",
    [
        {**SCRATCH, "dotbox.scratch": "/etc"},
        {**SCRATCH, "dotbox.scratch": "/var/lib/postgresql/scratch/PG_17_1/../../../.."},
        {**SCRATCH, "dotbox.scratch-owner": "0:0,size=100g"},  # mount options smuggled in
        {**SCRATCH, "dotbox.scratch-owner": "postgres:postgres"},
        {"dotbox.scratch": SCRATCH["dotbox.scratch"]},
    ],
)
def test_scratch_labels_that_are_not_dotboxs_are_refused(labels: dict[str, str]) -> None:
    with pytest.raises(Refused):
        limits.scratch(labels, limits.DEFAULT)
