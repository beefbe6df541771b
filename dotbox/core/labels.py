"""The engine labels dotbox puts on what it makes. They are the only state the engine keeps for
dotbox: list, show, drop and gc read them back, and a container, volume, network or image
without ``MANAGED_BY=dotbox`` is never dotbox's."""

from __future__ import annotations


class Label:
    MANAGED_BY = "dotbox.managed-by"  # "dotbox" on everything dotbox made
    ROLE = "dotbox.role"  # sandbox, forwarder, runner, review, relay, bake, capture, …
    ID = "dotbox.id"  # the sandbox a container, volume or runner belongs to
    HOME = "dotbox.home"  # the DOTBOX_HOME that made it
    DIR = "dotbox.dir"  # the sandbox's directory on the host
    POOL = "dotbox.pool"  # started ahead of time for this snapshot's warm pool
    READY_BY = "dotbox.ready-by"  # a sandbox with no ready marker by then is broken
    CREATED = "dotbox.created"
    EXPIRES = "dotbox.expires"  # gc removes it after this moment
    OWNER = "dotbox.owner"
    SUPERUSER = "dotbox.superuser"
    CREATEDB = "dotbox.createdb"  # the handed-out role may create databases
    TCP = "dotbox.tcp"
    PG = "dotbox.pg"  # the PostgreSQL major version
    SNAPSHOT = "dotbox.snapshot"
    SNAPSHOT_DIGEST = "dotbox.snapshot.digest"
    LIMITS = "dotbox.limits"
    MAX_CONNECTIONS = "dotbox.max-connections"  # server settings chosen per sandbox
    MAX_PREPARED_TRANSACTIONS = "dotbox.max-prepared-transactions"
    REVIEW = "dotbox.review"  # the review environment a container, network or image is part of
    PART = "dotbox.part"  # a review environment's service
    BASE = "dotbox.base"  # a base image's PostgreSQL major
    BASE_PACKAGES = "dotbox.base.packages"  # Debian packages a derived base adds (extensions)
    BASE_RECIPE = "dotbox.base.recipe"  # digest of the recipe that built a base
    TOOLS = "dotbox.tools"  # a tools image's PostgreSQL major (pgNN): dotbox run --image tools
    RECIPE = "dotbox.recipe"  # digest of the recipe that baked an image
    IMAGE = "dotbox.image"  # the tag a bake container is making
    BAKE_SECONDS = "dotbox.bake-seconds"
    SCRATCH = "dotbox.scratch"  # a sandbox image's scratch tablespace directory (a tmpfs at run)
    SCRATCH_OWNER = "dotbox.scratch-owner"  # uid:gid of its server, who owns that tmpfs
    PROBE = "dotbox.probe"
