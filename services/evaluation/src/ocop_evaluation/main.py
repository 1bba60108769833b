"""Composition root of the evaluation service. Nothing connects until the app starts."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_evaluation.adapters.repository import OUTBOX_COLLECTIONS, MongoEvaluationRepository
from ocop_evaluation.entrypoints import api, consumers
from ocop_evaluation.service_layer.services import EvaluationService
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "evaluation"
    http_port: int = 8102


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.EVALUATION]
    )
    service = EvaluationService(MongoEvaluationRepository(infra.db), infra.relay.notify)
    app = service_app(
        infra,
        title="OCOP evaluation",
        description="Rule sets, ratings and certificates.",
        api_routers=[api.router],
        subscriptions=consumers.subscriptions(service),
    )
    app.state.evaluation = service
    return app


def run() -> None:
    settings = EvaluationSettings()
    run_service(lambda: create_app(settings), settings)
