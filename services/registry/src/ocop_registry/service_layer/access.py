"""Who may write what in the registry.

- province offices (and province systems): anything in the provinces of their token;
- commune officers: only in the communes their token lists (claim ``communes``: 5-digit codes),
  inside the token's provinces; a commune officer token without that claim writes nothing;
- producers: only their own records: the producer in the token's ``entity_id`` claim, or one whose
  ``accounts`` list the token's subject;
- admin: anything. Everyone else (and the public) only reads the public views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ocop_platform.auth import Principal, Role
from ocop_platform.errors import DomainError

PROVINCE_WRITERS = (Role.PROVINCE_OFFICE, Role.PROVINCE_SYSTEM)


class Forbidden(DomainError):
    status_code = 403
    error_type = "forbidden"


@dataclass(frozen=True)
class Caller:
    principal: Principal
    communes: frozenset[str] | None = None  # the token's `communes` claim, if any

    @property
    def subject(self) -> str:
        return self.principal.subject

    def has(self, *roles: Role) -> bool:
        return self.principal.has_any(roles)


def _province_wide(caller: Caller, province_code: str) -> bool:
    if caller.has(Role.ADMIN):
        return True
    return caller.has(*PROVINCE_WRITERS) and caller.principal.may_act_in(province_code)


def _in_commune(caller: Caller, province_code: str, commune_code: str) -> bool:
    return (
        caller.has(Role.COMMUNE_OFFICER)
        and caller.principal.may_act_in(province_code)
        and caller.communes is not None
        and commune_code in caller.communes
    )


def _owns(caller: Caller, entity_id: str | None, accounts: Iterable[str]) -> bool:
    if not caller.has(Role.PRODUCER) or entity_id is None:
        return False
    return caller.principal.entity_id == entity_id or caller.subject in set(accounts)


def may_write(
    caller: Caller,
    province_code: str,
    commune_code: str,
    *,
    entity_id: str | None = None,
    accounts: Iterable[str] = (),
) -> bool:
    return (
        _province_wide(caller, province_code)
        or _in_commune(caller, province_code, commune_code)
        or _owns(caller, entity_id, accounts)
    )


def ensure_write(
    caller: Caller,
    province_code: str,
    commune_code: str,
    *,
    entity_id: str | None = None,
    accounts: Iterable[str] = (),
) -> None:
    """Raise 403 unless `caller` may write records of this unit (or this producer's)."""
    if may_write(caller, province_code, commune_code, entity_id=entity_id, accounts=accounts):
        return
    if caller.has(Role.COMMUNE_OFFICER) and caller.communes is None:
        why = "a commune officer token must list its communes (claim `communes`)"
    elif caller.has(Role.PRODUCER) and not caller.has(Role.COMMUNE_OFFICER, *PROVINCE_WRITERS):
        why = "producers may change only their own records"
    else:
        why = f"your token does not cover commune {commune_code} of province {province_code}"
    raise Forbidden(why)


def ensure_province_writer(caller: Caller, province_code: str) -> None:
    """Bulk operations (imports) are for the province office of that province."""
    if not _province_wide(caller, province_code):
        raise Forbidden(f"only the province office of {province_code} may import its register")
