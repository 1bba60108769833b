"""Settings from the environment (prefix OCOP_), validated, with development defaults."""

from datetime import date
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocop_contracts.clock import Clock

DEV_JWT_SECRET = "ocop-development-secret-not-for-production"


class ServiceSettings(BaseSettings):
    """What every service needs. A service subclasses it to add its own fields and defaults."""

    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = ""
    # FerretDB v1 (SQLite) loses concurrent updates to one document (200 concurrent $inc left 6),
    # so against it every operation of a service must go through ONE connection: set 1 there.
    # MongoDB updates one document atomically; keep the driver's pool.
    mongo_max_pool_size: int = Field(default=100, ge=1, le=1000)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    relay_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    # The relay drains pending markers at every poll; the full sweep of the outbox collections
    # (the safety net for a crash between an aggregate's write and its marker's) runs this often.
    outbox_sweep_seconds: float = Field(default=300.0, gt=0, le=86_400)
    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    # 10, not more: with 100, e2e test_exactly_once's promotion feed fell behind on FerretDB.
    consumer_batch_size: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Records a consumer takes per poll and commits at once; 1 commits after "
        "every message.",
    )
    consumer_retry_backoff_seconds: float = Field(default=0.2, ge=0, le=60)
    consumer_group_prefix: str = "ocop"
    # Development creates missing topics at start-up; production provisions them beforehand
    # (partitions and replication chosen for the cluster) and sets OCOP_CREATE_TOPICS=false.
    create_topics: bool = True
    topic_partitions: int = Field(default=3, ge=1, le=1000)
    topic_replication_factor: int = Field(default=1, ge=1, le=10)
    # The HTTP edge: no single request may exhaust memory or hang on a stalled dependency.
    max_request_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=1024**3, description="Largest request body (413 above)."
    )
    request_deadline_seconds: float = Field(
        default=5.0, gt=0, le=300, description="A request not answered by then gets a 503."
    )
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    clock: date | None = Field(
        default=None,
        description="Pin the business date (OCOP_CLOCK=YYYY-MM-DD) outside production; refused "
        "in production, where the clock is always real.",
    )

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port…], got {value!r}")
        return value

    @field_validator("mongo_url")
    @classmethod
    def _mongo_scheme(cls, value: str) -> str:
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> Self:
        if not self.mongo_db:
            object.__setattr__(self, "mongo_db", f"ocop_{self.service_name}")
        secret = self.jwt_secret.get_secret_value()
        if self.environment == "production" and (secret == DEV_JWT_SECRET or len(secret) < 32):
            raise ValueError(
                "OCOP_JWT_SECRET must be set to a secret of ≥32 characters in production"
            )
        if self.environment == "production" and self.clock is not None:
            raise ValueError("OCOP_CLOCK cannot be set in production: the clock stays real")
        return self

    def business_clock(self) -> Clock:
        """The service's clock: real, or pinned to OCOP_CLOCK outside production."""
        return Clock(today=self.clock, production=self.environment == "production")

    @property
    def consumer_group(self) -> str:
        return f"{self.consumer_group_prefix}.{self.service_name}"
