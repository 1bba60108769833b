"""Who may write what in the registry (the rules themselves: ``ocop_platform.identity``).

- province offices (and province systems): anything in the provinces of their token;
- commune officers: only in the communes their token lists (claim ``communes``: 5-digit codes),
  inside the token's provinces; a commune officer token without that claim writes nothing;
- producers: only their own records: the producer in the token's ``entity_id`` claim, or one whose
  ``accounts`` list the token's subject;
- admin: anything. Everyone else (and the public) only reads the public views, but the Ministry
  (national) reads every record whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from ocop_platform.identity import Forbidden, Principal, Role, Scope
from ocop_platform.identity import ensure_may_write as _ensure_may_write
from ocop_platform.identity import may_read as _may_read
from ocop_platform.identity import may_write as _may_write

__all__ = [
    "PROVINCE_WRITERS",
    "WRITERS",
    "Caller",
    "Forbidden",
    "ensure_backfill",
    "ensure_province_writer",
    "ensure_write",
    "may_read",
    "may_write",
]

PROVINCE_WRITERS = (Role.PROVINCE_OFFICE, Role.PROVINCE_SYSTEM)
WRITERS = (*PROVINCE_WRITERS, Role.COMMUNE_OFFICER, Role.PRODUCER)
Caller = Principal  # the token's principal: roles, provinces, communes, entity


def _scope(
    province_code: str, commune_code: str, entity_id: str | None, accounts: Iterable[str]
) -> Scope:
    return Scope(province_code, commune_code or None, entity_id, frozenset(accounts))


def may_write(
    caller: Caller,
    province_code: str,
    commune_code: str,
    *,
    entity_id: str | None = None,
    accounts: Iterable[str] = (),
) -> bool:
    return _may_write(caller, _scope(province_code, commune_code, entity_id, accounts), WRITERS)


def may_read(
    caller: Caller,
    province_code: str,
    commune_code: str,
    *,
    entity_id: str | None = None,
    accounts: Iterable[str] = (),
) -> bool:
    """The whole record (personal data included): its writers and the Ministry."""
    return _may_read(caller, _scope(province_code, commune_code, entity_id, accounts), WRITERS)


def ensure_write(
    caller: Caller,
    province_code: str,
    commune_code: str,
    *,
    entity_id: str | None = None,
    accounts: Iterable[str] = (),
) -> None:
    """Raise 403 unless `caller` may write records of this unit (or this producer's)."""
    scope = _scope(province_code, commune_code, entity_id, accounts)
    _ensure_may_write(caller, scope, WRITERS)


def ensure_province_writer(caller: Caller, province_code: str) -> None:
    """Bulk operations (imports) are for the province office of that province."""
    if not _may_write(caller, Scope(province_code), PROVINCE_WRITERS):
        raise Forbidden(f"only the province office of {province_code} may import its register")


def ensure_backfill(caller: Caller, province_code: str) -> None:
    """A registration of an earlier day is the province's history: its office (or system)
    records it, not a producer or a commune officer."""
    if not _may_write(caller, Scope(province_code), PROVINCE_WRITERS):
        raise Forbidden(
            f"only the province office of {province_code} records a registration of an earlier "
            "day (registered_on)"
        )
