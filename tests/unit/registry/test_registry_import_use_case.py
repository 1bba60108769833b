"""A register imported over the registry's stores in memory: producers and products added in
bulk, each with its registration event, codes allocated after the ones the file gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ocop_contracts import RatingLevel
from ocop_contracts.events.registry import (
    EntityRegistered,
    PriorCertificateDeclared,
    ProductRegistered,
)
from ocop_registry.domain.model import ProductStatus
from tests.unit.registry.import_support import ROWS, Importer
from tests.unit.registry.registry_builders import COMMUNE, PROVINCE, published


async def test_a_register_is_added_in_bulk_with_one_registration_event_each(
    tmp_path: Path,
) -> None:
    importer = Importer(tmp_path)

    job = await importer.run(ROWS)

    assert (job["status"], job["entities_created"], job["products_created"]) == ("done", 1, 3)
    events = published(importer.stores)
    registered = [e for e in events if not isinstance(e, PriorCertificateDeclared)]
    assert [type(e) for e in registered] == [EntityRegistered, *[ProductRegistered] * 3]
    assert {e.aggregate_version for e in registered} == {1}
    products = await importer.products()
    codes = {name: product.product_code for name, product in products.items()}
    assert codes == {
        "Cà phê phin": f"{PROVINCE}-{COMMUNE}-5-2024",
        "Cà phê rang xay": f"{PROVINCE}-{COMMUNE}-6-2024",  # after the number the file gives
        "Cà phê hạt": f"{PROVINCE}-{COMMUNE}-7-2024",
    }
    # The certified row's product: registered, its certificate declared to evaluation in the
    # same write (version 2), its stars left to evaluation's CertificateIssued.
    certified = products["Cà phê hạt"]
    assert (certified.status, certified.stars, certified.version) == (
        ProductStatus.REGISTERED,
        0,
        2,
    )
    (declared,) = [e for e in events if isinstance(e, PriorCertificateDeclared)]
    assert (declared.product_id, declared.aggregate_version) == (certified.id, 2)
    assert (declared.certificate_id, declared.level, declared.valid_until) == (
        "52/2024/OCOP-3",
        RatingLevel.PROVINCE,
        date(2027, 8, 31),
    )


async def test_a_code_already_in_the_register_rejects_the_file_naming_the_row(
    tmp_path: Path,
) -> None:
    importer = Importer(tmp_path)
    await importer.run(ROWS[2:])

    job = await importer.run(ROWS)

    assert (job["status"], job["error_rows"]) == ("rejected", 1)
    [line] = await importer.imports.report_lines(job["job_id"], "error")
    assert (line["row"], line["column"]) == (4, "product_code")
    assert await importer.stores.products.count({}) == 1


async def test_a_certificate_number_twice_in_the_file_or_held_already_names_its_row(
    tmp_path: Path,
) -> None:
    importer = Importer(tmp_path)
    again = {**ROWS[1], "product_name": "Cà phê chồn"}

    twice = await importer.run([ROWS[1], again])
    [line] = await importer.imports.report_lines(twice["job_id"], "error")
    assert (twice["status"], line["row"], line["column"]) == ("rejected", 3, "certificate_id")
    assert line["message"] == "same certificate number as row 2"

    await importer.run([ROWS[1]])
    held = await importer.run([again])
    [line] = await importer.imports.report_lines(held["job_id"], "error")
    assert (held["status"], line["row"], line["column"]) == ("rejected", 2, "certificate_id")
    assert await importer.stores.products.count({}) == 1
