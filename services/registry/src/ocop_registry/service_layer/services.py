"""Registry use cases: validate against reference data, write state + events in one write."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import uuid4

from ocop_contracts import LegalForm
from ocop_contracts.clock import SYSTEM_CLOCK, Clock
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
    ProductRated,
)
from ocop_contracts.events.registry import ProductWithdrawn
from ocop_contracts.reference import fold_vi, is_current_province, is_legacy_province
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.logging import trace_fields
from ocop_platform.mongo import Document
from ocop_registry.adapters.repository import DuplicateCode, MongoRegistryRepository
from ocop_registry.domain import rules as check
from ocop_registry.domain.codes import check_given_code, lookup_key, parse_product_code
from ocop_registry.domain.commands import (
    AddAccount,
    RegisterEntity,
    RegisterProduct,
    Representative,
    UpdateEntity,
    UpdateProduct,
    WithdrawProduct,
)
from ocop_registry.domain.duplicates import NearDuplicate, near_duplicates
from ocop_registry.domain.lifecycle import EvaluationEvent, apply_evaluation
from ocop_registry.domain.model import ProductStatus, product_code
from ocop_registry.domain.producers import leadership_flags
from ocop_registry.service_layer import documents as docs
from ocop_registry.service_layer.access import Caller, ensure_write, may_read

SERVICE = docs.SERVICE
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class SearchFilters:
    province_code: str | None = None
    province_edition: str = "2025"
    commune_code: str | None = None
    sector: str | None = None
    group: str | None = None
    scoring_set_code: str | None = None
    stars: int | None = None
    min_stars: int | None = None
    status: ProductStatus | None = None
    legal_form: LegalForm | None = None
    women_led: bool | None = None
    ethnic_minority_led: bool | None = None
    entity_id: str | None = None
    year: int | None = None
    q: str | None = None

    def query(self) -> Document:
        query: Document = {}
        if self.province_code is not None:
            if self.province_edition == "2008":
                if not is_legacy_province(self.province_code):
                    raise DomainError(
                        f"unknown pre-2025 province code {self.province_code!r}",
                        field="province_code",
                    )
                query["legacy_province_code"] = self.province_code
            else:
                if not is_current_province(self.province_code):
                    raise DomainError(
                        f"unknown 2025 province code {self.province_code!r}; for a pre-2025 "
                        "code pass province_edition=2008",
                        field="province_code",
                    )
                query["province_code"] = self.province_code
        simple = {
            "commune_code": self.commune_code,
            "sector_code": self.sector,
            "group_code": self.group,
            "scoring_set_code": self.scoring_set_code,
            "stars": self.stars,
            "legal_form": self.legal_form.value if self.legal_form else None,
            "women_led": self.women_led,
            "ethnic_minority_led": self.ethnic_minority_led,
            "entity_id": self.entity_id,
            "year": self.year,
        }
        query.update({k: v for k, v in simple.items() if v is not None})
        if self.min_stars is not None:
            query["stars"] = {"$gte": self.min_stars}
        query["status"] = self.status.value if self.status else {"$ne": ProductStatus.DRAFT.value}
        if self.q:
            query["name_fold"] = {"$regex": re.escape(fold_vi(self.q))}
        return query


class RegistryService:
    def __init__(
        self,
        repository: MongoRegistryRepository,
        events_written: Callable[[], None],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._repo = repository
        self._events_written = events_written
        self._clock = clock

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def repository(self) -> MongoRegistryRepository:
        return self._repo

    def events_written(self) -> None:
        self._events_written()

    # --- producers -----------------------------------------------------------------------

    async def register_entity(
        self,
        cmd: RegisterEntity,
        caller: Caller,
        *,
        entity_id: str | None = None,
        origin: Document | None = None,
    ) -> Document:
        """``entity_id`` and ``origin`` (the province system's record): set by the ingest."""
        check.check_unit(cmd.province_code, cmd.commune_code)
        ensure_write(caller, cmd.province_code, cmd.commune_code)
        check.check_tax_code(cmd.tax_code)
        if cmd.legacy_address is not None:
            check.check_legacy_address(cmd.legacy_address, cmd.province_code)
        key = check.registration_key(cmd.tax_code, cmd.registration_number)
        if key is not None:
            existing = await self._repo.entities_by_registration([key])
            if key in existing:
                raise Conflict(
                    f"a producer with this registration is already registered: "
                    f"{existing[key]['entity_id']}",
                    field="tax_code" if cmd.tax_code else "registration_number",
                )
        doc = entity_document(cmd, entity_id or f"ent-{uuid4().hex[:12]}", key, self._clock.now())
        if origin is not None:
            doc["source"] = origin
        await self._repo.add_entity(doc, [docs.entity_registered(doc)])
        self._events_written()
        return doc

    async def get_entity(self, entity_id: str) -> Document:
        doc = await self._repo.get_entity(entity_id)
        if doc is None:
            raise NotFound(f"no producer {entity_id}", field="entity_id")
        return doc

    async def may_see_personal_data(self, doc: Document, caller: Caller | None) -> bool:
        if caller is None:
            return False
        return may_read(
            caller,
            doc["province_code"],
            doc["commune_code"],
            entity_id=doc["entity_id"],
            accounts=doc.get("accounts", []),
        )

    def _ensure_entity_write(self, caller: Caller, doc: Document) -> None:
        ensure_write(
            caller,
            doc["province_code"],
            doc["commune_code"],
            entity_id=doc["entity_id"],
            accounts=doc.get("accounts", []),
        )

    async def update_entity(self, entity_id: str, cmd: UpdateEntity, caller: Caller) -> Document:
        current = await self.get_entity(entity_id)
        self._ensure_entity_write(caller, current)
        changes = cmd.model_dump(exclude_unset=True, mode="json")
        province: str = changes.get("province_code") or current["province_code"]
        commune: str = changes.get("commune_code") or current["commune_code"]
        if "province_code" in changes or "commune_code" in changes:
            check.check_unit(province, commune)
            ensure_write(caller, province, commune)
        check.check_tax_code(changes.get("tax_code"))
        if cmd.legacy_address is not None:
            check.check_legacy_address(cmd.legacy_address, province)
        merged = {**current, **changes}
        rep = (
            Representative.model_validate(merged["representative"])
            if merged.get("representative")
            else None
        )
        flags = leadership_flags(
            rep,
            changes.get("women_led", current["women_led"] if rep is None else None),
            changes.get(
                "ethnic_minority_led", current["ethnic_minority_led"] if rep is None else None
            ),
            changes.get("disability_led", current["disability_led"] if rep is None else None),
        )
        merged.update(flags)
        if "name" in changes:
            merged["name_fold"] = fold_vi(merged["name"])
        merged["registration_key"] = check.registration_key(
            merged.get("tax_code"), merged.get("registration_number")
        )
        merged["dossier_gaps"] = _dossier_gaps(merged)
        merged["updated_at"] = self._clock.now()
        fields = {k: v for k, v in merged.items() if k not in ("_id", "version", "outbox")}
        version = current["version"]
        event = docs.entity_updated(merged, version + 1)
        if not await self._repo.update_entity(entity_id, version, fields, [event]):
            raise Conflict("the producer changed meanwhile; reload and retry", field="entity_id")
        self._events_written()
        await self._follow_entity(merged)
        return {**merged, "version": version + 1}

    async def _follow_entity(self, entity: Document) -> None:
        """Products carry their producer's name, form and leadership flags: bring them along,
        each with a ProductUpdated when an event field changed."""
        copied = ("legal_form", "women_led", "ethnic_minority_led")
        for product in await self._repo.products_of_entity(entity["entity_id"]):
            fields = {k: entity[k] for k in copied}
            fields["entity_name"] = entity["name"]
            changed = any(product.get(k) != entity[k] for k in copied)
            if not changed and product.get("entity_name") == entity["name"]:
                continue
            registered = product["status"] != ProductStatus.DRAFT.value
            version = product["version"]
            new_version = version + 1 if (changed and registered) else version
            events = (
                [docs.product_updated({**product, **fields}, new_version)]
                if changed and registered
                else []
            )
            await self._repo.update_product(
                product["product_id"], version, fields, events, new_version=new_version
            )
        self._events_written()

    async def add_account(self, entity_id: str, cmd: AddAccount, caller: Caller) -> Document:
        current = await self.get_entity(entity_id)
        self._ensure_entity_write(caller, current)
        accounts = list(current.get("accounts", []))
        if cmd.subject in accounts:
            return current
        if len(accounts) >= 20:
            raise DomainError("a producer has at most 20 user accounts", field="subject")
        accounts.append(cmd.subject)
        # Accounts are access data, not part of the producer's published state: no event.
        if not await self._repo.update_entity(
            entity_id, current["version"], {"accounts": accounts}, [], bump=False
        ):
            raise Conflict("the producer changed meanwhile; retry", field="entity_id")
        return {**current, "accounts": accounts}

    # --- products ------------------------------------------------------------------------

    async def register_product(
        self,
        cmd: RegisterProduct,
        caller: Caller,
        *,
        product_id: str | None = None,
        origin: Document | None = None,
    ) -> tuple[Document, list[NearDuplicate]]:
        """``product_id`` and ``origin`` (the province system's record): set by the ingest."""
        entity = await self._repo.get_entity(cmd.entity_id)
        if entity is None:
            raise DomainError(f"no producer {cmd.entity_id}", field="entity_id")
        self._ensure_entity_write(caller, entity)
        found = check.scoring_set(cmd.scoring_set_code)
        legal_form = LegalForm(entity["legal_form"])
        check.check_legal_form_for(legal_form, found, "scoring_set_code")
        legacy_class = check.check_legacy_classification(
            cmd.legacy_classification, found, "legacy_classification"
        )
        province, commune = entity["province_code"], entity["commune_code"]
        legacy_code, legacy_province, given_sequence = await self._given_code(cmd, entity)
        doc = product_document(
            cmd,
            product_id=product_id or f"prd-{uuid4().hex[:12]}",
            entity=entity,
            group_code=found.group_code,
            sector_code=found.sector_code,
            scoring_set_code=found.code,
            legacy_classification=legacy_class,
            legacy_product_code=legacy_code,
            legacy_province_code=legacy_province,
            now=self._clock.now(),
        )
        warnings = near_duplicates(
            doc["name"], commune, await self._repo.duplicate_candidates(province)
        )
        doc["near_duplicates"] = [asdict(w) for w in warnings]
        if origin is not None:
            doc["source"] = origin
        if cmd.draft:
            doc.update(status=ProductStatus.DRAFT.value, draft_year=cmd.year)
            doc["given_sequence"] = given_sequence
            await self._repo.add_product(doc, [])
            return doc, warnings
        await self._assign_code(doc, cmd.year, given_sequence)
        try:
            await self._repo.add_product(doc, [docs.product_registered(doc, 1)])
        except DuplicateCode as exc:
            raise Conflict(
                f"product code {doc['product_code']} is taken", field="product_code"
            ) from exc
        self._events_written()
        return doc, warnings

    async def _given_code(
        self, cmd: RegisterProduct, entity: Document
    ) -> tuple[str | None, str | None, int]:
        """The code a registration gives, checked: (legacy code, legacy province, sequence to
        allocate from; 0 allocates the next one)."""
        legacy_province = (entity.get("legacy_address") or {}).get("province_code")
        given = check_given_code(
            cmd.product_code,
            cmd.year,
            entity["province_code"],
            entity["commune_code"],
            legacy_province,
        )
        if given.legacy_code is not None and await self._repo.find_product(
            {"legacy_product_code": given.legacy_code}
        ):
            raise Conflict(f"product code {given.legacy_code} is taken", field="product_code")
        return given.legacy_code, given.legacy_province_code, given.sequence

    async def _assign_code(self, doc: Document, year: int, given_sequence: int) -> None:
        province, commune = doc["province_code"], doc["commune_code"]
        sequence = await self._repo.next_sequence(province, commune, year, at_least=given_sequence)
        code = product_code(province, commune, sequence, year)
        doc.update(
            product_code=code,
            code_key=code,
            status=ProductStatus.REGISTERED.value,
            version=1,
            registered_at=self._clock.now(),
        )

    async def submit_draft(self, product_id: str, caller: Caller) -> Document:
        """Register a draft: allocate its code and publish ProductRegistered."""
        current = await self.get_product(product_id)
        await self._ensure_product_write(caller, current)
        if current["status"] != ProductStatus.DRAFT.value:
            raise Conflict(f"product {product_id} is already registered", field="product_id")
        doc = dict(current)
        await self._assign_code(doc, current["draft_year"], current.get("given_sequence", 0))
        fields = {k: doc[k] for k in ("product_code", "code_key", "status", "registered_at")}
        try:
            ok = await self._repo.update_product(
                product_id, 0, fields, [docs.product_registered(doc, 1)], new_version=1
            )
        except DuplicateCode as exc:
            raise Conflict(
                f"product code {doc['product_code']} is taken", field="product_code"
            ) from exc
        if not ok:
            raise Conflict("the draft changed meanwhile; retry", field="product_id")
        self._events_written()
        return doc

    async def get_product(self, product_id: str) -> Document:
        doc = await self._repo.get_product(product_id)
        if doc is None:
            raise NotFound(f"no product {product_id}", field="product_id")
        return doc

    async def _ensure_product_write(self, caller: Caller, product: Document) -> None:
        entity = await self._repo.get_entity(product["entity_id"]) or {}
        ensure_write(
            caller,
            product["province_code"],
            product["commune_code"],
            entity_id=product["entity_id"],
            accounts=entity.get("accounts", []),
        )

    async def update_product(self, product_id: str, cmd: UpdateProduct, caller: Caller) -> Document:
        current = await self.get_product(product_id)
        await self._ensure_product_write(caller, current)
        if current["status"] == ProductStatus.WITHDRAWN.value:
            raise Conflict("a withdrawn product cannot change", field="product_id")
        changes = cmd.model_dump(exclude_unset=True, mode="json")
        if "name" in changes:
            if changes["name"] is None:
                raise DomainError("name cannot be removed", field="name")
            changes["name_fold"] = fold_vi(changes["name"])
        set_code = changes.get("scoring_set_code") or current["scoring_set_code"]
        if changes.get("scoring_set_code") is None:
            changes.pop("scoring_set_code", None)
        found = check.scoring_set(set_code)
        check.check_legal_form_for(LegalForm(current["legal_form"]), found, "scoring_set_code")
        changes.update(scoring_set_code=found.code, group_code=found.group_code)
        changes["sector_code"] = found.sector_code
        if "legacy_classification" in changes:
            changes["legacy_classification"] = check.check_legacy_classification(
                changes["legacy_classification"], found, "legacy_classification"
            )
        if changes.get("channels") is None:
            changes.pop("channels", None)
        changes["updated_at"] = self._clock.now()
        merged = {**current, **changes}
        version = current["version"]
        draft = current["status"] == ProductStatus.DRAFT.value
        new_version = version if draft else version + 1
        events = [] if draft else [docs.product_updated(merged, new_version)]
        if not await self._repo.update_product(
            product_id, version, changes, events, new_version=new_version
        ):
            raise Conflict("the product changed meanwhile; reload and retry", field="product_id")
        if events:
            self._events_written()
        return {**merged, "version": new_version}

    async def withdraw_product(
        self, product_id: str, cmd: WithdrawProduct, caller: Caller
    ) -> Document:
        current = await self.get_product(product_id)
        await self._ensure_product_write(caller, current)
        if current["status"] == ProductStatus.WITHDRAWN.value:
            raise Conflict(f"product {product_id} is already withdrawn", field="product_id")
        if current["status"] == ProductStatus.DRAFT.value:
            raise Conflict("a draft is not registered: nothing to withdraw", field="product_id")
        on = cmd.withdrawn_on or self._clock.today()
        version = current["version"] + 1
        event = ProductWithdrawn(
            producer=SERVICE,
            **trace_fields(),
            aggregate_id=product_id,
            aggregate_version=version,
            province_code=current["province_code"],
            product_id=product_id,
            withdrawn_on=on,
            reason=cmd.reason,
        )
        fields = {
            "status": ProductStatus.WITHDRAWN.value,
            "withdrawn": {"on": on.isoformat(), "reason": cmd.reason, "by": caller.subject},
        }
        if not await self._repo.update_product(
            product_id, current["version"], fields, [event], new_version=version
        ):
            raise Conflict("the product changed meanwhile; reload and retry", field="product_id")
        self._events_written()
        return {**current, **fields, "version": version}

    # --- reading -------------------------------------------------------------------------

    async def lookup(self, payload: str) -> Document:
        """Find a product by its code (QĐ26 or legacy), a certificate number or a QR payload."""
        key = lookup_key(payload)
        if not key:
            raise DomainError("nothing to look up", field="q")
        parsed = parse_product_code(key)
        if parsed is not None:
            field = "legacy_product_code" if parsed.legacy else "code_key"
            doc = await self._repo.find_product({field: key})
        else:
            doc = await self._repo.find_product({"certificate.certificate_id": key})
        if doc is None or doc["status"] == ProductStatus.DRAFT.value:
            raise NotFound(f"no OCOP product or certificate {key!r}", field="q")
        return doc

    async def search(
        self, filters: SearchFilters, page: int, page_size: int
    ) -> tuple[list[Document], int]:
        size = min(page_size, MAX_PAGE_SIZE)
        return await self._repo.search(filters.query(), skip=(page - 1) * size, limit=size)

    # --- evaluation's events -------------------------------------------------------------

    async def on_evaluation_event(self, event: EvaluationEvent) -> None:
        """Keep stars, certificate and status current; older or repeated events change nothing."""
        doc = await self._repo.get_product(event.product_id)
        if doc is None:
            raise DomainError(f"no product {event.product_id} in the registry", field="product_id")
        if event.aggregate_version <= doc.get("evaluation_version", 0):
            return
        state = apply_evaluation(docs.evaluation_state(doc), event)
        await self._repo.record_evaluation(
            event.product_id, event.aggregate_version, docs.evaluation_fields(state)
        )

    async def on_product_rated(self, event: ProductRated) -> None:
        await self.on_evaluation_event(event)

    async def on_proposed(self, event: ProductProposedForNational) -> None:
        await self.on_evaluation_event(event)

    async def on_certificate_issued(self, event: CertificateIssued) -> None:
        await self.on_evaluation_event(event)

    async def on_renewal_due(self, event: CertificateRenewalDue) -> None:
        await self.on_evaluation_event(event)

    async def on_certificate_expired(self, event: CertificateExpired) -> None:
        await self.on_evaluation_event(event)

    async def on_certificate_revoked(self, event: CertificateRevoked) -> None:
        await self.on_evaluation_event(event)


def entity_document(
    cmd: RegisterEntity, entity_id: str, key: str | None, now: datetime
) -> Document:
    data = cmd.model_dump(mode="json")
    flags = leadership_flags(
        cmd.representative, cmd.women_led, cmd.ethnic_minority_led, cmd.disability_led
    )
    doc: Document = {
        "_id": entity_id,
        "entity_id": entity_id,
        **data,
        **flags,
        "name_fold": fold_vi(cmd.name),
        "registration_key": key,
        "version": 1,
        "registered_at": now,
    }
    doc["dossier_gaps"] = _dossier_gaps(doc)
    return doc


def _dossier_gaps(doc: Document) -> list[str]:
    return check.dossier_gaps(
        LegalForm(doc["legal_form"]),
        registered=bool(doc.get("tax_code") or doc.get("registration_number")),
        representative=bool(doc.get("representative")),
        contacts=bool(doc.get("contacts")),
    )


def product_document(
    cmd: RegisterProduct,
    *,
    product_id: str,
    entity: Document,
    group_code: str,
    sector_code: str,
    scoring_set_code: str,
    legacy_classification: str | None,
    legacy_product_code: str | None,
    legacy_province_code: str | None,
    now: datetime,
) -> Document:
    details = cmd.model_dump(
        mode="json",
        exclude={"entity_id", "scoring_set_code", "legacy_classification", "product_code", "draft"},
    )
    return {
        "_id": product_id,
        "product_id": product_id,
        **details,
        "name_fold": fold_vi(cmd.name),
        "product_code": None,
        "code_key": f"draft:{product_id}",
        "legacy_product_code": legacy_product_code,
        "entity_id": entity["entity_id"],
        "entity_name": entity["name"],
        "legal_form": entity["legal_form"],
        "women_led": entity["women_led"],
        "ethnic_minority_led": entity["ethnic_minority_led"],
        "province_code": entity["province_code"],
        "commune_code": entity["commune_code"],
        "legacy_province_code": legacy_province_code,
        "scoring_set_code": scoring_set_code,
        "group_code": group_code,
        "sector_code": sector_code,
        "legacy_classification": legacy_classification,
        "status": ProductStatus.DRAFT.value,
        "version": 0,
        "evaluation_version": 0,
        "stars": 0,
        "score": None,
        "rated_on": None,
        "certificate": None,
        "withdrawn": None,
        "created_at": now,
    }
