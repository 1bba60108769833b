"""Star mix and certified counts from certificates valid on the report's day, not from each
product's latest rating."""

from __future__ import annotations

from typing import Any

from ocop_reporting.domain.certificates import certified_products, valid_on

Doc = dict[str, Any]


def certificate(cid: str, product: str, stars: int, issued: str, until: str, **end: str) -> Doc:
    held = {"_id": cid, "product_id": product, "stars": stars, "day": issued, "valid_until": until}
    return held | end


def test_a_certificate_is_valid_from_its_issue_to_its_last_day() -> None:
    held = certificate("c1", "p1", 3, "2021-05-02", "2024-05-02")
    assert not valid_on(held, "2021-05-01")
    assert valid_on(held, "2021-05-02") and valid_on(held, "2024-05-02")
    assert not valid_on(held, "2024-05-03")


def test_an_expired_or_revoked_certificate_stops_on_its_end_day() -> None:
    revoked = certificate("c1", "p1", 3, "2020-07-01", "2023-07-01", ended_on="2021-06-01")
    assert valid_on(revoked, "2021-05-31")
    assert not valid_on(revoked, "2021-06-01")


def test_an_end_known_before_the_issue_is_no_certificate_yet() -> None:
    assert not valid_on({"_id": "c1", "product_id": "p1", "ended_on": "2021-06-01"}, "2021-01-01")


def test_only_valid_certificates_make_certified_products_and_the_star_mix() -> None:
    certificates = [
        certificate("c1", "p1", 3, "2018-05-02", "2021-05-02", ended_on="2021-05-03"),  # expired
        certificate("c2", "p2", 3, "2020-07-01", "2023-07-01", ended_on="2021-06-01"),  # revoked
        certificate("c3", "p3", 4, "2020-07-01", "2023-07-01"),  # its product is withdrawn
        certificate("c4", "p4", 4, "2021-09-15", "2024-09-15"),
    ]
    products = {
        "p3": {"withdrawn_on": "2021-07-01"},
        "p4": {"sector": "I", "commune_code": "29869"},
    }

    found = certified_products(certificates, products, "2021-12-31")

    assert list(found) == ["p4"]
    assert (found["p4"].stars, found["p4"].sector, found["p4"].commune_code) == (4, "I", "29869")
    before = certified_products(certificates, products, "2021-01-01")
    assert sorted(before) == ["p1", "p2", "p3"]  # all three held one then


def test_an_upgrade_counts_the_product_once_at_its_latest_certificate() -> None:
    certificates = [
        certificate("c1", "p1", 3, "2019-08-01", "2022-08-01"),
        certificate("c2", "p1", 4, "2021-10-05", "2024-10-05"),
    ]

    found = certified_products(certificates, {}, "2021-12-31")

    assert [(p.product_id, p.stars, p.certificate_id) for p in found.values()] == [("p1", 4, "c2")]
