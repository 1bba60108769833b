"""Evaluation's use cases, grouped by what they act on, over one set of stores and one clock."""

from __future__ import annotations

from dataclasses import dataclass

from ocop_evaluation.adapters.stores import Stores
from ocop_evaluation.service_layer.base import TodayFn
from ocop_evaluation.service_layer.certificates import Certificates
from ocop_evaluation.service_layer.decisions import Decisions
from ocop_evaluation.service_layer.dossiers import Dossiers
from ocop_evaluation.service_layer.ingest import Ingest
from ocop_evaluation.service_layer.products import Products
from ocop_evaluation.service_layer.rounds import Rounds


@dataclass(frozen=True)
class Evaluation:
    products: Products
    certificates: Certificates
    rounds: Rounds
    dossiers: Dossiers
    decisions: Decisions
    ingest: Ingest

    @classmethod
    def over(cls, stores: Stores, today: TodayFn) -> Evaluation:
        return cls(
            products=Products(stores, today),
            certificates=Certificates(stores, today),
            rounds=Rounds(stores, today),
            dossiers=Dossiers(stores, today),
            decisions=Decisions(stores, today),
            ingest=Ingest(stores, today),
        )
