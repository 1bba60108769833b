"""Service settings: development defaults, validation that names the field, production safety."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from ocop_platform.settings import DEV_JWT_SECRET, ServiceSettings

STRONG_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read OCOP_* variables; the machine running the tests must not leak into them."""
    for name in list(os.environ):
        if name.upper().startswith("OCOP_"):
            monkeypatch.delenv(name)


def invalid_fields(**values: Any) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(**values)
    return {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}


def test_defaults_point_at_a_local_development_stack() -> None:
    settings = ServiceSettings()
    assert settings.environment == "development"
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.mongo_url == "mongodb://127.0.0.1:27017/"
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert settings.consumer_max_attempts == 3


def test_mongo_db_defaults_to_ocop_and_the_service_name() -> None:
    assert ServiceSettings(service_name="registry").mongo_db == "ocop_registry"


def test_an_explicit_mongo_db_is_kept() -> None:
    assert ServiceSettings(service_name="registry", mongo_db="other").mongo_db == "other"


def test_consumer_group_is_the_prefix_and_the_service_name() -> None:
    assert ServiceSettings(service_name="promotion").consumer_group == "ocop.promotion"


def test_several_kafka_bootstrap_servers_are_accepted() -> None:
    settings = ServiceSettings(kafka_bootstrap="kafka-1:9092, kafka-2:9093")
    assert settings.kafka_bootstrap == "kafka-1:9092, kafka-2:9093"


@pytest.mark.parametrize("bootstrap", ["kafka", "kafka:", ":9092", "kafka:ninety", "a:1,b"])
def test_an_invalid_kafka_bootstrap_is_rejected_naming_the_field(bootstrap: str) -> None:
    assert invalid_fields(kafka_bootstrap=bootstrap) == {"kafka_bootstrap"}


@pytest.mark.parametrize("url", ["postgres://db/ocop", "127.0.0.1:27017", ""])
def test_a_mongo_url_without_a_mongodb_scheme_is_rejected_naming_the_field(url: str) -> None:
    assert invalid_fields(mongo_url=url) == {"mongo_url"}


def test_a_mongodb_srv_url_is_accepted() -> None:
    url = "mongodb+srv://cluster.example.org/"
    assert ServiceSettings(mongo_url=url).mongo_url == url


def test_production_refuses_the_development_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="OCOP_JWT_SECRET"):
        ServiceSettings(environment="production")


def test_production_refuses_a_short_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="OCOP_JWT_SECRET"):
        ServiceSettings(environment="production", jwt_secret=SecretStr("s" * 31))


def test_production_accepts_a_long_jwt_secret() -> None:
    settings = ServiceSettings(environment="production", jwt_secret=SecretStr(STRONG_SECRET))
    assert settings.jwt_secret.get_secret_value() == STRONG_SECRET


def test_settings_are_read_from_ocop_prefixed_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OCOP_SERVICE_NAME", "reporting")
    monkeypatch.setenv("OCOP_KAFKA_BOOTSTRAP", "broker:29092")
    monkeypatch.setenv("OCOP_CONSUMER_MAX_ATTEMPTS", "5")
    settings = ServiceSettings()
    assert (settings.service_name, settings.kafka_bootstrap) == ("reporting", "broker:29092")
    assert settings.consumer_max_attempts == 5
    assert settings.mongo_db == "ocop_reporting"


def test_unprefixed_environment_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "elsewhere:9092")
    assert ServiceSettings().kafka_bootstrap == "127.0.0.1:9092"


def test_an_invalid_environment_variable_is_rejected_naming_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OCOP_MONGO_URL", "redis://cache")
    with pytest.raises(ValidationError, match="mongo_url"):
        ServiceSettings()


def test_settings_are_frozen() -> None:
    settings = ServiceSettings()
    with pytest.raises(ValidationError):
        settings.http_port = 9000  # type: ignore[misc]
