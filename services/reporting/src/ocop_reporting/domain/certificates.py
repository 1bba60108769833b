"""Which products hold a valid OCOP certificate on a day, and at how many stars. Pure.

A product counts as certified on a day only by a certificate valid that day: issued on or before
it, `valid_until` on or after it, not expired or revoked on or before it (`ended_on`), and the
product not withdrawn by then. Its latest rating does not make it certified: an expired, revoked
or withdrawn product's 4★ rating still stands, but its certificate does not. When two
certificates overlap (an upgrade issued before the old one ended), the latest issued counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ocop_reporting.domain.figures import CertifiedProduct
from ocop_reporting.domain.knowledge import known_by

Doc = Mapping[str, Any]


def valid_on(certificate: Doc, day: str, cut: date | None = None) -> bool:
    """A certificate fact (ISO days) in force on `day`, as known on `cut` (domain.knowledge:
    None counts everything known now): an end recorded after `cut` had not happened then."""
    if not certificate.get("day") or not certificate.get("valid_until"):
        return False  # its end arrived before its issue: nothing known of it yet
    if not known_by(certificate, cut):
        return False
    ended = certificate.get("ended_on") if known_by(certificate, cut, "ended_known") else None
    return certificate["day"] <= day <= certificate["valid_until"] and not (ended and ended <= day)


def certified_products(
    certificates: Iterable[Doc], products: Mapping[str, Doc], day: str, cut: date | None = None
) -> dict[str, CertifiedProduct]:
    """Products certified on `day` as known on `cut`, by id: `certificates` are the unit's
    certificate facts, `products` the product facts by id (sector, commune, withdrawal)."""
    latest: dict[str, Doc] = {}
    for certificate in certificates:
        if not valid_on(certificate, day, cut):
            continue
        product_id = str(certificate["product_id"])
        if _withdrawn(products.get(product_id, {}), day, cut):
            continue
        seen = latest.get(product_id)
        if seen is None or _issue(certificate) >= _issue(seen):
            latest[product_id] = certificate
    return {pid: _certified(pid, c, products.get(pid, {})) for pid, c in latest.items()}


def _withdrawn(product: Doc, day: str, cut: date | None) -> bool:
    """The product was withdrawn on or before `day`, as known on `cut`."""
    withdrawn = product.get("withdrawn_on")
    return bool(withdrawn and withdrawn <= day and known_by(product, cut, "withdrawn_known"))


def _issue(certificate: Doc) -> tuple[str, int]:
    return certificate["day"], int(certificate["stars"])


def _certified(product_id: str, certificate: Doc, product: Doc) -> CertifiedProduct:
    return CertifiedProduct(
        product_id=product_id,
        stars=int(certificate["stars"]),
        certificate_id=str(certificate["_id"]),
        sector=product.get("sector"),
        commune_code=product.get("commune_code"),
    )
