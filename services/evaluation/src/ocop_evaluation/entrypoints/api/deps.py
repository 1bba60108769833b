"""Request dependencies: the use cases, the clock, and who is calling in which role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ocop_evaluation.adapters.clock import StoredClock
from ocop_evaluation.service_layer.access import EVALUATORS, FILERS, INTAKE, SCORERS
from ocop_evaluation.service_layer.certificates import Certificates
from ocop_evaluation.service_layer.decisions import Decisions
from ocop_evaluation.service_layer.dossiers import Dossiers
from ocop_evaluation.service_layer.evaluation import Evaluation
from ocop_evaluation.service_layer.products import Products
from ocop_evaluation.service_layer.rounds import Rounds
from ocop_platform.auth import Principal, Role, require_roles


def _evaluation(request: Request) -> Evaluation:
    evaluation: Evaluation = request.app.state.evaluation
    return evaluation


def _clock(request: Request) -> StoredClock:
    clock: StoredClock = request.app.state.clock
    return clock


EvaluationDep = Annotated[Evaluation, Depends(_evaluation)]


def _products(evaluation: EvaluationDep) -> Products:
    return evaluation.products


def _certificates(evaluation: EvaluationDep) -> Certificates:
    return evaluation.certificates


def _rounds(evaluation: EvaluationDep) -> Rounds:
    return evaluation.rounds


def _dossiers(evaluation: EvaluationDep) -> Dossiers:
    return evaluation.dossiers


def _decisions(evaluation: EvaluationDep) -> Decisions:
    return evaluation.decisions


ProductsDep = Annotated[Products, Depends(_products)]
CertificatesDep = Annotated[Certificates, Depends(_certificates)]
RoundsDep = Annotated[Rounds, Depends(_rounds)]
DossiersDep = Annotated[Dossiers, Depends(_dossiers)]
DecisionsDep = Annotated[Decisions, Depends(_decisions)]
ClockDep = Annotated[StoredClock, Depends(_clock)]

# Roles a route accepts; the use case then checks the record is within the caller's scope.
Evaluator = Annotated[Principal, Depends(require_roles(*EVALUATORS))]
CommuneOrProvince = Annotated[Principal, Depends(require_roles(*INTAKE))]
Filer = Annotated[Principal, Depends(require_roles(*FILERS))]
Scorer = Annotated[Principal, Depends(require_roles(*SCORERS))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
