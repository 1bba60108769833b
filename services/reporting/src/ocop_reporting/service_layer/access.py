"""Who may write reporting's records (the rules themselves: ``ocop_platform.identity``).

Targets and activity reports belong to the province that issued them. A province office plans
for its province, which includes the old (2008) provinces merged into it: Đồng Tháp's office
(82) may enter the 2021 plan of the former Đồng Tháp (87). The Ministry's national token covers
every province.
"""

from __future__ import annotations

from ocop_platform.identity import Principal, Role, Scope, ensure_may_write, may_write
from ocop_reporting.domain.units import Unit

PLANNERS = (Role.PROVINCE_OFFICE, Role.MINISTRY)


def ensure_may_plan(who: Principal, where: Unit) -> None:
    """Forbidden (403) unless ``who`` covers the unit, as coded or as the province it is today."""
    if may_write(who, Scope(where.code), PLANNERS):
        return
    ensure_may_write(who, Scope(where.current_code), PLANNERS)
