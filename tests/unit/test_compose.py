"""The review transformation: what is refused, and what the generated project looks like."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dotbox import compose
from dotbox.errors import InvalidInput, Refused

LABELS = {"dotbox.managed-by": "dotbox", "dotbox.review": "rv-1"}


def write(tmp_path: Path, services: dict[str, object], **top: object) -> Path:
    path = tmp_path / "compose.yml"
    path.write_text(yaml.safe_dump({"services": services, **top}))
    return path


@pytest.mark.parametrize(
    ("service", "reason"),
    [
        ({"image": "x", "network_mode": "host"}, "network_mode: host"),
        ({"image": "x", "network_mode": "container:db"}, "joins a namespace"),
        ({"image": "x", "privileged": True}, "privileged"),
        ({"image": "x", "devices": ["/dev/sda:/dev/sda"]}, "host devices"),
        ({"image": "x", "volumes": ["/var/run/docker.sock:/var/run/docker.sock"]}, "Docker socket"),
        ({"image": "x", "volumes": ["/etc:/host-etc:ro"]}, "outside the project"),
        ({"image": "x", "volumes": ["../secrets:/s"]}, "outside the project"),
        ({"image": "x", "volumes": [{"type": "bind", "source": "/", "target": "/h"}]}, "outside"),
        ({"image": "x", "cap_add": ["NET_ADMIN"]}, "cap_add"),
        ({"image": "x", "pid": "host"}, "pid: host"),
        ({"image": "x", "ports": ["53:53/udp"]}, "only single TCP ports"),
        ({"image": "x", "sysctls": {"a": 1}}, "'sysctls' is not supported"),
        ({"command": "true"}, "needs an image or a build"),
    ],
)
def test_refused_with_the_reason(tmp_path: Path, service: dict[str, object], reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        compose.load(write(tmp_path, {"app": service}))


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


def test_transform_isolates_every_container(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
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
    project = compose.transform(
        app,
        review_id="rv-1",
        labels=LABELS,
        db_socket_dir=Path("/run/sb/sock"),
        db_env={"PGPASSWORD": "pw", "DOTBOX_DATABASE_URL": "postgresql://…"},
    )
    services = project["services"]
    assert services["web"]["network_mode"] == "none"
    assert services["worker"]["network_mode"] == "none"
    assert "ports" not in services["web"] and "networks" not in services["web"]
    assert services["web"]["environment"]["PGPASSWORD"] == "pw"  # the sandbox's, not the app's
    assert services["web"]["environment"]["MODE"] == "dev"
    assert services["web"]["build"] == str(tmp_path)
    assert services["web"]["volumes"][0] == f"{tmp_path / 'src'}:/src"
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


@pytest.mark.parametrize("name", ["AB", "-x", "a" * 25, "x@y"])
def test_bad_review_names(name: str) -> None:
    from dotbox import review

    with pytest.raises(InvalidInput, match="invalid review name"):
        review._new_id(name)
