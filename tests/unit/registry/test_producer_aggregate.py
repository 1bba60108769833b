"""The Producer aggregate: registration derives its flags and gaps; each change of its details
records EntityUpdated with the next version; access changes record nothing."""

from __future__ import annotations

import pytest

from ocop_contracts import LegalForm
from ocop_contracts.events.registry import EntityRegistered, EntityUpdated
from ocop_platform.errors import DomainError
from ocop_registry.domain.commands import Contacts, Representative, UpdateEntity
from ocop_registry.domain.producers import MAX_ACCOUNTS, Producer
from tests.unit.registry.registry_builders import (
    NOW,
    OTHER_COMMUNE,
    PROVINCE,
    producer,
    register_entity,
)

WOMAN = Representative(full_name="Rơ Châm Hơ Nga", sex="female", ethnicity="Gia Rai")
MAN = Representative(full_name="Nguyễn Văn An", sex="male")


def test_registration_records_entity_registered_version_one_with_its_derived_flags() -> None:
    new = Producer.register("ent-1", register_entity(representative=WOMAN), NOW)

    (event,) = new.pending_events
    assert isinstance(event, EntityRegistered)
    assert (event.aggregate_id, event.aggregate_version, event.entity_id) == ("ent-1", 1, "ent-1")
    assert (event.women_led, event.ethnic_minority_led, event.disability_led) == (True, True, False)
    assert (new.version, new.name_fold) == (1, "htx ca phe ia grai")


def test_explicit_flags_win_over_the_representative() -> None:
    new = Producer.register("ent-1", register_entity(representative=WOMAN, women_led=False), NOW)
    assert (new.women_led, new.ethnic_minority_led) == (False, True)


def test_registration_keys_the_tax_number_and_lists_what_a_dossier_lacks() -> None:
    new = Producer.register("ent-1", register_entity(tax_code="0100109106-001"), NOW)
    assert new.registration_key == "mst:0100109106"
    assert [gap.split(" ")[0] for gap in new.dossier_gaps] == ["representative", "contacts"]

    bare = Producer.register("ent-2", register_entity(), NOW)
    assert bare.dossier_gaps[0].startswith("tax_code or registration_number")


def test_a_tax_number_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        Producer.register("ent-1", register_entity(tax_code="0100109107"), NOW)
    assert refused.value.field == "tax_code" and "check digit" in refused.value.message


def test_an_update_records_the_whole_state_with_the_next_version() -> None:
    loaded = producer()

    loaded.update(UpdateEntity(name="HTX Cà phê Ia Grai 2", representative=MAN), NOW)

    (event,) = loaded.pending_events
    assert isinstance(event, EntityUpdated)
    assert (event.aggregate_version, event.name, event.commune_code) == (
        2,
        "HTX Cà phê Ia Grai 2",
        loaded.commune_code,
    )
    assert (loaded.version, loaded.name_fold, loaded.updated_at) == (2, "htx ca phe ia grai 2", NOW)
    assert loaded.representative == MAN and loaded.women_led is False


def test_without_a_representative_an_update_keeps_the_flags_it_does_not_give() -> None:
    loaded = producer(women_led=True)
    loaded.update(UpdateEntity(contacts=Contacts(phone="0905123456")), NOW)
    assert loaded.women_led is True
    assert "contacts" not in loaded.dossier_gaps


def test_an_update_may_leave_out_a_required_detail_but_not_remove_it() -> None:
    loaded = producer()
    with pytest.raises(DomainError) as refused:
        loaded.update(UpdateEntity(legal_form=None), NOW)
    assert refused.value.field == "legal_form"
    assert loaded.pending_events == () and loaded.legal_form is LegalForm.COOPERATIVE


def test_a_move_names_the_unit_the_caller_needs_rights_in() -> None:
    loaded = producer()
    assert loaded.moves_to(UpdateEntity(name="x")) is None
    assert loaded.moves_to(UpdateEntity(commune_code=OTHER_COMMUNE)) == (PROVINCE, OTHER_COMMUNE)


def test_an_account_changes_access_not_the_published_state() -> None:
    loaded = producer()

    assert loaded.add_account("user-7") is True
    assert loaded.add_account("user-7") is False

    assert loaded.accounts == ["user-7"] and loaded.pending_events == ()
    assert (loaded.version, loaded.has_changes) == (1, True)


def test_a_producer_has_at_most_twenty_accounts() -> None:
    loaded = producer(accounts=[f"user-{n}" for n in range(MAX_ACCOUNTS)])
    with pytest.raises(DomainError) as refused:
        loaded.add_account("one-more")
    assert refused.value.field == "subject"
