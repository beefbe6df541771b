"""The catalogue of governed primitives: what each is called and how it describes itself.

Light on purpose (no pydantic, docker or psycopg), so that help and the registry load fast.
Behaviour lives in ``dotbox.primitives.registry``: one class per entry, and a test checks that both
hold the same primitives and that every one has all eight facets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Describe:
    """The fixed sections of a primitive's help (the same in --help, docs and the registry)."""

    purpose: str
    when_to_use: str
    when_not: str
    inputs: dict[str, str]  # each input (the primitive's pydantic model field) and its meaning
    guard: str
    dry_run: str
    execute: str
    verify: str
    rollback: str
    evidence: str
    exit_codes: dict[int, str] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    code: str  # P1 … in the registry
    name: str  # the mission's name: sandbox-create, vocab-build, …
    command: str  # how the dotbox CLI runs it
    script: str | None  # the governance toolkit's dot-… name, if it has one
    describe: Describe


ENTRIES: dict[str, Entry] = {}


def _add(code: str, name: str, command: str, script: str | None, describe: Describe) -> None:
    ENTRIES[name] = Entry(code, name, command, script, describe)


_add(
    "P1",
    "sandbox-create",
    "dotbox create",
    "dot-staging-sandbox-create",
    Describe(
        purpose="Create a sandbox: a PostgreSQL container with no network, seeded from a"
        " snapshot of the official DDL, reached through its own socket with a random password.",
        when_to_use="You need somewhere to run scripts, migrations or tests against the official"
        " schema without any way to touch the official runtime.",
        when_not="You need the official data (a snapshot holds DDL only), or a server other"
        " machines reach over the network (use a review environment, `dotbox review up`)."
        " Extensions: the handed-out role (not a superuser) can CREATE EXTENSION only the"
        " trusted ones the image holds (pgcrypto, hstore, citext, pg_trgm, …); any other (postgis,"
        " vector, …) must be in the snapshot, which bakes it on a base with its package.",
        inputs={
            "snapshot": "snapshot to start from (default: the bundled default)",
            "name": "sandbox id, 1-32 of a-z 0-9 - (default sb-XXXXXXXX)",
            "ttl": "time to live: 90s, 15m, 2h, 1d12h (default 2h)",
            "superuser": "hand out a superuser (explicit opt-in, recorded)",
            "tcp": "add a forwarder publishing one port on 127.0.0.1",
            "memory": "memory limit (default 512m; from 512m, half of it is a tmpfs for"
            " per-test databases, counted in it)",
            "cpus": "CPU limit (default 1.0)",
            "pids": "process limit (default 256)",
            "disk": "cap the data directory on a tmpfs of this size (e.g. 1g)",
            "max_connections": "the server's max_connections, 10-1000 (default 100: 97 for the"
            " handed-out role, as on a stock server)",
            "max_prepared_transactions": "the server's max_prepared_transactions, 0-1000"
            " (default 10, so two-phase commit works)",
        },
        guard="The snapshot is one of dotbox's and the name is free; the new sandbox must then pass"
        " the live-sandbox guard (its verify) before it is handed out.",
        dry_run="Prints the image (and whether it must be baked first), the container, its"
        " mounts, limits and server settings, and the bootstrap steps; creates nothing.",
        execute="Bakes the snapshot if it never was, starts the container with network mode"
        " none (max_connections and max_prepared_transactions as -c options of the server's"
        " command, so no image is baked for them), and, in one round trip as soon as the"
        " server answers, sets the sandbox role's password, lets it create (and drop its own)"
        " databases, as test runners do, without making it a superuser, closes the bootstrap"
        " role and reads back what took.",
        verify="Judges what create read back with the guard's rules: the container (running,"
        " dotbox's labels, network mode none) and the server (the password's verifier stored,"
        " the bootstrap role NOLOGIN, a system_identifier other than the official one, the"
        " role a superuser exactly as asked and able to create databases, max_connections and"
        " max_prepared_transactions as asked); with --tcp, a query through the forwarder with"
        " its own password.",
        rollback="Drop the sandbox: `dotbox rollback SANDBOX RECORD` runs sandbox-drop.",
        evidence="Inputs (snapshot and digest, TTL, superuser, tcp, limits, server settings),"
        " the container, image and socket directory, the read-back checks, timings.",
        exit_codes={
            0: "created and verified",
            2: "invalid input",
            3: "unknown snapshot",
            5: "engine unreachable",
            6: "bake failed",
            7: "not ready before its deadline (removed)",
            8: "name taken",
        },
        examples=[
            "dotbox create",
            "dotbox create --snapshot pagila --ttl 30m --json",
            "dotbox create --name review-42 --tcp --memory 1g",
            "dotbox create --max-connections 200 --max-prepared-transactions 50",
        ],
    ),
)

