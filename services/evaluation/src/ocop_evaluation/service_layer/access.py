"""Who may act on evaluation's records (the rules themselves: ``ocop_platform.identity``).

A product and its dossiers belong to the product's province, its commune and its producer
(``entity_id``, learnt from ProductRegistered/ProductUpdated). Rounds, councils and council rules
belong to a province (central rounds to the Ministry).
"""

from __future__ import annotations

from ocop_platform.identity import Role, Scope
from ocop_platform.mongo import Document

# The roles each kind of action accepts; each caller then reaches only their own records.
EVALUATORS = (Role.PROVINCE_OFFICE, Role.MINISTRY)  # rounds, councils, decisions, ratings
INTAKE = (Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICE)  # commune check, evidence requests
FILERS = (Role.PRODUCER, Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICE)  # file, resubmit, answer
SCORERS = (Role.COUNCIL_MEMBER, Role.PROVINCE_OFFICE, Role.MINISTRY)


def product_scope(product: Document) -> Scope:
    return Scope(product["province_code"], product.get("commune_code"), product.get("entity_id"))


def dossier_scope(dossier: Document, product: Document | None = None) -> Scope:
    """A dossier stays where it was filed; its producer is the product's (recorded at filing;
    dossiers filed before that was recorded take it from ``product``)."""
    entity_id = dossier.get("entity_id") or (product or {}).get("entity_id")
    return Scope(dossier["province_code"], dossier.get("commune_code"), entity_id)
