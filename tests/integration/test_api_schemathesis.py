"""Schemathesis against the live OpenAPI schema, with every check it has, for a token of each demo role and
without a token: first each operation alone (the coverage cases of the explicit phase, then generated ones), then
the stateful phase, chains of calls along the links schemathesis infers from the schema (a created đề án's id
to its detail, edit, history, steps and transitions; a task's id from the list to claim and release).

What schemathesis cannot read in a schema is told here, and only that:

* a positive case that creates or edits a đề án names the world's province, district and commune: the schema
  says "an integer", not "the id of an existing administrative unit";
* a request to the token endpoint with a username and password that do not exist is answered 400, as an OAuth2
  token endpoint does; schemathesis allows that for an operation it knows mints credentials (a ``tokenUrl``),
  which it cannot know of a DRF token;
* a step (``transitions/{trigger}/``) whose preconditions the đề án does not meet — its data, its attachments,
  the comment the step requires — is a 400 ``guard_failed`` listing the problems: the schema cannot say what a
  step needs of the đề án in the state it is in;
* no NUL character is generated: PostgreSQL cannot store one, and the middleware refuses it with the documented
  400 before any view (tests/integration/test_bad_input.py).
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.engine.errors import is_inconsistent_replay

from config.wsgi import application

from .world import build_world, complete_proposal, drive

POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-x00": False},
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "400"]}},
            }
            for name in ("POST /api/auth/token/", "POST /api/proposals/{id}/transitions/{trigger}/")
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
ROLES = ["applicant", "district", "appraiser", "finance", "approver", "auditor"]
AUTH = [*ROLES, None]  # None: no token
ADDRESSED = {("POST", "/api/proposals/"), ("PATCH", "/api/proposals/{id}/")}


class Scene:
    tokens: dict[str, str]
    units: tuple[int, int, int]  # province, district, commune


@pytest.fixture
def scene(db):
    # Like Django's test client: the WSGI app must not close the test transaction's connection per request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    w = build_world()
    drive(w, complete_proposal(w), "lodge")
    drive(w, complete_proposal(w, title="Đã thẩm định"), "appraise")
    complete_proposal(w, title="Bản nháp")
    scene = Scene()
    scene.tokens = {role: Token.objects.get_or_create(user=w.user(role))[0].key for role in ROLES}
    scene.units = (w.province.pk, w.district.pk, w.commune.pk)
    yield scene
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def headers(scene: Scene, role: str | None) -> dict:
    return {"Authorization": f"Token {scene.tokens[role]}"} if role else {}


def name_the_world_units(case, scene: Scene) -> None:
    """A positive case that creates or edits a đề án names units that exist, and one place (core/addresses.py)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if (case.method, case.path) not in ADDRESSED or not isinstance(case.body, dict):
        return
    if case.method == "PATCH" and not {"province", "district", "commune"} & set(case.body):
        return
    province, district, commune = scene.units
    has_district = case.body.get("district", district) is not None
    case.body["province"] = province
    case.body["district"] = district if has_district else None
    case.body["commune"] = commune if has_district and case.body.get("commune", commune) is not None else None


def check(case, scene: Scene, role: str | None) -> None:
    cache.clear()  # the rate limits are not what this test is about
    name_the_world_units(case, scene)
    case.call_and_validate(headers=headers(scene, role))


@pytest.mark.slow
@pytest.mark.parametrize("role", ["applicant"])
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit])
def test_each_operation_with_the_coverage_cases(case, role, scene):
    """The explicit phase: schemathesis' deterministic cases from the schema — each boundary, each missing or
    mistyped parameter and property, each undocumented method — once per operation (hundreds for a đề án's
    body), with the token of the applicant, the one role whose requests reach the validation of a new or edited
    đề án; the other roles and no token get the generated cases below and the stateful phase."""
    check(case, scene, role)


@pytest.mark.slow
@pytest.mark.parametrize("role", AUTH, ids=lambda role: role or "anonymous")
@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
def test_each_operation_with_generated_cases(case, role, scene):
    check(case, scene, role)


class Workflow(schema.as_state_machine()):
    scene: Scene
    role: str | None
    failures: list[FailureGroup]

    def setup(self):
        cache.clear()

    def before_call(self, case):
        name_the_world_units(case, self.scene)

    def get_call_kwargs(self, case):
        return {"headers": headers(self.scene, self.role)}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        # As call_and_validate does: the checks know the token was given, so ignored_auth probes without it.
        try:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )
        except FailureGroup as failure:
            self.failures.append(failure)
            raise


@pytest.mark.slow
@pytest.mark.parametrize("role", AUTH, ids=lambda role: role or "anonymous")
def test_api_stateful(role, scene):
    Workflow.scene, Workflow.role, Workflow.failures = scene, role, []
    try:
        Workflow.run(
            settings=settings(
                max_examples=5,
                stateful_step_count=6,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            )
        )
    except (Flaky, AssertionError) as exc:
        # A step takes its ids from earlier answers, and the database keeps what earlier scenarios created, so
        # replaying a scenario can draw differently: Hypothesis then reports a flaky strategy (or asserts in its
        # data tree). Schemathesis' own runner counts that as a pass unless a check failed; so does this test.
        if Workflow.failures:
            raise Workflow.failures[0] from None
        if not (isinstance(exc, FlakyStrategyDefinition) or is_inconsistent_replay(exc)):
            raise
