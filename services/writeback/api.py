"""The write-back's HTTP blueprint: the Greenhouse Assessment partner endpoints, one set per tenant."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from shared.http import json_body

from services.writeback import assessment, partner
from services.writeback.repository import utcnow

bp = Blueprint("writeback", __name__)
PREFIX = "/v1/assessments/greenhouse/<tenant>"


def _repo():
    return current_app.extensions["credbridge_writeback"]


@bp.get(f"{PREFIX}/list_tests")
def list_tests(tenant: str):
    partner.authorize(tenant, request.headers.get("Authorization"), repo=_repo())
    return assessment.TESTS


@bp.post(f"{PREFIX}/send_test")
def send_test(tenant: str):
    partner.authorize(tenant, request.headers.get("Authorization"), repo=_repo())
    return partner.receive_test(tenant, json_body(), repo=_repo(), now=utcnow())


@bp.get(f"{PREFIX}/test_status")
def test_status(tenant: str):
    partner.authorize(tenant, request.headers.get("Authorization"), repo=_repo())
    return partner.status(tenant, request.args.get("partner_interview_id"), repo=_repo(),
                          default_base=current_app.config["SETTINGS"].public_base_url)


@bp.post(f"{PREFIX}/response_error")
def response_error(tenant: str):
    partner.authorize(tenant, request.headers.get("Authorization"), repo=_repo())
    return partner.response_error(tenant, json_body())
