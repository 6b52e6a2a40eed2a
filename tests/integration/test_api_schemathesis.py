"""Schemathesis against the live OpenAPI schema, with a token for each role: no 5xx, responses conform."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application

from .world import build_world, complete_proposal, drive

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
ROLES = ["applicant", "district", "appraiser", "finance", "approver", "auditor"]


@pytest.fixture
def tokens(db):
    # Like Django's test client: the WSGI app must not close the test transaction's connection per request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    w = build_world()
    drive(w, complete_proposal(w), "lodge")
    drive(w, complete_proposal(w, title="Đã thẩm định"), "appraise")
    complete_proposal(w, title="Bản nháp")
    yield {role: Token.objects.get_or_create(user=w.user(role))[0].key for role in ROLES}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_api_conforms_to_its_schema(case, role, tokens):
    cache.clear()  # the public lookup's rate limit is not what this test is about
    response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
