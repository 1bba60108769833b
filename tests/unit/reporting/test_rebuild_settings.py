"""Where `ocop-reporting-rebuild` takes Kafka, the store and the database from: the environment,
else the settings file a running `./dev up` writes (the same file, read back)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocop_devstack.stack import write_settings_files
from ocop_reporting.main import ReportingSettings
from ocop_reporting.rebuild import DEV_STACK_SETTINGS, dev_stack_settings, main

STACK_ENV = {
    "OCOP_KAFKA_BOOTSTRAP": "127.0.0.1:41234",
    "OCOP_MONGO_URL": "mongodb://127.0.0.1:41235/",
    "OCOP_MONGO_DB": "ocop_dev_reporting",
    "OCOP_HTTP_PORT": "8104",
}


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone in which `./dev up` runs: it wrote its services' settings under .ocop/run."""
    (written,) = write_settings_files({"reporting": STACK_ENV}, tmp_path / ".ocop/run/services")
    assert written == tmp_path / DEV_STACK_SETTINGS
    return tmp_path


def test_the_running_dev_stack_is_found_from_the_clone_or_below_it(clone: Path) -> None:
    assert dev_stack_settings(clone, {}) == clone / DEV_STACK_SETTINGS
    below = clone / "services" / "reporting"
    below.mkdir(parents=True)
    assert dev_stack_settings(below, {"PATH": "/usr/bin"}) == clone / DEV_STACK_SETTINGS


def test_the_dev_stacks_file_gives_its_kafka_store_and_database(clone: Path) -> None:
    settings = ReportingSettings(_env_file=dev_stack_settings(clone, {}))
    assert (settings.kafka_bootstrap, settings.mongo_url, settings.mongo_db) == (
        "127.0.0.1:41234",
        "mongodb://127.0.0.1:41235/",
        "ocop_dev_reporting",
    )


@pytest.mark.parametrize("name", ["OCOP_KAFKA_BOOTSTRAP", "OCOP_MONGO_URL", "OCOP_MONGO_DB"])
def test_any_connection_setting_in_the_environment_leaves_the_file_alone(
    clone: Path, name: str
) -> None:
    assert dev_stack_settings(clone, {name: "x"}) is None


def test_without_a_running_dev_stack_there_is_no_file(tmp_path: Path) -> None:
    assert dev_stack_settings(tmp_path, {}) is None


def test_a_missing_settings_file_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--env-file", str(tmp_path / "nowhere.env")]) == 2
    assert capsys.readouterr().err == f"[rebuild] no settings file {tmp_path / 'nowhere.env'}\n"
