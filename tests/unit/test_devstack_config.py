"""Pure helpers of ocop_devstack: settings, cache location, rendered configs, mode choice."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from ocop_devstack.cli import all_commands, build_parser
from ocop_devstack.config import (
    DevstackConfigError,
    InfraSettings,
    cache_dir,
    checked_cache_dir,
    native_dir,
)
from ocop_devstack.docker_infra import kafka_container_env
from ocop_devstack.ferretdb import ferretdb_args
from ocop_devstack.infra import Infra, choose_mode
from ocop_devstack.kafka import new_cluster_id, render_properties, server_properties
from ocop_devstack.process import NativeProcess, ProcessStartError, free_ports
from ocop_devstack.provision import ferretdb_fingerprint, ferretdb_patches

HOME = Path("/home/dev")


# --- cache directory ------------------------------------------------------------------------


def test_cache_dir_prefers_explicit_setting(tmp_path: Path) -> None:
    env = {"OCOP_CACHE_DIR": str(tmp_path / "c"), "XDG_CACHE_HOME": "/xdg"}
    assert cache_dir(env, home=HOME) == tmp_path / "c"


def test_cache_dir_falls_back_to_xdg_then_home() -> None:
    assert cache_dir({"XDG_CACHE_HOME": "/xdg"}, home=HOME) == Path("/xdg/ocop")
    assert cache_dir({"OCOP_CACHE_DIR": "  ", "XDG_CACHE_HOME": ""}, home=HOME) == Path(
        "/home/dev/.cache/ocop"
    )


def test_cache_dir_inside_the_clone_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with pytest.raises(DevstackConfigError, match="inside the git clone"):
        checked_cache_dir({"OCOP_CACHE_DIR": str(repo / ".cache")}, repo_root=repo)
    outside = checked_cache_dir({"OCOP_CACHE_DIR": str(tmp_path / "c")}, repo_root=repo)
    assert outside == tmp_path / "c"


# --- infra settings and mode choice ---------------------------------------------------------


def test_settings_from_env_reads_mode_and_urls() -> None:
    settings = InfraSettings.from_env(
        {
            "OCOP_INFRA": " Native ",
            "OCOP_KAFKA_BOOTSTRAP": "k:9092",
            "OCOP_MONGO_URL": "mongodb://m:27017/",
        }
    )
    assert settings == InfraSettings("native", "k:9092", "mongodb://m:27017/")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OCOP_INFRA": "podman"}, "expected one of"),
        ({"OCOP_KAFKA_BOOTSTRAP": "k:9092"}, "set both"),
        ({"OCOP_INFRA": "env"}, "needs"),
        ({"OCOP_KAFKA_BOOTSTRAP": "k:1", "OCOP_MONGO_URL": "http://m"}, "mongodb://"),
        ({"OCOP_KAFKA_BOOTSTRAP": "PLAINTEXT://k:1", "OCOP_MONGO_URL": "mongodb://m"}, "host:port"),
    ],
)
def test_invalid_settings_are_rejected(env: dict[str, str], message: str) -> None:
    with pytest.raises(DevstackConfigError, match=message):
        InfraSettings.from_env(env)


def _docker(answers: bool) -> tuple[bool, str]:
    return answers, "probe says so"


def test_choose_mode_order() -> None:
    urls = InfraSettings(None, "k:1", "mongodb://m")
    forced = InfraSettings("native", "k:1", "mongodb://m")
    assert choose_mode(forced, lambda: _docker(True))[0] == "native"
    assert choose_mode(urls, lambda: _docker(True))[0] == "env"
    assert choose_mode(InfraSettings(), lambda: _docker(True))[0] == "docker"
    mode, reason = choose_mode(InfraSettings(), lambda: _docker(False))
    assert mode == "native"
    assert "probe says so" in reason


def test_choose_mode_skips_docker_probe_when_urls_given() -> None:
    def probe() -> tuple[bool, str]:
        raise AssertionError("must not probe Docker")

    assert choose_mode(InfraSettings(None, "k:1", "mongodb://m"), probe)[0] == "env"


def test_infra_export_lines_are_shell_safe() -> None:
    infra = Infra("127.0.0.1:9092", "mongodb://127.0.0.1:27017/?a=1&b=2", "native")
    assert infra.export_lines() == [
        "export OCOP_KAFKA_BOOTSTRAP=127.0.0.1:9092",
        "export OCOP_MONGO_URL='mongodb://127.0.0.1:27017/?a=1&b=2'",
    ]


# --- rendered configs -----------------------------------------------------------------------


def test_server_properties_single_node_kraft() -> None:
    props = server_properties(port=19092, controller_port=19093, data_dir="/run/kafka/data")
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["num.partitions"] == "1"
    assert props["auto.create.topics.enable"] == "true"
    assert props["offsets.topic.replication.factor"] == "1"
    assert "log.retention.hours" not in props  # broker defaults


def test_server_properties_overrides_and_rendering() -> None:
    props = server_properties(
        port=1, controller_port=2, data_dir="/d", num_partitions=3, overrides={"x.y": "z"}
    )
    text = render_properties(props)
    assert "num.partitions=3\n" in text
    assert text.endswith("x.y=z\n")


@pytest.mark.parametrize(
    ("port", "controller_port", "partitions"), [(0, 2, 1), (5, 5, 1), (1, 2, 0), (1, 70000, 1)]
)
def test_server_properties_validates(port: int, controller_port: int, partitions: int) -> None:
    with pytest.raises(ValueError):
        server_properties(
            port=port, controller_port=controller_port, data_dir="/d", num_partitions=partitions
        )


def test_kafka_container_env_advertises_host_port() -> None:
    env = kafka_container_env("localhost", 32768)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://localhost:32768"
    assert env["KAFKA_LISTENERS"] == "PLAINTEXT://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_cluster_id_is_kafka_uuid_format() -> None:
    for _ in range(50):
        cluster_id = new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_ferretdb_args(tmp_path: Path) -> None:
    args = ferretdb_args(
        Path("/c/ferretdb"), port=27018, data_dir=tmp_path / "data", state_dir=tmp_path
    )
    assert args[0] == "/c/ferretdb"
    assert f"--sqlite-url=file:{tmp_path}/data/" in args
    assert "--listen-addr=127.0.0.1:27018" in args
    assert "--telemetry=disable" in args


def test_free_ports_are_distinct() -> None:
    ports = free_ports(3)
    assert len(set(ports)) == 3


# --- process management (fast: tiny shell children) ---------------------------------------


def _sh(tmp_path: Path, script: str) -> NativeProcess:
    return NativeProcess.start(
        "fake", ["sh", "-c", script], log=tmp_path / "fake.log", pidfile=tmp_path / "fake.pid"
    )


def test_process_that_dies_fails_fast_with_log_tail(tmp_path: Path) -> None:
    proc = _sh(tmp_path, "echo boom-from-child; exit 3")
    with pytest.raises(ProcessStartError, match="exited with code 3") as caught:
        proc.wait_ready(lambda: False, timeout=30)
    assert "boom-from-child" in str(caught.value)


def test_readiness_timeout_stops_the_process(tmp_path: Path) -> None:
    proc = _sh(tmp_path, "echo still-booting; exec sleep 30")
    with pytest.raises(ProcessStartError, match="not ready after") as caught:
        proc.wait_ready(lambda: False, timeout=0.5, interval=0.05)
    assert "still-booting" in str(caught.value)
    assert not proc.running()
    assert not (tmp_path / "fake.pid").exists()


def test_stop_escalates_to_sigkill(tmp_path: Path) -> None:
    proc = _sh(tmp_path, "trap '' TERM; echo ready; while :; do sleep 0.1; done")
    proc.wait_ready(lambda: "ready" in (tmp_path / "fake.log").read_text(), timeout=10)
    proc.stop(timeout=0.5)
    assert not proc.running()


# --- command line ---------------------------------------------------------------------------


def test_cli_has_builtin_subcommands() -> None:
    names = {command.name for command in all_commands()}
    assert {"provision", "infra"} <= names
    args = build_parser(all_commands()).parse_args(["infra", "--mode", "native"])
    assert args.command == "infra"
    assert args.mode == "native"


def test_ferretdb_patches_are_part_of_the_build_fingerprint(tmp_path: Path) -> None:
    pinned = native_dir() / "ferretdb"
    module = tmp_path / "ferretdb"
    shutil.copytree(pinned, module)
    patches = ferretdb_patches(module)
    assert [p.name for p in patches] == [p.name for p in ferretdb_patches(pinned)] != []
    assert ferretdb_fingerprint(module) == ferretdb_fingerprint(pinned)
    patches[0].write_text(patches[0].read_text() + "\n")
    assert ferretdb_fingerprint(module) != ferretdb_fingerprint(pinned)


def test_each_ferretdb_patch_explains_the_upstream_defect_before_its_diff() -> None:
    for patch in ferretdb_patches(native_dir() / "ferretdb"):
        text = patch.read_text()
        preamble = text[: text.index("\n--- a/")]
        assert "Upstream defect" in preamble, patch.name
        assert "+++ b/internal/" in text, patch.name
