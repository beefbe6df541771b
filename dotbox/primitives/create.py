"""sandbox-create: a sandbox from a snapshot, ready to accept connections."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from dotbox import images
from dotbox.core import config, limits, paths, server, validate
from dotbox.core.errors import Conflict, NotFound, NotReady
from dotbox.core.models import SnapshotManifest
from dotbox.core.records import ImageInfo
from dotbox.primitives.facets import Plan, Primitive, Verdict, run
from dotbox.primitives.inputs import Inputs
from dotbox.sandboxes import guard, lifecycle
from dotbox.snapshots import store


class CreateInputs(Inputs):
    snapshot: str = Field(store.DEFAULT_SNAPSHOT, description="snapshot to start from")
    name: str | None = Field(None, description="sandbox id (default sb-XXXXXXXX)")
    ttl: str = Field(config.DEFAULT_TTL, description="time to live: 90s, 15m, 2h, 1d12h")
    superuser: bool = Field(False, description="hand out a superuser (explicit opt-in)")
    tcp: bool = Field(False, description="add a forwarder on 127.0.0.1 (TCP DSN)")
    memory: str | None = Field(None, description="memory limit (default 512m)")
    cpus: float | None = Field(None, description="CPU limit (default 1.0)")
    pids: int | None = Field(None, description="process limit (default 256)")
    disk: str | None = Field(None, description="data directory cap on a tmpfs, e.g. 1g")
    max_connections: int | None = Field(
        None, description=f"the server's max_connections (default {server.DEFAULT[0]})"
    )
    max_prepared_transactions: int | None = Field(
        None, description=f"the server's max_prepared_transactions (default {server.DEFAULT[1]})"
    )

    @field_validator("snapshot")
    @classmethod
    def _snapshot(cls, v: str) -> str:
        return validate.snapshot_name(v)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None:
            lifecycle.refuse_dsn(v)
            validate.sandbox_name(v)
        return v

    @field_validator("ttl")
    @classmethod
    def _ttl(cls, v: str) -> str:
        validate.ttl(v)
        return v

    @model_validator(mode="after")
    def _limits(self) -> CreateInputs:
        self.resources()
        self.server_settings()
        return self

    def resources(self) -> limits.Limits:
        return limits.make(memory=self.memory, cpus=self.cpus, pids=self.pids, disk=self.disk)

    def server_settings(self) -> server.ServerSettings:
        return server.make(
            max_connections=self.max_connections,
            max_prepared_transactions=self.max_prepared_transactions,
        )


class SandboxCreate(Primitive[CreateInputs, SnapshotManifest]):
    name = "sandbox-create"
    inputs = CreateInputs
    failure = NotReady

    def __init__(self, progress: Any = None, *, extra_labels: dict[str, str] | None = None) -> None:
        super().__init__(progress)
        self.extra_labels = extra_labels  # e.g. the review environment a sandbox belongs to
        self.image: ImageInfo | None = None
        self.created: lifecycle.Created | None = None

    def guard(self, inputs: CreateInputs) -> SnapshotManifest:
        manifest = store.get(inputs.snapshot)
        if inputs.name is not None and lifecycle.find(inputs.name) is not None:
            raise Conflict(
                f"a sandbox named {inputs.name!r} exists", hint="drop it or pick another --name"
            )
        return manifest

    def plan(self, inputs: CreateInputs, target: SnapshotManifest) -> Plan:
        r, settings = inputs.resources(), inputs.server_settings()
        try:
            base = images.snapshot_base(target, build=False)
            recipe = images.recipe_digest()
            tag = images.sandbox_tag(target, base, recipe)
            self.image = images.baked_image(tag, recipe)  # found here: apply does not look again
            bake = self.image is None
        except NotFound:
            tag, bake = (
                f"{images.SANDBOX_REPO}:<after building its base for PostgreSQL {target.pg_major}>",
                True,
            )
        sid = inputs.name or "sb-<random>"
        steps = []
        if bake:
            steps.append(
                f"bake image {tag}: apply {target.statements} statements of snapshot"
                f" {target.name} ({target.digest[:12]}) on PostgreSQL {target.pg_major}"
            )
        steps += [
            f"mkdir {paths.sandbox_dir(sid)} (0700) with sock/, a random password and one for"
            " dotbox_dbadmin",
            f"run container dotbox-{sid} from {tag}: network none, mount sock/ at /sock,"
            f" memory {r.memory_bytes >> 20} MiB, cpus {r.cpus}, pids {r.pids}"
            + (f", data directory on a {r.disk_bytes >> 20} MiB tmpfs" if r.disk_bytes else "")
            + f"; the server with {' '.join(settings.options())}",
            "bootstrap as dotbox_admin, one round trip: ALTER ROLE sandbox CREATEDB PASSWORD"
            " <SCRAM verifier>"
            + ("; ALTER ROLE sandbox SUPERUSER" if inputs.superuser else "")
            + "; CREATE ROLE dotbox_dbadmin LOGIN CREATEDB CREATEROLE PASSWORD <SCRAM verifier>;"
            " GRANT sandbox TO dotbox_dbadmin WITH ADMIN OPTION"
            "; ALTER ROLE dotbox_admin NOLOGIN; read back the stored verifier, the flags,"
            " the server's system_identifier, and that no role but the bootstrap is a superuser,"
            " none but sandbox and dotbox_dbadmin logs in or may create databases, sandbox"
            " reaches no privileged role and hba_file is dotbox's",
            "write the ready marker",
        ]
        if inputs.tcp:
            steps[-2:-1] = [
                "bootstrap inside the container (docker exec psql, peer authentication)",
                f"run forwarder dotbox-fwd-{sid}: one port on 127.0.0.1; a query through it"
                " with the sandbox's own password",
            ]
        return Plan(summary=f"create {sid} from snapshot {target.name}", steps=steps)

    def apply(self, inputs: CreateInputs, target: SnapshotManifest, plan: Plan) -> dict[str, Any]:
        created = lifecycle.create(
            manifest=target,
            image=self.image,
            name=inputs.name,
            ttl=validate.ttl(inputs.ttl),
            superuser=inputs.superuser,
            tcp=inputs.tcp,
            resources=inputs.resources(),
            server_settings=inputs.server_settings(),
            progress=self.progress,
            extra_labels=self.extra_labels,
        )
        self.created = created
        info, creds = created.info, created.credentials
        return {
            "id": info.id,
            "container": info.container,
            "image": info.image,
            "snapshot_digest": info.snapshot_digest,
            "pg_major": info.pg_major,
            "socket_dir": str(info.socket_dir),
            "expires": info.expires.isoformat(),
            "tcp_port": creds.tcp_port,
            "max_connections": info.max_connections,
            "max_prepared_transactions": info.max_prepared_transactions,
        }

    def verify(
        self, inputs: CreateInputs, target: SnapshotManifest, outputs: dict[str, Any]
    ) -> Verdict:
        try:
            assert self.created is not None  # apply ran
            live = guard.require_created(self.created)
        except Exception as exc:  # the postcondition failed: say how, the record keeps it
            return Verdict(ok=False, checks={"guard": str(exc)})
        superuser = live.superuser
        asked = inputs.server_settings()  # the server's own SHOW, not the labels
        settings = (live.max_connections, live.max_prepared_transactions)
        return Verdict(
            ok=superuser == inputs.superuser and live.createdb and settings == asked,
            checks={
                "running_network_none_labelled": True,
                "credentials": "a query through the forwarder with its own password"
                if inputs.tcp
                else "its password's verifier and dotbox_admin NOLOGIN read back",
                "roles_and_server_files": "read back safe at bootstrap",
                "system_identifier": live.system_identifier,
                "official_system_identifier": target.system_identifier,
                "superuser": superuser,
                "createdb": live.createdb,
                "max_connections": live.max_connections,
                "max_prepared_transactions": live.max_prepared_transactions,
            },
        )

    def sandbox_of(
        self, inputs: CreateInputs, target: SnapshotManifest, outputs: dict[str, Any]
    ) -> str | None:
        return outputs.get("id")  # a failed create made nothing: it has no ledger

    def rollback(self, record: dict[str, Any]) -> dict[str, Any]:
        from dotbox.primitives.drop import SandboxDrop

        outcome = run(SandboxDrop(), {"sandbox": record["sandbox"]})
        return {"dropped": record["sandbox"], "drop_record": outcome.record}

    def recheck(self, record: dict[str, Any]) -> str:
        try:
            live = guard.require_live(record["sandbox"])
        except NotFound:
            return "no longer holds: the sandbox was dropped since"
        expected = record["verify"]["checks"].get("system_identifier")
        if live.system_identifier != expected:
            return f"no longer holds: system_identifier is {live.system_identifier}"
        return "holds"
