"""Who is calling and which records they may act on. Pure: no web framework, no token codec.

A caller (``Principal``) holds roles and the scope claims of its token:

- ``provinces``: 2-digit 2025 codes, or ``["*"]`` for national roles;
- ``communes``: 5-digit 2025 commune codes (commune officers);
- ``entity_id``: the producer (chủ thể) a producer account acts for.

Every record belongs somewhere: a province, maybe a commune, maybe a producer (``Scope``). What a
role reaches of that scope:

- province-wide roles (province office, province system, council member, promotion team,
  Ministry): any record in the provinces of the token;
- commune officers: records in the communes their token lists (inside its provinces);
- producers: the records of their own producer;
- admin: everything. The Ministry (national) and admin also read everything.

An action names the roles that may do it (``actors``); only those of the caller's roles count, so
a token holding a role the action does not accept never widens what the caller reaches.
``ensure_may_write``/``ensure_may_read`` raise ``Forbidden`` (HTTP 403 at the edge).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from ocop_contracts.reference import current_communes, current_provinces
from ocop_platform.errors import DomainError

ALL_PROVINCES = "*"
_COMMUNE_CODE = re.compile(r"^\d{5}$")


class Role(StrEnum):
    PRODUCER = "producer"
    COMMUNE_OFFICER = "commune_officer"
    PROVINCE_OFFICE = "province_office"
    COUNCIL_MEMBER = "council_member"
    MINISTRY = "ministry"
    PROMOTION_TEAM = "promotion_team"
    PROVINCE_SYSTEM = "province_system"
    ADMIN = "admin"


# Roles whose reach is every record of the token's provinces.
PROVINCE_WIDE = frozenset(
    {
        Role.PROVINCE_OFFICE,
        Role.PROVINCE_SYSTEM,
        Role.COUNCIL_MEMBER,
        Role.PROMOTION_TEAM,
        Role.MINISTRY,
    }
)
# Roles that read every record whatever their token's provinces say.
NATIONAL_READERS = frozenset({Role.MINISTRY, Role.ADMIN})
EVERY_ROLE = frozenset(Role)


class Forbidden(DomainError):
    """The caller may not act on this record (outside their province, commune or producer)."""

    status_code = 403
    error_type = "forbidden"


class Principal(BaseModel):
    """The caller, as their (verified) token describes them."""

    model_config = ConfigDict(frozen=True)

    subject: str
    roles: frozenset[Role]
    provinces: frozenset[str]
    entity_id: str | None = None
    communes: frozenset[str] = frozenset()

    def may_act_in(self, province_code: str) -> bool:
        return ALL_PROVINCES in self.provinces or province_code in self.provinces

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Scope:
    """Where a record belongs: its province, its commune and the producer that owns it.

    ``accounts`` are further token subjects allowed to act for that producer (the registry keeps
    them on the producer; other services know only the ``entity_id`` claim)."""

    province_code: str
    commune_code: str | None = None
    entity_id: str | None = None
    accounts: frozenset[str] = field(default_factory=frozenset)


# --- claims -------------------------------------------------------------------------------------


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The principal of verified token claims (``sub``, ``roles``, ``provinces``, ``entity_id``,
    ``communes``). Raises pydantic's ValidationError for a claim of the wrong shape."""
    return Principal(
        subject=claims["sub"],
        roles=frozenset(claims.get("roles", [])),
        provinces=frozenset(claims.get("provinces", [])),
        entity_id=claims.get("entity_id"),
        communes=frozenset(claims.get("communes") or []),
    )


def scope_claims(
    roles: Iterable[Role],
    provinces: Iterable[str],
    *,
    entity_id: str | None = None,
    communes: Iterable[str] = (),
) -> dict[str, Any]:
    """The claims a token carries for these roles and scopes (the inverse of the above)."""
    claims: dict[str, Any] = {
        "roles": sorted(Role(r).value for r in roles),
        "provinces": sorted(provinces),
    }
    if entity_id:
        claims["entity_id"] = entity_id
    if communes := sorted(set(communes)):
        claims["communes"] = communes
    return claims


def provinces_of_communes(communes: Iterable[str]) -> list[str]:
    """The 2025 provinces of these commune codes (unknown codes are left out)."""
    known = current_communes()
    return sorted({known[c].province_code for c in communes if c in known})


