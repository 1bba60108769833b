"""HTTP API of evaluation: routes translate requests into use cases and results into schemas."""

from ocop_evaluation.entrypoints.api import (
    admin,
    certificates,
    dossiers,
    products,
    rounds,
    rule_sets,
)

routers = [
    rule_sets.router,
    products.router,
    rounds.router,
    dossiers.router,
    certificates.router,
    admin.router,
]
__all__ = ["routers"]