_add(
    "P2",
    "sandbox-drop",
    "dotbox drop",
    "dot-staging-sandbox-drop",
    Describe(
        purpose="Destroy a sandbox: its container, forwarder, runners, volumes and socket"
        " directory, then read the engine and the host back to confirm nothing is left.",
        when_to_use="The work is done, or the sandbox is broken; CI at the end of a job.",
        when_not="You want to keep its evidence: the ledger is kept anyway (it outlives the"
        " sandbox); export it with `dotbox evidence export` when you need a bundle.",
        inputs={"sandbox": "sandbox id (a connection string is refused)"},
        guard="A container with dotbox's labels in this DOTBOX_HOME (running or not), or the"
        " remnants of one; never an unlabelled container or a connection string.",
        dry_run="Prints the container, the labelled objects and the directory it would remove;"
        " removes nothing.",
        execute="Removes the container with its volumes, every container labelled with the"
        " sandbox's id (forwarder, runners), labelled volumes, and the socket directory.",
        verify="Reads back the engine (no container or volume with the sandbox's id) and the"
        " host (no socket directory).",
        rollback="None: a drop cannot be undone. Create a new sandbox from the same snapshot.",
        evidence="The sandbox id, what was removed, the read-back result, timings.",
        exit_codes={
            0: "dropped, nothing left",
            2: "invalid sandbox id",
            3: "unknown sandbox",
            4: "a connection string, or not a dotbox container",
            9: "something was left (named)",
        },
        examples=["dotbox drop sb-1a2b3c4d", "dotbox drop --all --json"],
    ),
)

_add(
    "P3",
    "vocab-build",
    "dotbox vocab build",
    "dot-c1-staging-vocab-build",
    Describe(
        purpose="Build controlled vocabularies into a sandbox: the label dictionary and one"
        " label per catalog object (table, view, function, trigger, sequence) and vocabulary,"
        " in the dotbox_vocab schema, with foreign keys that reject an unknown code.",
        when_to_use="To classify the official schema's objects (C1: the block each belongs to),"
        " to see which are still unclassified, and again after a migration to re-label.",
        when_not="On the official runtime (it only ever runs on a sandbox), or to store"
        " anything but labels.",
        inputs={"sandbox": "sandbox id", "vocab": "vocabulary file (YAML)"},
        guard="A live dotbox sandbox: running, dotbox's labels in this DOTBOX_HOME, network mode"
        " none, credentials on this host, a system_identifier other than the official one.",
        dry_run="Reads the catalog and the current labels and prints every statement the build"
        " would run (a diff: a second build prints none); changes nothing.",
        execute="Runs those statements in one transaction.",
        verify="Reads every label back: each catalog object has exactly the label its rules"
        " give, the dictionary equals the file, an unknown code is rejected by the database"
        " (SQLSTATE 23503); reports coverage per code and the unclassified objects.",
        rollback="`dotbox rollback SANDBOX RECORD` restores the dictionary and labels as they"
        " were before the build (or drops the schema if the build created it).",
        evidence="The vocabulary file (artifact), the previous state (artifact), counts of"
        " inserted/updated/deleted rows, coverage, digests of the labels and dictionary.",
        exit_codes={
            0: "built and verified",
            2: "invalid vocabulary file (file:line named)",
            3: "unknown sandbox",
            4: "not a live dotbox sandbox",
            15: "the labels read back differ from the rules",
        },
        examples=[
            "dotbox vocab build sb-1a2b3c4d --vocab vocab.yaml",
            "dotbox vocab build sb-1a2b3c4d --vocab vocab.yaml --dry-run",
            "dotbox rollback sb-1a2b3c4d 3",
        ],
    ),
)

