"""A producer (chủ thể) as the registry keeps it. Pure: no I/O.

Its ``version`` counts its events (EntityRegistered, then one EntityUpdated per change of its
details): the contract's ``aggregate_version``, also shown to its offices. Letting one more user
account act for it changes access data, not its published state: no event, the version stays.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

from pydantic import Field, computed_field

from ocop_contracts import LegalForm
from ocop_contracts.clock import business_date
from ocop_contracts.events.registry import EntityRegistered, EntityUpdated
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import fold_vi
from ocop_platform.aggregates import EventVersionedAggregate
from ocop_platform.errors import DomainError
from ocop_platform.logging import trace_fields
from ocop_registry.domain import rules
from ocop_registry.domain.commands import (
    Contacts,
    LegacyAddress,
    RegisterEntity,
    Representative,
    UpdateEntity,
)
from ocop_registry.domain.ingest import IngestSource
from ocop_registry.domain.model import Sex

SERVICE = "registry"
MAX_ACCOUNTS = 20
# An update may leave these out, but not remove them.
_REQUIRED = ("name", "legal_form", "province_code", "commune_code")
_FLAGS = ("women_led", "ethnic_minority_led", "disability_led")


def leadership_flags(
    representative: Representative | None,
    women_led: bool | None,
    ethnic_minority_led: bool | None,
    disability_led: bool | None,
) -> dict[str, bool]:
    """Explicit flags win; otherwise they follow the legal representative."""

    def pick(explicit: bool | None, derived: bool) -> bool:
        return explicit if explicit is not None else derived

    rep = representative
    minority = False
    if rep is not None:
        minority = (
            rep.ethnic_minority
            if rep.ethnic_minority is not None
            else fold_vi(rep.ethnicity) != "kinh"
        )
    return {
        "women_led": pick(women_led, rep is not None and rep.sex is Sex.FEMALE),
        "ethnic_minority_led": pick(ethnic_minority_led, minority),
        "disability_led": pick(disability_led, rep is not None and rep.disability),
    }


class Producer(EventVersionedAggregate):
    kind = "producer"

    name: str
    name_fold: str
    legal_form: LegalForm
    tax_code: str | None = None
    registration_number: str | None = None
    registration_key: str | None = None  # one producer per tax or registration number
    province_code: str
    commune_code: str
    legacy_address: LegacyAddress | None = None
    representative: Representative | None = None
    contacts: Contacts | None = None
    accounts: list[str] = Field(default_factory=list)
    women_led: bool
    ethnic_minority_led: bool
    disability_led: bool
    dossier_gaps: list[str] = Field(default_factory=list)
    registered_at: datetime
    # The day it joined the programme when before registered_at's (history back-filled).
    registered_on: date | None = None
    updated_at: datetime | None = None
    imported: bool = False
    source: IngestSource | None = None  # the province system it came from (ingest)
    # The fingerprint of the request that registered it with an Idempotency-Key (its repeats
    # are compared with it: domain/idempotency.py).
    request_fingerprint: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def entity_id(self) -> str:
        return self.id

    @classmethod
    def register(
        cls,
        entity_id: str,
        cmd: RegisterEntity,
        now: datetime,
        *,
        source: IngestSource | None = None,
        imported: bool = False,
        request_fingerprint: str | None = None,
    ) -> Self:
        """A new producer (its unit checked by the caller before its rights were), with
        EntityRegistered."""
        _check_details(cmd.tax_code, cmd.legacy_address, cmd.province_code)
        rules.check_registered_on(cmd.registered_on, business_date(now))
        details = cmd.model_dump(exclude={"women_led", "ethnic_minority_led", "disability_led"})
        flags = leadership_flags(
            cmd.representative, cmd.women_led, cmd.ethnic_minority_led, cmd.disability_led
        )
        producer = cls(
            id=entity_id,
            **details,
            **flags,
            name_fold=fold_vi(cmd.name),
            registered_at=now,
            source=source,
            imported=imported,
            request_fingerprint=request_fingerprint,
        )
        producer._derive()
        producer.record(EntityRegistered(**producer._event_fields()))
        return producer

    def moves_to(self, cmd: UpdateEntity) -> tuple[str, str] | None:
        """The unit ``cmd`` moves the producer to (the caller needs rights there), or None."""
        if "province_code" not in cmd.model_fields_set and "commune_code" not in (
            cmd.model_fields_set
        ):
            return None
        return cmd.province_code or self.province_code, cmd.commune_code or self.commune_code

    def update(self, cmd: UpdateEntity, now: datetime) -> None:
        """Change the details ``cmd`` gives (a new unit checked by the caller); EntityUpdated."""
        given = cmd.model_dump(exclude_unset=True)
        if removed := [name for name in _REQUIRED if name in given and given[name] is None]:
            raise DomainError(f"{removed[0]} cannot be removed", field=removed[0])
        _check_details(cmd.tax_code, cmd.legacy_address, cmd.province_code or self.province_code)
        flags = self._flags_after(cmd, given)
        for name in given.keys() - set(_FLAGS):
            setattr(self, name, getattr(cmd, name))
        for name, value in flags.items():
            setattr(self, name, value)
        self.name_fold = fold_vi(self.name)
        self.updated_at = now
        self._derive()
        self.record(EntityUpdated(**self._event_fields()))

    def add_account(self, subject: str) -> bool:
        """Let one more user account act for the producer; False when it already may."""
        if subject in self.accounts:
            return False
        if len(self.accounts) >= MAX_ACCOUNTS:
            raise DomainError(
                f"a producer has at most {MAX_ACCOUNTS} user accounts", field="subject"
            )
        self.accounts = [*self.accounts, subject]
        self.touch()  # access data, not the producer's published state: no event
        return True

    # --- internals -----------------------------------------------------------------------

    def _flags_after(self, cmd: UpdateEntity, given: dict[str, Any]) -> dict[str, bool]:
        """Flags given win; others follow the representative, or stay when there is none."""
        representative = cmd.representative if "representative" in given else self.representative

        def explicit(name: str) -> bool | None:
            if name in given:
                value: bool | None = given[name]
                return value
            return getattr(self, name) if representative is None else None

        return leadership_flags(representative, *(explicit(name) for name in _FLAGS))

    def _derive(self) -> None:
        self.registration_key = rules.registration_key(self.tax_code, self.registration_number)
        self.dossier_gaps = rules.dossier_gaps(
            self.legal_form,
            registered=bool(self.tax_code or self.registration_number),
            representative=self.representative is not None,
            contacts=self.contacts is not None,
        )

    def _event_fields(self) -> dict[str, Any]:
        return {
            "producer": SERVICE,
            **trace_fields(),
            "aggregate_id": self.id,
            "aggregate_version": self.next_version,
            "province_code": self.province_code,
            "entity_id": self.id,
            "name": self.name,
            "legal_form": self.legal_form,
            "commune_code": self.commune_code,
            "women_led": self.women_led,
            "ethnic_minority_led": self.ethnic_minority_led,
            "disability_led": self.disability_led,
            "registered_on": self.registered_on,
            "legacy_unit": legacy_unit_of(self.legacy_address),
        }


def legacy_unit_of(address: LegacyAddress | None) -> LegacyUnit | None:
    """The 2008 unit an old address names (checked when it was given)."""
    if address is None:
        return None
    return LegacyUnit(
        province_code=address.province_code,
        district_code=address.district_code,
        commune_code=address.commune_code,
    )


def _check_details(
    tax_code: str | None, legacy_address: LegacyAddress | None, province_code: str
) -> None:
    rules.check_tax_code(tax_code)
    if legacy_address is not None:
        rules.check_legacy_address(legacy_address, province_code)
