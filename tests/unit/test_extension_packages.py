"""Which Debian package gives an extension on which major (pure: no engine)."""

from __future__ import annotations

from dotbox import images
from dotbox.core import extensions


def test_contrib_and_what_the_base_has_need_no_package() -> None:
    assert extensions.needs(["pgcrypto", "btree_gist", "uuid-ossp"], 15) == ((), ())
    assert extensions.needs(["vector"], 17) == ((), ())  # the 17 and 18 bases carry pgvector


def test_a_packaged_extension_names_its_package_for_the_major() -> None:
    assert extensions.needs(["postgis", "postgis_topology", "hstore"], 15) == (
        ("postgresql-15-postgis-3",),
        (),
    )
    assert extensions.needs(["pg_partman", "plpython3u"], 17).packages == (
        "postgresql-17-partman",
        "postgresql-plpython3-17",
    )


def test_an_extension_a_suite_lacks_is_unavailable_with_where_it_is() -> None:
    assert extensions.needs(["vector", "postgis"], 15) == (
        ("postgresql-15-postgis-3",),
        ("vector",),
    )
    note = extensions.unavailable_note(["vector"], 15)
    assert note is not None and "vector" in note and "packaged for 17, 18" in note
    assert extensions.unavailable_note(["postgis"], 15) is None


def test_an_unknown_extension_is_unavailable_everywhere() -> None:
    assert extensions.needs(["pgsodium"], 17) == ((), ("pgsodium",))
    note = extensions.unavailable_note(["pgsodium"], 17)
    assert note is not None and "pgsodium" in note and "--pg" not in note


def test_a_base_that_adds_packages_has_a_tag_of_its_own() -> None:
    plain = images.base_tag(17)
    postgis = images.base_tag(17, ("postgresql-17-postgis-3",))
    assert plain == "dotbox/base:pg17"
    assert postgis.startswith("dotbox/base:pg17-") and postgis != plain
    assert postgis == images.base_tag(17, ("postgresql-17-postgis-3",))
    assert images.base_tag(17, ("postgresql-17-partman",)) != postgis
