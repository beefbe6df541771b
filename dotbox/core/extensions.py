"""Which Debian package gives a PostgreSQL extension, per major: a snapshot that needs one the
base image lacks bakes on a base that adds that package (``images.base_image``).

The majors are the suites the offline bases come from (15: bookworm, 17: trixie, 18: sid), read
from each suite's package index; an extension whose package a suite lacks is unavailable there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

# In the server package itself (postgresql-NN: its contrib modules and PL/pgSQL).
CONTRIB = frozenset(
    [
        "adminpack",
        "amcheck",
        "autoinc",
        "bloom",
        "bool_plperl",
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "dblink",
        "dict_int",
        "dict_xsyn",
        "earthdistance",
        "file_fdw",
        "fuzzystrmatch",
        "hstore",
        "insert_username",
        "intagg",
        "intarray",
        "isn",
        "lo",
        "ltree",
        "moddatetime",
        "old_snapshot",
        "pageinspect",
        "pg_buffercache",
        "pg_freespacemap",
        "pg_logicalinspect",
        "pg_prewarm",
        "pg_stat_statements",
        "pg_surgery",
        "pg_trgm",
        "pg_visibility",
        "pg_walinspect",
        "pgcrypto",
        "pgrowlocks",
        "pgstattuple",
        "plpgsql",
        "postgres_fdw",
        "refint",
        "seg",
        "sslinfo",
        "tablefunc",
        "tcn",
        "tsm_system_rows",
        "tsm_system_time",
        "unaccent",
        "uuid-ossp",
        "xml2",
    ]
)

ALL_MAJORS = (15, 17, 18)
# Package name ({major} filled in) -> the extensions it carries and the majors it exists for.
_PACKAGES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "postgresql-{major}-postgis-3": (
        (
            "postgis",
            "postgis_raster",
            "postgis_topology",
            "postgis_sfcgal",
            "postgis_tiger_geocoder",
            "address_standardizer",
            "address_standardizer_data_us",
        ),
        ALL_MAJORS,
    ),
    "postgresql-{major}-pgvector": (("vector",), (17, 18)),
    "postgresql-{major}-partman": (("pg_partman",), ALL_MAJORS),
    "postgresql-{major}-cron": (("pg_cron",), ALL_MAJORS),
    "postgresql-{major}-repack": (("pg_repack",), ALL_MAJORS),
    "postgresql-{major}-hypopg": (("hypopg",), ALL_MAJORS),
    "postgresql-{major}-orafce": (("orafce",), ALL_MAJORS),
    "postgresql-{major}-pgaudit": (("pgaudit",), ALL_MAJORS),
    "postgresql-{major}-ip4r": (("ip4r",), ALL_MAJORS),
    "postgresql-{major}-prefix": (("prefix",), ALL_MAJORS),
    "postgresql-{major}-pgtap": (("pgtap",), ALL_MAJORS),
    "postgresql-{major}-rum": (("rum",), ALL_MAJORS),
    "postgresql-{major}-semver": (("semver",), ALL_MAJORS),
    "postgresql-{major}-hll": (("hll",), ALL_MAJORS),
    "postgresql-{major}-pgrouting": (("pgrouting",), ALL_MAJORS),
    "postgresql-{major}-q3c": (("q3c",), ALL_MAJORS),
    "postgresql-{major}-pgsphere": (("pg_sphere",), ALL_MAJORS),
    "postgresql-{major}-unit": (("unit",), ALL_MAJORS),
    "postgresql-{major}-tdigest": (("tdigest",), ALL_MAJORS),
    "postgresql-{major}-jsquery": (("jsquery",), ALL_MAJORS),
    "postgresql-{major}-pointcloud": (("pointcloud", "pointcloud_postgis"), ALL_MAJORS),
    "postgresql-{major}-debversion": (("debversion",), ALL_MAJORS),
    "postgresql-{major}-icu-ext": (("icu_ext",), ALL_MAJORS),
    "postgresql-{major}-mysql-fdw": (("mysql_fdw",), ALL_MAJORS),
    "postgresql-{major}-ogr-fdw": (("ogr_fdw",), ALL_MAJORS),
    "postgresql-{major}-tds-fdw": (("tds_fdw",), ALL_MAJORS),
    "postgresql-{major}-plproxy": (("plproxy",), ALL_MAJORS),
    "postgresql-{major}-pldebugger": (("pldbgapi",), ALL_MAJORS),
    "postgresql-{major}-plpgsql-check": (("plpgsql_check",), ALL_MAJORS),
    "postgresql-{major}-set-user": (("set_user",), ALL_MAJORS),
    "postgresql-{major}-plr": (("plr",), ALL_MAJORS),
    "postgresql-{major}-pllua": (("pllua",), ALL_MAJORS),
    "postgresql-{major}-plsh": (("plsh",), ALL_MAJORS),
    "postgresql-{major}-pg-qualstats": (("pg_qualstats",), ALL_MAJORS),
    "postgresql-{major}-pg-stat-kcache": (("pg_stat_kcache",), ALL_MAJORS),
    "postgresql-{major}-periods": (("periods",), (15, 17)),
    "postgresql-{major}-first-last-agg": (("first_last_agg",), (15, 17)),
    "postgresql-{major}-h3": (("h3", "h3_postgis"), (17, 18)),
    "postgresql-{major}-timescaledb": (("timescaledb",), (17, 18)),
    "postgresql-{major}-age": (("age",), (17, 18)),
    "postgresql-{major}-pg-hint-plan": (("pg_hint_plan",), (17, 18)),
    "postgresql-{major}-http": (("http",), (17, 18)),
    "postgresql-{major}-roaringbitmap": (("roaringbitmap",), (17, 18)),
    "postgresql-{major}-mobilitydb": (("mobilitydb",), (17, 18)),
    "postgresql-{major}-pg-uuidv7": (("pg_uuidv7",), (18,)),
    "postgresql-{major}-pg-ivm": (("pg_ivm",), (18,)),
    "postgresql-plpython3-{major}": (("plpython3u",), ALL_MAJORS),
    "postgresql-plperl-{major}": (("plperl", "plperlu"), ALL_MAJORS),
    "postgresql-pltcl-{major}": (("pltcl", "pltclu"), ALL_MAJORS),
}
_BY_EXTENSION = {ext: (pkg, majors) for pkg, (exts, majors) in _PACKAGES.items() for ext in exts}
# What the offline base recipe (images/base/build.sh) installs beside the server, per major.
_IN_BASE = {major: frozenset({"vector"}) if major >= 17 else frozenset() for major in ALL_MAJORS}


class Needs(NamedTuple):
    packages: tuple[str, ...]  # to add to the base, sorted
    unavailable: tuple[str, ...]  # extensions no known package gives on this major, sorted


def needs(extensions: Iterable[str], major: int) -> Needs:
    """The Debian packages a base for ``major`` must add for ``extensions``, and those of the
    extensions that no package known here gives on ``major``."""
    packages, unavailable = set(), set()
    for ext in extensions:
        if ext in CONTRIB or ext in _IN_BASE.get(major, ()):
            continue
        found = _BY_EXTENSION.get(ext)
        if found is not None and major in found[1]:
            packages.add(found[0].format(major=major))
        else:
            unavailable.add(ext)
    return Needs(tuple(sorted(packages)), tuple(sorted(unavailable)))


def unavailable_note(extensions: Iterable[str], major: int) -> str | None:
    """In words, which extensions cannot be had on ``major`` (None: all can)."""
    missing = needs(extensions, major).unavailable
    if not missing:
        return None
    elsewhere = {
        ext: [m for m in _BY_EXTENSION[ext][1] if m != major]
        for ext in missing
        if ext in _BY_EXTENSION
    }
    hints = [f"{ext} is packaged for {', '.join(map(str, ms))}" for ext, ms in elsewhere.items()]
    return (
        f"no Debian package known to dotbox gives {', '.join(missing)} on PostgreSQL {major}:"
        " the bake will stop at its CREATE EXTENSION"
        + (f" ({'; '.join(hints)}: import with --pg)" if hints else "")
    )
