"""The review transformation: the allowlist, interpolation as compose does it, and what the
generated project looks like."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dotbox.core.errors import InvalidInput, Refused
from dotbox.review import compose, compose_text
from tests.conftest import under_ci

LABELS = {"dotbox.managed-by": "dotbox", "dotbox.review": "rv-1"}


def write(tmp_path: Path, services: dict[str, object], **top: object) -> Path:
    path = tmp_path / "compose.yml"
    path.write_text(yaml.safe_dump({"services": services, **top}))
    return path


@pytest.mark.parametrize(
    ("service", "reason"),
    [
        ({"image": "x", "network_mode": "host"}, "network_mode: host joins"),
        ({"image": "x", "network_mode": "container:db"}, "joins a network or namespace"),
        ({"image": "x", "privileged": True}, "privileged: gives"),
        ({"image": "x", "devices": ["/dev/sda:/dev/sda"]}, "host devices"),
        ({"image": "x", "volumes": ["/var/run/docker.sock:/var/run/docker.sock"]}, "outside"),
        ({"image": "x", "volumes": ["/etc:/host-etc:ro"]}, "outside the project"),
        ({"image": "x", "volumes": ["../secrets:/s"]}, "outside the project"),
        ({"image": "x", "volumes": [{"type": "bind", "source": "/", "target": "/h"}]}, "outside"),
        ({"image": "x", "volumes": ["./d:/d:z"]}, "only ro or rw"),
        ({"image": "x", "volumes": [{"type": "npipe", "source": "x", "target": "/x"}]}, "npipe"),
        ({"image": "x", "volumes": ["undeclared:/x"]}, "not declared under top-level"),
        ({"image": "x", "cap_add": ["NET_ADMIN"]}, "cap_add: extra capabilities"),
        ({"image": "x", "pid": "host"}, "pid: shares"),
        ({"image": "x", "ports": ["53:53/udp"]}, "only single TCP ports"),
        ({"image": "x", "sysctls": {"a": 1}}, "sysctls: kernel parameters"),
        ({"image": "x", "logging": {"driver": "syslog"}}, "logging: log drivers"),
        ({"image": "x", "extends": {"service": "y"}}, "extends: reads services"),
        ({"image": "x", "volumes_from": ["db"]}, "volumes_from"),
        ({"image": "x", "no_such_key": 1}, "no_such_key: not a key dotbox knows"),
        ({"image": "x", "labels": {"dotbox.id": "other"}}, "labels under dotbox."),
        ({"image": "x", "env_file": "/etc/passwd"}, "outside the project"),
        ({"image": "x", "env_file": "../../../etc/passwd"}, "outside the project"),
        ({"build": {"context": ".", "network": "host"}}, "build.network: a build runs"),
        ({"build": "../outside"}, "build.context ../outside: outside the project"),
        ({"command": "true"}, "needs an image or a build"),
    ],
)
def test_refused_with_the_reason(tmp_path: Path, service: dict[str, object], reason: str) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "d").mkdir()
    with pytest.raises(Refused, match=reason):
        compose.load(write(tmp_path, {"app": service}))


@pytest.mark.parametrize(
    ("top", "reason"),
    [
        ({"volumes": {"v": {"name": "someone-elses"}}}, "volumes.v.name: names an existing"),
        ({"volumes": {"v": {"external": True}}}, "volumes.v.external"),
        ({"volumes": {"v": {"driver_opts": {"device": "/"}}}}, "driver_opts"),
        ({"volumes": {"v": {"driver": "nfs"}}}, "only the local driver"),
        ({"secrets": {"s": {"file": "/etc/shadow"}}}, "secrets: secrets are files"),
        ({"include": ["x.yml"]}, "include: not a key dotbox knows"),
    ],
)
def test_top_level_refusals(tmp_path: Path, top: dict[str, object], reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        compose.load(write(tmp_path, {"app": {"image": "x"}}, **top))


def test_every_reason_is_named(tmp_path: Path) -> None:
    bad = {"image": "x", "network_mode": "host", "privileged": True, "volumes": ["/:/h"]}
    with pytest.raises(Refused) as err:
        compose.load(write(tmp_path, {"app": bad}))
    text = str(err.value)
    assert "network_mode: host" in text and "privileged" in text and "outside" in text


def test_not_a_compose_file(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text("- a list\n")
    with pytest.raises(InvalidInput, match="no 'services'"):
        compose.load(tmp_path / "x.yml")


def test_interpolation_is_resolved_before_the_check(tmp_path: Path) -> None:
    """What dotbox checks is what compose would mount: `${X:-/}` is `/`, refused."""
    path = tmp_path / "compose.yml"
    path.write_text('services:\n  app:\n    image: x\n    volumes: ["${X:-/}:/host:ro"]\n')
    with pytest.raises(Refused, match="bind /: outside the project"):
        compose.load(path)
    path.write_text(
        "services:\n  app:\n    image: x\n"
        '    volumes: ["${X:-/var/run/docker.sock}:/var/run/docker.sock"]\n'
    )
    with pytest.raises(Refused, match="outside the project"):
        compose.load(path)


def test_variables_come_from_the_project_never_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTSECRET", "from-the-host")
    (tmp_path / ".env").write_text("FROM_FILE=file-value\n")
    path = tmp_path / "compose.yml"
    path.write_text(
        "services:\n  app:\n    image: x\n    environment:\n"
        "      A: ${HOSTSECRET}\n      B: ${FROM_FILE}\n      C: $${LITERAL}\n"
        "      D: ${GIVEN:?say it}\n      HOSTSECRET:\n"
    )
    with pytest.raises(Refused, match="GIVEN is required: say it"):
        compose.load(path)
    app = compose.load(path, {"GIVEN": "yes"})
    env = app.services["app"]["environment"]
    assert env == {"A": "", "B": "file-value", "C": "${LITERAL}", "D": "yes"}
    dumped = compose.dump({"environment": env})
    assert "$${LITERAL}" in dumped  # compose reads it back as the literal text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A}", "a"),
        ("$A-x", "a-x"),
        ("${U:-d}", "d"),
        ("${E:-d}", "d"),
        ("${E-d}", ""),
        ("${U-d}", "d"),
        ("${A:+r}", "r"),
        ("${U:+r}", ""),
        ("${U:-${A}}", "a"),
        ("$$A", "$A"),
    ],
)
def test_interpolation_forms(text: str, expected: str) -> None:
    assert compose_text.interpolate(text, {"A": "a", "E": ""}) == expected


def test_alias_bombs_are_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    lines += ["services: {app: {image: x, command: *a8}}"]
    path = tmp_path / "compose.yml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput, match="expands to more than"):
        compose.load(path)


def test_merge_keys_are_resolved(tmp_path: Path) -> None:
    path = tmp_path / "compose.yml"
    path.write_text(
        "x-base: &base {image: x, privileged: true}\nservices:\n  app:\n    <<: *base\n"
    )
    with pytest.raises(Refused, match="privileged"):
        compose.load(path)


def test_writable_binds_are_not_shared(tmp_path: Path) -> None:
    (tmp_path / "data" / "sub").mkdir(parents=True)
    services = {
        "writer": {"image": "x", "volumes": ["./data:/data:rw"]},
        "reader": {"image": "x", "volumes": ["./data/sub:/sub:ro"]},
    }
    with pytest.raises(Refused, match="overlap and one is writable"):
        compose.load(write(tmp_path, services))
    services["writer"]["volumes"] = ["./data:/data"]  # read-only by default
    assert compose.load(write(tmp_path, services)).binds["writer"][0].read_only


def test_a_bind_through_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").symlink_to("/")
    with pytest.raises(Refused, match="outside the project"):
        compose.load(write(tmp_path, {"app": {"image": "x", "volumes": ["./data:/d"]}}))


def test_builds_name_only_local_images(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM 127.0.0.1:5000/x\nADD http://127.0.0.1:9/a /a\n")
    with pytest.raises(Refused, match="ADD from a URL"):
        compose.load(write(tmp_path, {"app": {"build": "."}}))
    (tmp_path / "Dockerfile").write_text("ARG R=127.0.0.1:5000\nFROM ${R}/x AS one\nFROM one\n")
    app = compose.load(write(tmp_path, {"app": {"build": ".", "image": "dotbox/base:pg17"}}))
    assert app.bases == {"app": ("127.0.0.1:5000/x",)}  # review refuses it: not on the engine
    assert "app" not in app.images  # the file's image name is not used for a build


def placement(images: dict[str, str]) -> compose.Placement:
    return compose.Placement(
        labels=LABELS,
        db_socket_dir=Path("/run/sb/sock"),
        db_env={"PGUSER": "sandbox", "DOTBOX_DATABASE_URL": "postgresql://sandbox@…"},
        pgpass=Path("/home/u/reviews/rv-1/pgpass"),
        images=images,
    )


def test_transform_isolates_every_container(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM dotbox/base:pg17\n")
    app = compose.load(
        write(
            tmp_path,
            {
                "web": {
                    "build": ".",
                    "ports": ["8080:80", "127.0.0.1:9000:9000"],
                    "volumes": ["./src:/src", "data:/data"],
                    "environment": ["PGPASSWORD=the-app-guess", "MODE=dev"],
                    "networks": ["front"],
                },
                "worker": {"image": "x"},
            },
            volumes={"data": None},
            networks={"front": None},
        )
    )
    at = placement({"web": compose.built_tag("rv-1", "web"), "worker": "sha256:" + "1" * 64})
    project = compose.transform(app, at)
    services = project["services"]
    assert services["web"]["network_mode"] == "none"
    assert services["worker"]["network_mode"] == "none"
    assert services["worker"]["image"] == "sha256:" + "1" * 64
    assert "ports" not in services["web"] and "networks" not in services["web"]
    env = services["web"]["environment"]
    assert env["PGPASSFILE"] == compose.PGPASS and "PGPASSWORD" in env  # the app's own, kept
    assert env["MODE"] == "dev"
    assert services["web"]["build"]["network"] == "none"
    assert services["web"]["build"]["context"] == str(tmp_path)
    assert services["web"]["image"] == "dotbox-review/rv-1-web:latest"
    assert services["web"]["volumes"][0] == {
        "type": "bind", "source": str(tmp_path / "src"), "target": "/src", "read_only": True
    }  # fmt: skip
    assert services["web"]["mem_limit"] and services["web"]["pids_limit"]
    assert services["dotbox-web-db"]["network_mode"] == "service:web"
    assert services["dotbox-worker-db"]["network_mode"] == "service:worker"
    assert {"dotbox-web-80", "dotbox-web-9000"} <= set(services)
    networked = [n for n, s in services.items() if "network_mode" not in s]
    assert networked == [compose.FORWARDER]
    assert services[compose.FORWARDER]["ports"] == ["127.0.0.1::10000", "127.0.0.1::10001"]
    assert all(s["labels"]["dotbox.review"] == "rv-1" for s in services.values())
    assert project["volumes"]["data"]["labels"] == LABELS
    assert project["networks"]["default"]["labels"] == LABELS
    assert "&id" not in compose.dump(project)  # plain YAML, no anchors


def _schema_of_the_compose_we_run() -> dict[str, Any]:
    """The Compose Specification's JSON schema as the installed compose ships it."""
    script = shutil.which("docker-compose")
    if script is None:
        pytest.fail("docker-compose is not installed (.ci/setup installs it)")
    python = Path(script).read_text().splitlines()[0].removeprefix("#!").split()
    out = subprocess.run(
        [*python, "-c", "import compose.config as c, os; print(os.path.dirname(c.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    data: dict[str, Any] = json.loads((Path(out) / "compose_spec.json").read_text())
    return data


def test_every_key_of_the_compose_specification_is_allowed_or_refused() -> None:
    if not under_ci() and not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed here")
    schema = _schema_of_the_compose_we_run()
    d = schema["definitions"]
    build = next(o for o in d["service"]["properties"]["build"]["oneOf"] if o.get("properties"))
    mount = next(
        o for o in d["service"]["properties"]["volumes"]["items"]["oneOf"] if o.get("properties")
    )
    tables = [
        ("top level", schema["properties"], compose.TOP_LEVEL_KEYS),
        ("service", d["service"]["properties"], compose.SERVICE_KEYS),
        ("build", build["properties"], compose.BUILD_KEYS),
        ("volume", d["volume"]["properties"], compose.VOLUME_KEYS),
        ("service volume", mount["properties"], compose.MOUNT_KEYS),
    ]
    unknown = [f"{what}.{k}" for what, keys, table in tables for k in keys if k not in table]
    assert unknown == [], f"keys of the schema dotbox neither allows nor refuses: {unknown}"


@pytest.mark.parametrize("name", ["AB", "-x", "a" * 25, "x@y"])
def test_bad_review_names(name: str) -> None:
    from dotbox.review import environments

    with pytest.raises(InvalidInput, match="invalid review name"):
        environments._new_id(name)
