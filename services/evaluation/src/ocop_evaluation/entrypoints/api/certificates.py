"""Certificates: issued before the platform, the public look-up, revocation."""

from __future__ import annotations

from fastapi import APIRouter, status

from ocop_evaluation.domain.certificates import Certificate
from ocop_evaluation.entrypoints.api.deps import CertificatesDep, Evaluator
from ocop_evaluation.entrypoints.api.schemas.certificates import (
    CertificateLookup,
    ImportedCertificate,
)
from ocop_evaluation.service_layer.commands import ImportCertificate, Revoke

router = APIRouter(prefix="/certificates", tags=["certificates"])
# Numbers are matched as paths: a register's certificate numbers often hold "/" (12/GCN-UBND).


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportedCertificate,
    summary="Record a certificate issued before the platform, so renewal and expiry run here",
)
async def import_certificate(
    body: ImportCertificate, certificates: CertificatesDep, who: Evaluator
) -> ImportedCertificate:
    imported = await certificates.import_certificate(body, who)
    return ImportedCertificate.of(body.product_id, imported)


@router.get(
    "/{certificate_id:path}",
    response_model=CertificateLookup,
    summary="Public look-up: is the certificate valid?",
)
async def get_certificate(certificate_id: str, certificates: CertificatesDep) -> CertificateLookup:
    return CertificateLookup.of(await certificates.certificate(certificate_id))


@router.post(
    "/{certificate_id:path}/revocation",
    response_model=Certificate,
    summary="Revoke a certificate on a QĐ 26 Art. 8 ground",
)
async def revoke(
    certificate_id: str, body: Revoke, certificates: CertificatesDep, who: Evaluator
) -> Certificate:
    return await certificates.revoke(certificate_id, body, who)