def token_scope_problems(
    roles: Iterable[Role],
    provinces: Iterable[str],
    *,
    entity_id: str | None = None,
    communes: Iterable[str] = (),
) -> list[str]:
    """Why a token with these roles and scopes would be useless or wider than meant; [] if fine.

    Checked when minting: a commune officer needs its communes, a producer its entity, and every
    code must be a real 2025 unit inside the token's provinces."""
    held, wanted_provinces, wanted_communes = set(roles), set(provinces), set(communes)
    problems = [
        f"unknown 2025 province code {code!r} (2 digits, or * for national roles)"
        for code in sorted(wanted_provinces - {ALL_PROVINCES})
        if code not in current_provinces()
    ]
    known = current_communes()
    for code in sorted(wanted_communes):
        if not _COMMUNE_CODE.match(code) or code not in known:
            problems.append(f"unknown 2025 commune code {code!r} (5 digits)")
        elif ALL_PROVINCES not in wanted_provinces and (
            known[code].province_code not in wanted_provinces
        ):
            problems.append(
                f"commune {code} is in province {known[code].province_code}, which the token "
                "does not cover"
            )
    if Role.COMMUNE_OFFICER in held and not wanted_communes:
        problems.append("a commune_officer token must list its communes (--commune 29869 …)")
    if wanted_communes and Role.COMMUNE_OFFICER not in held:
        problems.append("communes are the scope of commune_officer tokens only")
    if Role.PRODUCER in held and not entity_id:
        problems.append("a producer token must name its producer (--entity <entity_id>)")
    if entity_id and Role.PRODUCER not in held:
        problems.append("an entity is the scope of producer tokens only")
    return problems


# --- who reaches what ---------------------------------------------------------------------------


def _province_wide(principal: Principal, roles: frozenset[Role], scope: Scope) -> bool:
    return bool(roles & PROVINCE_WIDE) and principal.may_act_in(scope.province_code)


def _in_commune(principal: Principal, roles: frozenset[Role], scope: Scope) -> bool:
    return (
        Role.COMMUNE_OFFICER in roles
        and scope.commune_code is not None
        and principal.may_act_in(scope.province_code)
        and scope.commune_code in principal.communes
    )


def _owns(principal: Principal, roles: frozenset[Role], scope: Scope) -> bool:
    if Role.PRODUCER not in roles or scope.entity_id is None:
        return False
    return principal.entity_id == scope.entity_id or principal.subject in scope.accounts


def may_write(principal: Principal, scope: Scope, actors: Iterable[Role]) -> bool:
    """May the caller do an action open to ``actors`` on a record of ``scope``?"""
    if Role.ADMIN in principal.roles:
        return True
    roles = principal.roles & frozenset(actors)
    return (
        _province_wide(principal, roles, scope)
        or _in_commune(principal, roles, scope)
        or _owns(principal, roles, scope)
    )


def may_read(principal: Principal, scope: Scope, readers: Iterable[Role] = EVERY_ROLE) -> bool:
    """Like ``may_write``, and the Ministry reads everything."""
    return principal.has_any(NATIONAL_READERS) or may_write(principal, scope, readers)


def _refusal(principal: Principal, scope: Scope, actors: frozenset[Role]) -> str:
    """Why the caller was refused, in the terms of the role that came closest."""
    roles = principal.roles & actors
    if not roles:
        wanted = ", ".join(sorted(r.value for r in actors))
        return f"requires one of: {wanted}"
    if roles & PROVINCE_WIDE:
        return f"your token does not cover province {scope.province_code}"
    if Role.COMMUNE_OFFICER in roles:
        if not principal.communes:
            return "a commune officer token must list its communes (claim `communes`)"
        where = scope.commune_code or "(none)"
        return f"your token does not cover commune {where} of province {scope.province_code}"
    return "producers may act only on their own producer's records"


def ensure_may_write(principal: Principal, scope: Scope, actors: Iterable[Role]) -> None:
    """Raise Forbidden unless the caller may act on a record of ``scope`` (see may_write)."""
    if not may_write(principal, scope, actors):
        raise Forbidden(_refusal(principal, scope, frozenset(actors)))


def ensure_may_read(
    principal: Principal, scope: Scope, readers: Iterable[Role] = EVERY_ROLE
) -> None:
    """Raise Forbidden unless the caller may read a record of ``scope`` (see may_read)."""
    if not may_read(principal, scope, readers):
        raise Forbidden(_refusal(principal, scope, frozenset(readers)))
