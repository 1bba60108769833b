"""How registry state is laid out in documents, and the events built from it."""

from __future__ import annotations

from datetime import date
from typing import Any

from ocop_contracts import LegalForm
from ocop_contracts.events.registry import (
    EntityRegistered,
    EntityUpdated,
    ProductRegistered,
    ProductUpdated,
)
from ocop_platform.logging import trace_fields
from ocop_platform.mongo import Document
from ocop_registry.domain.lifecycle import Certificate, EvaluationState
from ocop_registry.domain.model import ProductStatus

SERVICE = "registry"


def _entity_payload(doc: Document) -> dict[str, Any]:
    return {
        "producer": SERVICE,
        **trace_fields(),
        "aggregate_id": doc["entity_id"],
        "province_code": doc["province_code"],
        "entity_id": doc["entity_id"],
        "name": doc["name"],
        "legal_form": LegalForm(doc["legal_form"]),
        "commune_code": doc["commune_code"],
        "women_led": doc["women_led"],
        "ethnic_minority_led": doc["ethnic_minority_led"],
        "disability_led": doc["disability_led"],
    }


def entity_registered(doc: Document) -> EntityRegistered:
    return EntityRegistered(**_entity_payload(doc), aggregate_version=doc["version"])


def entity_updated(doc: Document, version: int) -> EntityUpdated:
    return EntityUpdated(**_entity_payload(doc), aggregate_version=version)


def _product_payload(doc: Document) -> dict[str, Any]:
    return {
        "producer": SERVICE,
        **trace_fields(),
        "aggregate_id": doc["product_id"],
        "province_code": doc["province_code"],
        "product_id": doc["product_id"],
        "product_code": doc["product_code"],
        "name": doc["name"],
        "entity_id": doc["entity_id"],
        "legal_form": LegalForm(doc["legal_form"]),
        "scoring_set_code": doc["scoring_set_code"],
        "commune_code": doc["commune_code"],
        "women_led": doc["women_led"],
        "ethnic_minority_led": doc["ethnic_minority_led"],
    }


def product_registered(doc: Document, version: int) -> ProductRegistered:
    return ProductRegistered(**_product_payload(doc), aggregate_version=version)


def product_updated(doc: Document, version: int) -> ProductUpdated:
    return ProductUpdated(**_product_payload(doc), aggregate_version=version)


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def evaluation_state(doc: Document) -> EvaluationState:
    cert_doc = doc.get("certificate")
    cert = None
    if cert_doc:
        cert = Certificate(
            certificate_id=cert_doc["certificate_id"],
            stars=cert_doc["stars"],
            issued_on=_day(cert_doc["issued_on"]) or date.min,
            valid_until=_day(cert_doc["valid_until"]) or date.min,
            decision_ref=cert_doc.get("decision_ref", ""),
            revoked_on=_day(cert_doc.get("revoked_on")),
            expired_on=_day(cert_doc.get("expired_on")),
        )
    return EvaluationState(
        status=ProductStatus(doc["status"]),
        stars=doc.get("stars", 0),
        score=doc.get("score"),
        rated_on=_day(doc.get("rated_on")),
        certificate=cert,
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def evaluation_fields(state: EvaluationState) -> Document:
    """The document fields holding `state` (dates as ISO strings: BSON has no date-only type)."""
    cert = state.certificate
    return {
        "status": state.status.value,
        "stars": state.stars,
        "score": state.score,
        "rated_on": _iso(state.rated_on),
        "certificate": None
        if cert is None
        else {
            "certificate_id": cert.certificate_id,
            "stars": cert.stars,
            "issued_on": _iso(cert.issued_on),
            "valid_until": _iso(cert.valid_until),
            "decision_ref": cert.decision_ref,
            "revoked_on": _iso(cert.revoked_on),
            "expired_on": _iso(cert.expired_on),
        },
    }