_add(
    "P4",
    "verify",
    "dotbox verify",
    "dot-c1-staging-verify",
    Describe(
        purpose="Prove that a sandbox's schema equals its snapshot, or list the exact drift"
        " (object, what changed), and run the user's checks (SQL with expected results).",
        when_to_use="After a migration or a script ran in the sandbox; in CI before and after"
        " a change; to check a sandbox is what its snapshot says.",
        when_not="To compare two snapshots (`dotbox snapshot diff`), or the official runtime"
        " (capture it into a snapshot first).",
        inputs={"sandbox": "sandbox id", "checks": "checks file (YAML): name, sql, expect"},
        guard="A live dotbox sandbox: running, dotbox's labels in this DOTBOX_HOME, network mode"
        " none, credentials on this host, a system_identifier other than the official one.",
        dry_run="Prints the fingerprint it reads (baked into the image at bake) and the"
        " checks' SQL; reads nothing from the sandbox.",
        execute="Reads the live catalog's fingerprint (pg_catalog, order-independent) and runs"
        " each check in a read-only transaction that is rolled back.",
        verify="The live fingerprint against the one baked from the snapshot: equal, or each"
        " object added, removed or changed; each check's actual result against its expected.",
        rollback="None needed: verify only reads (its checks run read-only and are rolled back).",
        evidence="Both fingerprint digests, the drift, each check's result, timings.",
        exit_codes={
            0: "equal to the snapshot, every check passed",
            2: "invalid checks file (file:line named)",
            4: "not a live dotbox sandbox",
            14: "drift or a failed check (listed)",
            15: "could not verify (no baked fingerprint, unreadable catalog)",
        },
        examples=[
            "dotbox verify sb-1a2b3c4d",
            "dotbox verify sb-1a2b3c4d --checks checks.yaml --json",
        ],
    ),
)

_add(
    "P5",
    "bad-input-harness",
    "dotbox harness",
    "dot-c1-staging-bad-input-harness",
    Describe(
        purpose="Throw invalid inputs at a sandbox: each statement must be rejected with its"
        " SQLSTATE, and nothing may be written or lost.",
        when_to_use="To prove the schema's constraints hold (NOT NULL, CHECK, foreign and"
        " unique keys, lengths, types), after a migration, or for your own cases.",
        when_not="For load or performance tests, or to test data that must be accepted"
        " (every case is rolled back).",
        inputs={
            "sandbox": "sandbox id",
            "cases": "cases file (YAML): name, sql, sqlstate",
            "auto": "derive cases from the catalog",
        },
        guard="A live dotbox sandbox: running, dotbox's labels in this DOTBOX_HOME, network mode"
        " none, credentials on this host, a system_identifier other than the official one.",
        dry_run="Derives or reads the cases and prints every statement with the SQLSTATE it"
        " must get, and its control; runs none of them.",
        execute="Reads every table's row count and checksum and every sequence, runs all cases"
        " in one transaction that is rolled back, each statement in its own savepoint: first"
        " each derived case's control (the unbroken row, which must be accepted), then the"
        " cases whose control was accepted; puts back any sequence a case advanced, and reads"
        " the state again.",
        verify="Each case's actual SQLSTATE against its expected one: a case whose control was"
        " rejected, or whose row is rejected even with the constraint under test set aside,"
        " is skipped with its reason, never failed; the state of every table and sequence"
        " after equals the state before.",
        rollback="None needed: every case is rolled back and sequences are put back.",
        evidence="The cases file (artifact), the full report (artifact), counts passed,"
        " skipped and failed, the skip reasons, the state digests before and after, timings.",
        exit_codes={
            0: "every case rejected as expected or skipped with its reason, nothing written",
            2: "invalid cases file (file:line named), or neither --cases nor --auto",
            4: "not a live dotbox sandbox",
            16: "a case was accepted or got another SQLSTATE, or the state changed",
        },
        examples=[
            "dotbox harness sb-1a2b3c4d --auto",
            "dotbox harness sb-1a2b3c4d --cases cases.yaml --json",
            "dotbox harness sb-1a2b3c4d --auto --dry-run",
        ],
    ),
)

