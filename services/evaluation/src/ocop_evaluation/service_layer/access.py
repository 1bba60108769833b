"""Who may act on evaluation's records (the rules themselves: ``ocop_platform.identity``).

A product and its dossiers belong to the product's province, its commune and its producer
(``entity_id``, learnt from ProductRegistered/ProductUpdated). Rounds, councils and council rules
belong to a province (central rounds to the Ministry).
"""

from __future__ import annotations

from ocop_evaluation.domain.dossiers import Dossier
from ocop_evaluation.domain.products import RegisteredProduct
from ocop_evaluation.domain.rounds import Round
from ocop_platform.errors import DomainError
from ocop_platform.identity import Principal, Role, Scope, ensure_may_write

# The roles each kind of action accepts; each caller then reaches only their own records.
EVALUATORS = (Role.PROVINCE_OFFICE, Role.MINISTRY)  # rounds, councils, decisions, ratings
INTAKE = (Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICE)  # commune check, evidence requests
FILERS = (Role.PRODUCER, Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICE)  # file, resubmit, answer
SCORERS = (Role.COUNCIL_MEMBER, Role.PROVINCE_OFFICE, Role.MINISTRY)
NATIONAL = (Role.MINISTRY, Role.ADMIN)  # central rounds, central results, 5★


def product_scope(product: RegisteredProduct) -> Scope:
    return Scope(product.province_code, product.commune_code, product.entity_id)


def dossier_scope(dossier: Dossier, product: RegisteredProduct | None = None) -> Scope:
    """A dossier stays where it was filed; its producer is the product's (recorded at filing;
    dossiers filed before that was recorded take it from ``product``)."""
    entity_id = dossier.entity_id or (product.entity_id if product else None)
    return Scope(dossier.province_code, dossier.commune_code, entity_id)


def ensure_national(who: Principal, message: str, field: str) -> None:
    """The Ministry's (or an administrator's) alone; else a DomainError naming ``field``."""
    if not who.has_any(NATIONAL):
        raise DomainError(message, field=field)


def ensure_may_run(who: Principal, rnd: Round) -> None:
    """Central rounds are the Ministry's; a province round its province's evaluators'."""
    if rnd.is_central:
        ensure_national(who, "central rounds are run by the Ministry", "round_id")
    else:
        assert rnd.province_code is not None  # a province round names its province
        ensure_may_write(who, Scope(rnd.province_code), EVALUATORS)
