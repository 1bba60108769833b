"""What the registry reacts to: one routing table."""

from typing import get_args

from ocop_contracts import topics
from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_platform.consumer import Subscription
from ocop_registry.domain.lifecycle import EvaluationEvent
from ocop_registry.service_layer.ingest import RegistrationIngest
from ocop_registry.service_layer.services import RegistryService

# What a province system needs to know, in the AsyncAPI document of the ingest subscriber.
INGEST_RULES = (
    "Registrations from a province system: the registry's own EntityRegistered and "
    "ProductRegistered, with producer = the system's name and province_code = its province "
    "(the declared source); entity_id and product_id are the system's own ids. Send a "
    "producer's EntityRegistered before its products, all with the producer's entity_id as "
    "Kafka key, so they are read in that order. Each message is checked like POST /entities or "
    "POST /products from a province system of the declared province: the commune (2025 code; "
    "required) is in that province, and so is the product code (province-commune-sequence-year, "
    "with the product's commune and year); the scoring set exists and suits the producer's "
    "legal form; the product's commune and legal form are its producer's (one this system "
    "registered, or one in the registry under the registry's id); the producer has no "
    "registered product of the same name (case and accents ignored); the code is free. "
    "**History.** registered_on (optional) is the day the record joined the programme, for "
    "registrations older than the message: a real date, not after today (Vietnam's date); "
    "legacy_unit (optional) is its 2008 province (whose successor must be the declared "
    "province), district and commune before 1 July 2025; both are kept and carried by the "
    "canonical events, so reporting counts the record in the year and old unit it joined. "
    "Accepted: registered under the registry's own id and re-emitted as the canonical event "
    "(version 1 of the record, schema_version 2: province_code the 2025 province) on "
    "ocop.registry.v1. Rejected: dead-lettered to ocop.ingest.registry.v1.dlq with the reason "
    "in the x-dlq-reason header.\n\n"
    "**Re-sends.** A record is known by province_code, producer and its own id. The same "
    "event_id again is applied once; a new event_id with the same content is acknowledged as a "
    "duplicate; other content is dead-lettered, naming what differs. GET /entities/{id} and "
    "GET /products/{id} show the system's id under source."
)


def subscriptions(service: RegistryService) -> list[Subscription]:
    ingest = RegistrationIngest(service)
    return [
        # Evaluation's events about a product: its stars, certificate and status.
        Subscription(
            topics.EVALUATION,
            dict.fromkeys(get_args(EvaluationEvent), service.on_evaluation_event),
            prefetch=service.prefetch_evaluated,
        ),
        # Province systems' registrations: checked, then registered canonically or dead-lettered.
        Subscription(
            topics.INGEST_REGISTRY,
            {
                EntityRegistered: ingest.on_entity_registered,
                ProductRegistered: ingest.on_product_registered,
            },
            unknown_types="dead_letter",
            description=INGEST_RULES,
        ),
    ]
