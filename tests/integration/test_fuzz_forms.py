"""Input fuzzing with hypothesis: the staff action forms (workflow/forms.py) over HTTP, the API's transition
endpoint and the API's dossier PATCH get bad dates, huge and negative amounts, long and odd Unicode.
Every answer is a 400 with a message — never a 5xx — and nothing is stored (each example runs in a savepoint
that is rolled back after the state is compared).
"""

from __future__ import annotations

import os

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.models import Outbox
from workflow.models import Proposal, Task, TransitionEvent

from .world import build_world, complete_proposal, drive

EXAMPLES = int(os.environ.get("KC_FUZZ_EXAMPLES", "30"))  # per form; CI may raise it

BAD_MONEY = st.one_of(
    st.integers(max_value=-1).map(str),
    st.integers(min_value=10**13 + 1, max_value=10**40).map(str),
    st.sampled_from(
        [
            "1e309",
            "NaN",
            "-0.5",
            "1,5",
            "١٢٣",
            "½",
            "12.34.56,7",
            "0x10",
            "∞",
            "9" * 400,
            " ",
            "--1",
            "1 000 000 000 000 000 000 ₫",
            "\u200b123",
            "123\x00",
        ]
    ),
    st.text(min_size=1, max_size=50).filter(
        lambda s: not s.strip().replace(".", "").replace(" ", "").isdigit()
    ),
)
BAD_DATE = st.one_of(
    st.sampled_from(
        [
            "2026-02-30",
            "2026-13-01",
            "0000-00-00",
            "99999-01-01",
            "31/02/2026",
            "2026-02-29",
            "-2026-01-01",
            "2026-01-01T25:00",
            "",
            "\x00",
            "1e9",
            "năm ngoái",
        ]
    ),
    st.text(max_size=40),
)
# Text a form must refuse: longer than the 5,000 characters a comment or opinion may have, or with a NUL.
ODD_TEXT = st.one_of(
    st.text(min_size=5001, max_size=6000),
    st.text(max_size=200).map(lambda s: s + "\x00"),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\ud7ff\ufffe\uffff\x00",
            "\u202eRTL\u202c" * 1001,
            "🏭" * 5001,
            "Ş̵̡̢̛̺͎͍̙̤ͅ" * 501,
            "' OR 1=1 --\x00",
            "<script>alert(1)</script>" * 210,
            "{{ 7*7 }}{% debug %}" * 300,
            "\r\n" * 2600,
        ]
    ),
)


@pytest.fixture
def scene(db):
    w = build_world()
    at = {}
    for trigger, until in (
        ("district_submit", "lodge"),
        ("appraise", "district_submit"),
        ("verify_finance", "appraise"),
        ("approve", "verify_finance"),
        ("accept", "approve"),
    ):
        at[trigger] = drive(w, complete_proposal(w, title=f"Fuzz {trigger}"), until)
    return w, at


ACTORS = {
    "district_submit": "district",
    "appraise": "appraiser",
    "verify_finance": "finance",
    "approve": "approver",
    "accept": "appraiser",
}
GOOD = {
    "district_submit": {"comment": "Đề nghị Sở xem xét"},
    "appraise": {
        "verdict": "pass",
        "policy_fit": "x",
        "objectives_budget": "x",
        "capacity": "x",
        "integration": "x",
        "dossier": "x",
        "score": "80",
        "recommended_amount": "280000000",
    },
    "verify_finance": {"national_amount": "0", "local_amount": "280000000"},
    "approve": {"decision_number": "1/QĐ", "decision_date": "2026-03-20", "amount": "280000000"},
    "accept": {"accepted_on": "2026-06-30", "results": "Đạt"},
}
MONEY_FIELDS = {
    "appraise": ["recommended_amount", "score"],
    "verify_finance": ["national_amount", "local_amount"],
    "approve": ["amount"],
}
OPTIONAL = {"approve": ["amount"]}
DATE_FIELDS = {"approve": ["decision_date"], "accept": ["accepted_on"]}
TEXT_FIELDS = {
    "district_submit": ["comment"],
    "appraise": ["policy_fit", "dossier"],
    "approve": ["decision_number"],
    "accept": ["results"],
}


def bad_form(trigger: str):
    """The form's good values with at least one field replaced by a bad one."""
    # An optional amount left blank (spaces included) means "the verified amount": not bad input.
    options = [
        (f, BAD_MONEY.filter(lambda v: str(v).strip() != "") if f in OPTIONAL.get(trigger, []) else BAD_MONEY)
        for f in MONEY_FIELDS.get(trigger, [])
    ]
    options += [(f, BAD_DATE) for f in DATE_FIELDS.get(trigger, [])]
    options += [(f, ODD_TEXT) for f in TEXT_FIELDS.get(trigger, [])]
    return st.lists(
        st.sampled_from(options).flatmap(lambda o: st.tuples(st.just(o[0]), o[1])), min_size=1, max_size=3
    ).map(lambda pairs: {**GOOD[trigger], **dict(pairs)})


def stored(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.status,
        p.updated_at,
        p.recommended_amount,
        p.verified_amount,
        p.approved_amount,
        TransitionEvent.objects.filter(proposal=p).count(),
        list(Task.objects.filter(proposal=p).values_list("id", "completed_at")),
        Outbox.objects.count(),
    )