_add(
    "P6",
    "evidence-readback",
    "dotbox evidence verify",
    "dot-c1-staging-evidence-readback",
    Describe(
        purpose="Read a sandbox's evidence ledger back: check its hash chain, re-check each"
        " record's postcondition against the live sandbox, and export a bundle (ledger,"
        " artifacts, manifest of sha256 and sizes) that can be verified anywhere.",
        when_to_use="Before trusting what a sandbox's ledger says; to hand evidence over"
        " (export); to check a bundle someone gave you (`dotbox evidence verify DIR`).",
        when_not="To read the records only (`dotbox evidence show` prints them).",
        inputs={
            "target": "sandbox id, or an exported bundle directory",
            "out": "export a bundle into this empty or new directory",
            "recheck": "re-check each record against the live sandbox (default on)",
        },
        guard="A dotbox ledger named by a sandbox id (a connection string is refused), or a bundle"
        " directory; re-checks run only through the live-sandbox guard.",
        dry_run="Prints the ledger it would read, the checks and the export directory; reads"
        " and writes nothing.",
        execute="Checks the chain record by record, re-runs each record's postcondition when"
        " the sandbox is live, exports when --out is given.",
        verify="The chain is intact (a changed byte, a deleted, reordered or torn record is"
        " named), and an exported bundle verifies against its own manifest.",
        rollback="None needed: it only reads (and writes a new bundle directory, which you may"
        " delete).",
        evidence="A readback record in the sandbox's own ledger (not for a bundle): records"
        " checked, chain head, each re-check's result, the bundle's path.",
        exit_codes={
            0: "chain intact (and bundle verified)",
            2: "invalid input (a non-empty --out directory)",
            3: "no ledger for that sandbox",
            12: "the chain or bundle is broken (record named)",
        },
        examples=[
            "dotbox evidence verify sb-1a2b3c4d",
            "dotbox evidence export sb-1a2b3c4d --out evidence/",
            "dotbox evidence verify evidence/",
        ],
    ),
)

_add(
    "P7",
    "apply",
    "dotbox apply",
    None,
    Describe(
        purpose="Run your migration (SQL files) against a sandbox in one transaction that"
        " stops at the first error, then show the drift it made from the snapshot.",
        when_to_use="To try a migration on the official schema before it goes anywhere near"
        " the official runtime; in CI, to check migrations apply cleanly.",
        when_not="For scripts that are not SQL (use `dotbox run`), or for statements that"
        " cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM).",
        inputs={"sandbox": "sandbox id", "files": "SQL files, applied in order"},
        guard="A live dotbox sandbox: running, dotbox's labels in this DOTBOX_HOME, network mode"
        " none, credentials on this host, a system_identifier other than the official one.",
        dry_run="Prints every statement with its file and line; runs none.",
        execute="Runs all statements of all files in one transaction (ON_ERROR_STOP: the first"
        " error rolls everything back and names file:line).",
        verify="Reads the live fingerprint back: whether the schema changed, and the drift from"
        " the snapshot, object by object.",
        rollback="None automatic: a committed migration is undone by a down migration (apply"
        " it) or by dropping the sandbox and creating a new one. A failed one changed nothing.",
        evidence="sha256 of each file (and the files as artifacts), statements run, the"
        " fingerprints before and after, the drift, timings.",
        exit_codes={
            0: "applied",
            2: "unreadable file, meta-command or unterminated text (file:line named)",
            4: "not a live dotbox sandbox",
            17: "a statement failed: rolled back, file:line and message named",
        },
        examples=[
            "dotbox apply sb-1a2b3c4d migrations/001_add_column.sql",
            "dotbox apply sb-1a2b3c4d migrations/*.sql --dry-run",
        ],
    ),
)
