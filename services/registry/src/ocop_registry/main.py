"""Composition root of the registry service. Nothing connects until the app starts."""

import tempfile
from pathlib import Path

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_registry.adapters.mongo import OUTBOX_COLLECTIONS, ensure_indexes, mongo_stores
from ocop_registry.entrypoints import consumers
from ocop_registry.entrypoints.api import routers
from ocop_registry.service_layer.imports import ImportService
from ocop_registry.service_layer.services import RegistryService


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "registry"
    http_port: int = 8101
    import_dir: Path = Field(
        default=Path(tempfile.gettempdir()) / "ocop-registry-imports",
        description="Where uploaded registers wait while their import job runs.",
    )
    max_import_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    # Imports leave thousands of documents with a pending event. The relay clears a batch with
    # one update_many, which on FerretDB/SQLite holds the write lock for its whole run (~10-20 ms
    # per document): small batches let the service's other writes interleave. Draining takes
    # about as long with 100 as with 500 (bench/registry_import.py notes).
    relay_batch_size: int = Field(default=100, ge=1, le=10_000)


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.REGISTRY]
    )
    stores = mongo_stores(infra.db, events_written=infra.relay.notify)
    service = RegistryService(stores, settings.business_clock())
    app = service_app(
        infra,
        title="OCOP registry",
        description="Producers (chủ thể), products, product codes and administrative units; "
        "public lookup of a product's stars by code, certificate number or QR.",
        api_routers=routers,
        subscriptions=consumers.subscriptions(service),
        on_startup=lambda: ensure_indexes(infra.db),
        upload_limits={"/imports": settings.max_import_bytes},
    )
    app.state.registry = service
    app.state.imports = ImportService(service, settings.import_dir)
    return app


def run() -> None:
    settings = RegistrySettings()
    run_service(lambda: create_app(settings), settings)