def attempt(p: Proposal, send) -> tuple:
    with transaction.atomic():
        before = stored(p)
        response = send()
        after = stored(p)
        transaction.set_rollback(True)
    p.refresh_from_db()  # the rolled-back state, for the next example
    return response, before, after


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@pytest.mark.parametrize("trigger", ["district_submit", "appraise", "verify_finance", "approve", "accept"])
def test_action_forms_refuse_bad_input_with_a_400(scene, trigger):
    w, at = scene
    p = at[trigger]
    client = Client()
    client.force_login(w.user(ACTORS[trigger]))
    url = reverse("proposals:action", args=[p.pk, trigger])

    @FUZZ
    @given(form=bad_form(trigger))
    def check(form):
        if trigger == "district_submit":
            form = {"comment": form["comment"]}
        response, before, after = attempt(p, lambda: client.post(url, {"expected_status": p.status, **form}))
        assert response.status_code == 400, (form, response.status_code)
        if "form" not in response.context:  # a NUL refused before any view (core/errors.py), with its reason
            assert "chứa ký tự không hợp lệ" in response.content.decode() and before == after, form
            return
        errors = [str(e) for field in response.context["form"].errors.values() for e in field]
        assert errors, form
        assert any(escape(e) in response.content.decode() for e in errors), errors  # shown to the user
        assert before == after

    check()


@pytest.mark.slow
@pytest.mark.parametrize("trigger", ["appraise", "verify_finance", "approve", "accept"])
def test_the_api_refuses_bad_step_data_with_a_400(scene, trigger):
    w, at = scene
    p = at[trigger]
    client = Client()
    client.force_login(w.user(ACTORS[trigger]))
    url = f"/api/proposals/{p.pk}/transitions/{trigger}/"
    base = {
        "appraise": {
            "verdict": "pass",
            "recommended_amount": 280_000_000,
            "opinions": {
                "policy_fit": "x",
                "objectives_budget": "x",
                "capacity": "x",
                "integration": "x",
                "dossier": "x",
            },
        },
        "verify_finance": {"national_amount": 0, "local_amount": 280_000_000},
        "approve": {"decision_number": "1/QĐ", "decision_date": "2026-03-20", "amount": 280_000_000},
        "accept": {"accepted_on": "2026-06-30", "results": "Đạt"},
    }[trigger]
    api_money = st.one_of(
        BAD_MONEY,
        st.integers(max_value=-1),
        st.integers(min_value=10**13 + 1, max_value=10**40),
        st.floats(allow_nan=True),
        st.lists(st.integers(), max_size=3),
        st.just({}),
        st.just(True),
    )
    api_date = st.one_of(
        BAD_DATE.filter(bool), st.integers(), st.floats(), st.lists(st.text(max_size=3), max_size=2)
    )
    api_text = st.one_of(ODD_TEXT, st.lists(st.text(max_size=3), min_size=1, max_size=2))
    per_field = {
        **{f: api_money for f in MONEY_FIELDS.get(trigger, [])},
        **{f: api_date for f in DATE_FIELDS.get(trigger, [])},
        **{f: api_text for f in TEXT_FIELDS.get(trigger, [])},
    }
    per_field = {f: strategy for f, strategy in per_field.items() if f in base}
    if trigger == "appraise":
        per_field["opinions"] = st.one_of(
            st.lists(st.text(max_size=3), max_size=2),
            st.text(max_size=5),
            st.fixed_dictionaries({"policy_fit": ODD_TEXT}),
        )
        per_field["verdict"] = st.text(max_size=10).filter(lambda v: v not in ("pass", "fail"))

    @FUZZ
    @given(
        changes=st.lists(
            st.sampled_from(sorted(per_field)).flatmap(lambda f: st.tuples(st.just(f), per_field[f])),
            min_size=1,
            max_size=3,
        ).map(dict)
    )
    def check(changes):
        body = {"data": {**base, **changes}, "expected_status": p.status}
        response, before, after = attempt(p, lambda: client.post(url, body, content_type="application/json"))
        assert response.status_code == 400, (changes, response.status_code, response.content[:300])
        error = response.json()["error"]
        assert error["message"] and error["code"] in ("invalid", "guard_failed", "invalid_data"), error
        assert before == after

    check()


@pytest.mark.slow
def test_the_api_dossier_patch_refuses_bad_values_with_a_400(scene):
    w, _at = scene
    p = complete_proposal(w, title="Fuzz dossier")
    client = Client()
    client.force_login(w.user("applicant"))
    url = f"/api/proposals/{p.pk}/"
    numbers = st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=2**63, max_value=10**40),
        st.sampled_from(["", "abc", "1e309", [], {}]),
    )
    per_field = {
        "title": st.one_of(ODD_TEXT, st.just(""), st.lists(st.text(max_size=3), min_size=1, max_size=2)),
        "plan_year": numbers,
        "target_machines": numbers,
        "target_learners": numbers,
        "content_type": st.text(max_size=20).filter(lambda v: v not in ("machinery",)),
        "funding_kind": st.text(max_size=20).filter(lambda v: v not in ("local", "national")),
    }

    @FUZZ
    @given(
        changes=st.lists(
            st.sampled_from(sorted(per_field)).flatmap(lambda f: st.tuples(st.just(f), per_field[f])),
            min_size=1,
            max_size=3,
        ).map(dict)
    )
    def check(changes):
        response, before, after = attempt(
            p, lambda: client.patch(url, changes, content_type="application/json")
        )
        assert response.status_code == 400, (changes, response.status_code, response.content[:300])
        assert response.json()["error"]["code"] == "invalid"
        assert before == after

    check()
