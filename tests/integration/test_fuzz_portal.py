"""Input fuzzing with hypothesis, the applicant's side: the portal's own forms over HTTP — sign-up and adding a
colleague, starting a đề án, the dossier editor (general fields and sections, work items, budget lines in đồng),
uploads, withdrawing, progress reports, advance requests, the completion report, the settlement dossier and the
public lookup at /tra-cuu/. They get bad dates (impossible, unparsable or far outside the plan years), amounts
below 0 or above 10¹³, decimal commas, badly grouped thousands, other scripts' digits, NUL characters, text
over its limit, odd Unicode, missing fields, fields sent twice, a file where text belongs, tampered formset
counters.

Every answer is the form page again with status 400 (the view's own answer to bad input; 302 and a message
for the upload and the withdrawal, 404 with a message for a well-formed lookup that finds nothing) — never a
5xx — and every error on it is Vietnamese and shown. Nothing is stored: each example runs in a savepoint that
is rolled back after the rows (and the callbacks waiting for the commit: emails, broker kicks) are compared.
Each test first sends its good form once and checks that it does store something, so "nothing changed" means
the bad input was refused, not that the form never writes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import example, given
from hypothesis import strategies as st

from core.calendar import VN_TZ
from core.models import Organisation, User
from notifications.models import Outbox
from workflow.models import (
    Advance,
    Attachment,
    AttachmentKind,
    BudgetLine,
    CompletionReport,
    ProgressReport,
    Proposal,
    SettlementDossier,
    Task,
    TransitionEvent,
    Voucher,
    WorkItem,
)
from workflow.models.dossier import private_storage
from workflow.services import portal
from workflow.services.portal import BUDGET_COLUMNS
from workflow.services.proposals import DOSSIER_FIELDS

from .test_fuzz_forms import BAD_DATE, FUZZ
from .world import build_world, complete_proposal, drive

pytestmark = pytest.mark.slow

# A Vietnamese sentence has at least one of these letters; Django's English fallbacks ("Null characters are
# not allowed.", "Constraint … is violated.") have none.
VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I)
MISSING = object()  # the field is not sent at all


class AsFile:
    """A file sent where text belongs: the field is then missing from the POST data."""


class Twice:
    """The field sent twice, the good value first: Django reads the last one."""

    def __init__(self, bad):
        self.bad = bad


# --- strategies -------------------------------------------------------------------------------------------------


def too_long(limit: int) -> st.SearchStrategy[str]:
    """Text longer than ``limit`` characters even once trimmed (short odd pieces repeated, so it stays cheap)."""
    piece = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and "\x00" not in s)
    explicit = st.sampled_from(
        ["🏭", "Ş̵̡̢̛̺͎͍̙̤ͅ", "\u202eRTL\u202c", "<script>alert(1)</script>", "{{ 7*7 }}", "Nguyễn Thị Lan "]
    )
    return st.one_of(piece, explicit).map(lambda s: (s * (limit // len(s) + 4)).strip() + "x")


WITH_NUL = st.one_of(
    st.text(max_size=60).map(lambda s: s + "\x00"),
    st.sampled_from(["\x00", "a\x00b", "\ud7ff\ufffe\uffff\x00", "' OR 1=1 --\x00", "Nguyễn\x00Lan"]),
)


def bad_text(limit: int, *, required: bool) -> st.SearchStrategy:
    options = [too_long(limit), WITH_NUL]
    if required:
        options += [st.just(MISSING), st.sampled_from(["", "   ", "\r\n\t"]), st.just(AsFile())]
    return st.one_of(*options)


# Amounts a MoneyField must refuse: negative, over 10¹³ đồng, decimals, other scripts' digits, bad grouping.
BAD_MONEY = st.one_of(
    st.integers(max_value=-1).map(str),
    st.integers(min_value=10**13 + 1, max_value=10**40).map(str),
    st.integers(min_value=10**13 + 1, max_value=10**20).map(lambda n: f"{n:,}".replace(",", ".")),
    st.sampled_from(
        [
            "1e309",
            "1e3",
            "NaN",
            "Infinity",
            "-0.5",
            "1,5",
            "1.000,5",
            "١٢٣",
            "１２３",
            "½",
            "²",
            "12.34.56",
            "12.34.56,7",
            "1.000.00",
            "1.000 000",
            "1_000",
            "+5",
            "0x10",
            "∞",
            "9" * 400,
            "--1",
            "-1.000",
            "1 000 000 000 000 000 000 ₫",
            "\u200b123",
            "123\x00",
            "ba trăm triệu",
        ]
    ),
    # Anything else that is not digits, spaces, dots, minus signs and a trailing ₫ (those may be well formed).
    st.text(min_size=1, max_size=40).filter(lambda s: not re.fullmatch(r"[\s.0-9-]*₫?\s*", s)),
)
REQUIRED_MONEY = st.one_of(BAD_MONEY, st.sampled_from(["", " ", "\u00a0₫"]), st.just(MISSING))
# Dates no đề án has: impossible or unparsable (the staff fuzzing's list), and parsable but outside 2000–2100.
BAD_DAY = st.one_of(
    BAD_DATE,
    st.sampled_from(["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31", "1900-02-28", "01/01/1970"]),
    st.dates(max_value=dt.date(1999, 12, 31)).map(dt.date.isoformat),
    st.dates(min_value=dt.date(2101, 1, 1)).map(dt.date.isoformat),
    st.just(MISSING),
)


def bad_integer(low: int, high: int, *, required: bool = True) -> st.SearchStrategy:
    """A whole number field between ``low`` and ``high``: out of range, not whole, not a number."""
    options = [
        st.integers(max_value=low - 1).map(str),
        st.integers(min_value=high + 1, max_value=10**40).map(str),
        st.sampled_from(["1,5", "50.5", "1e2", "NaN", "½", "0x10", "--1", "1\x00", "mười", "1.000,5"]),
        # Not digits (of any script: IntegerField reads ٥٠ as 50), signs, underscores, ".0" or spaces.
        st.text(min_size=1, max_size=20).filter(lambda s: not re.fullmatch(r"[\s\d_+\-.]*", s)),
    ]
    if required:
        options += [st.just(MISSING), st.sampled_from(["", " "])]
    return st.one_of(*options)


def bad_choice(valid, *, required: bool = True) -> st.SearchStrategy:
    options = [st.text(max_size=30).filter(lambda v: v not in valid and v != "")]
    if required:
        options.append(st.just(MISSING))
    return st.one_of(*options)


def bad_unit(w, *, required: bool) -> st.SearchStrategy:
    """A location that is not a district or commune in force: garbage, a province, an id that does not exist."""
    options = [
        st.sampled_from(["abc", "-1", "0", "1.5", "\x00", "99999999999999999999", str(w.province.pk)]),
        st.just(str(w.other_province.pk)),
        st.integers(min_value=10**6, max_value=2**62).map(str),
    ]
    if required:
        options += [st.just(MISSING), st.just("")]
    return st.one_of(*options)


def field(name: str, strategy: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """One field replaced; sometimes sent twice, the bad value last."""
    return st.tuples(strategy, st.booleans()).map(
        lambda vb: {name: Twice(vb[0]) if vb[1] and isinstance(vb[0], str) else vb[0]}
    )


def bad_form(options: list[st.SearchStrategy[dict]]) -> st.SearchStrategy[dict]:
    """The good form with one to three of its fields replaced by bad values."""
    return st.lists(st.one_of(*options), min_size=1, max_size=3).map(
        lambda changes: {k: v for change in changes for k, v in change.items()}
    )


def regressions(*cases: dict, **fixed):
    """Bad input that once got through (or showed English), tried alone on every run besides the fuzzing: one
    bad field among two or three others could be refused for the other ones."""

    def decorate(fn):
        for case in reversed(cases):
            fn = example(changes=case, **fixed)(fn)
        return fn

    return decorate


def post_data(good: dict, changes: dict) -> dict:
    data = dict(good)
    for key, value in changes.items():
        if value is MISSING or isinstance(value, AsFile):
            data.pop(key, None)
        if isinstance(value, AsFile):
            data[key] = io.BytesIO(b"%PDF-1.4 not text")
            data[key].name = "van-ban.pdf"
        elif isinstance(value, Twice):
            data[key] = [str(good.get(key, "")), value.bad]
        elif value is not MISSING:
            data[key] = value
    return data


# --- state and answers ------------------------------------------------------------------------------------------


def pending_callbacks() -> int:
    """Work waiting for the commit (emails, broker kicks): a refused form schedules none."""
    return len(connection.run_on_commit)


def attempt(state: Callable[[], tuple], send) -> tuple:
    with transaction.atomic():
        before = state()
        response = send()
        after = state()
        transaction.set_rollback(True)
    return response, before, after


def at_the_door(response) -> bool:
    """Refused before any view (core/errors.py: a NUL or a lone surrogate): no form was built."""
    return "message" in response.context and "form" not in response.context


def errors_of(response, *names: str) -> list[str]:
    """Every error the view put on its forms and formsets (field, non-field and formset errors)."""
    found = []
    if at_the_door(response):  # the reason is on the page instead of the form's errors
        return [str(response.context["message"])]
    for name in names:
        obj = response.context[name]
        if hasattr(obj, "forms"):  # a formset
            found += [str(e) for e in obj.non_form_errors()]
            for form in obj.forms:
                found += [str(e) for errors in form.errors.values() for e in errors]
        else:
            found += [str(e) for errors in obj.errors.values() for e in errors]
    return found


def page_messages(response, level: str = "error") -> list[str]:
    """The messages-framework notices of one level, as the page shows them (escaped)."""
    return re.findall(
        rf'class="kc-message kc-message--{level}"[^>]*>(.*?)</li>', response.content.decode(), re.S
    )


def assert_shown_in_vietnamese(response, errors: list[str], changes) -> None:
    assert errors, (changes, "no error on the page")
    page = response.content.decode()
    for e in errors:
        assert VIETNAMESE.search(e), (changes, "not Vietnamese", e)
        assert escape(e) in page, (changes, "not shown", e)


def assert_refused(response, changes, *names: str, status: int = 400) -> list[str]:
    assert response.status_code == status, (changes, response.status_code)
    errors = errors_of(response, *names)
    assert_shown_in_vietnamese(response, errors, changes)
    return errors


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def today() -> dt.date:
    return timezone.now().astimezone(VN_TZ).date()


@pytest.fixture
def w(db):
    return build_world()


# --- registration -----------------------------------------------------------------------------------------------

SIGNUP = {
    "name": "Hộ kinh doanh Lê Văn Điều",
    "kind": "household",
    "tax_code": "3800999888",
    "address": "Thôn 3",
    "representative": "Lê Văn Điều",
    "phone": "0912 888 777",
    "email": "dieu@example.vn",
    "full_name": "Lê Văn Điều",
    "username": "ledieu",
    "password1": "hat-dieu-binh-phuoc",
    "password2": "hat-dieu-binh-phuoc",
}
# 255 and 311 characters: well-formed, longer than the 254 the user's email column holds.
LONG_EMAILS = [
    "a" * 64 + "@" + ("b" * 62 + ".") * 2 + "c" * 61 + ".vn",
    "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "vn",
]
BAD_EMAIL = st.one_of(
    st.sampled_from(
        [
            *LONG_EMAILS,
            "không-phải-email",
            "a@b",
            "@example.vn",
            "nguyễn@example.vn",
            "a@@example.vn",
            "a b@x.vn",
        ]
    ),
    WITH_NUL,
    st.text(max_size=30).filter(lambda s: "@" not in s and s.strip()),
    st.just(MISSING),
)
BAD_USERNAME = st.one_of(
    # Taken, in any case: "APPLICANT" next to "applicant" would be two accounts nobody can tell apart.
    st.sampled_from(["applicant", "APPLICANT", "Applicant", "aPPlicant", "district"]),
    st.sampled_from(["le dieu", "lê/điều", "a\nb", "tên đăng nhập", "x" * 151, "<b>", "a,b"]),
    WITH_NUL,
    st.just(MISSING),
)


def test_signup_form_refuses_bad_input_and_creates_no_account(w):
    client = Client()
    url = reverse("signup")
    good = {**SIGNUP, "address_unit": str(w.commune.pk)}

    def state():
        return User.objects.count(), Organisation.objects.count(), pending_callbacks()

    response, before, after = attempt(state, lambda: client.post(url, good))
    assert response.status_code == 200 and before != after  # the good form creates the account

    options = [
        field("name", bad_text(255, required=True)),
        field("kind", bad_choice(Organisation.Kind.values)),
        field(
            "tax_code",
            st.one_of(
                st.sampled_from(
                    [
                        "٣٨٠٠٩٩٩٨٨٨",
                        "３８００９９９８８８",
                        "3800999888-01",
                        "380099988",
                        "38009998881",
                        "3800123456",
                    ]
                ),
                st.sampled_from(["٣٨٠٠١٢٣٤٥٦", "3800-999888", "MST3800999888", "3800999888 001"]),
                st.text(max_size=16).filter(
                    lambda s: not re.fullmatch(r"\s*([0-9]{10}(-[0-9]{3})?|[0-9]{12})\s*", s)
                ),
            ),
        ),
        field("address_unit", bad_unit(w, required=True)),
        field("address", bad_text(255, required=False)),
        field("representative", bad_text(120, required=True)),
        field(
            "phone",
            st.one_of(
                st.sampled_from(["02838123456", "+14155552671", "abc", "0912", "0912345678" * 3, "\x00", ""]),
                st.just(MISSING),
            ),
        ),
        field("email", BAD_EMAIL),
        field("full_name", bad_text(150, required=True)),
        field("username", BAD_USERNAME),
        field(
            "password1",
            st.one_of(
                st.sampled_from(["ngan", "1234567890123", "password123", "mật khẩu\x00dài"]),
                st.just(MISSING),
            ),
        ),
        field(
            "password2",
            st.one_of(st.text(max_size=30).filter(lambda s: s != SIGNUP["password1"]), st.just("")),
        ),
    ]

    @FUZZ
    @given(changes=bad_form(options))
    @regressions(
        {"tax_code": "٣٨٠٠١٢٣٤٥٦"},  # was stored as typed, past the uniqueness of 3800123456
        {"tax_code": "３８００９９９８８８"},
        {"password1": "ngan"},  # "This password is too short." in English
        {"name": "Hộ kinh doanh\x00"},  # "Null characters are not allowed." in English
        {"email": LONG_EMAILS[0]},
    )
    def check(changes):
        data = post_data(good, changes)
        if changes.get("password1") not in (None, MISSING) and "password2" not in changes:
            data["password2"] = data["password1"]  # a weak password, typed twice
        response, before, after = attempt(state, lambda: client.post(url, data))
        assert_refused(response, changes, "form")
        assert before == after, changes

    check()


def test_member_form_refuses_bad_input_and_adds_nobody(w):
    client = client_for(w.user("applicant"))
    url = reverse("members")
    good = {"full_name": "Nguyễn Văn Hùng", "username": "hung", "email": "hung@example.vn"}

    def state():
        return User.objects.count(), pending_callbacks()

    response, before, after = attempt(state, lambda: client.post(url, good))
    assert response.status_code == 302 and before != after

    options = [
        field("full_name", bad_text(150, required=True)),
        field("username", BAD_USERNAME),
        field("email", BAD_EMAIL),
    ]

    @FUZZ
    @given(changes=bad_form(options))
    @regressions(
        {"email": LONG_EMAILS[0]},  # 255 characters: a 500 (the column holds 254)
        {"email": LONG_EMAILS[1]},
        {"username": "APPLICANT"},  # was added next to "applicant"
    )
    def check(changes):
        response, before, after = attempt(state, lambda: client.post(url, post_data(good, changes)))
        assert_refused(response, changes, "form")
        assert before == after, changes

    check()


# --- starting a đề án and the dossier editor --------------------------------------------------------------------

CHOICES = {
    name: [str(v) for v, _label in Proposal._meta.get_field(name).choices]
    for name in ("funding_kind", "content_type", "sector")
}
BRICK_KILNS = [str(v) for v, _label in Proposal._meta.get_field("brick_kiln_technology").choices]
BAD_YEAR = st.one_of(
    bad_integer(2000, 2100),
    st.sampled_from(["1999", "2101", "0", "32767", "32768", "-2026", "٢١٠١", "2026.5", "2 026", "năm 2026"]),
)


def test_start_form_refuses_bad_input_and_creates_nothing(w):
    client = client_for(w.user("applicant"))
    url = reverse("portal:start")
    good = {
        "title": "Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều",
        "plan_year": "2026",
        "funding_kind": "local",
        "content_type": "machinery",
        "sector": "a",
        "location": str(w.commune.pk),
    }

    def state():
        return Proposal.objects.count(), TransitionEvent.objects.count(), pending_callbacks()

    response, before, after = attempt(state, lambda: client.post(url, good))
    assert response.status_code == 302 and before != after

    options = [
        field("title", bad_text(300, required=True)),
        field("plan_year", BAD_YEAR),
        *(field(name, bad_choice(valid)) for name, valid in CHOICES.items()),
        field("location", bad_unit(w, required=True)),
    ]

    @FUZZ
    @given(changes=bad_form(options))
    @regressions({"plan_year": "1999"}, {"plan_year": "2101"})  # "Constraint … is violated." in English
    def check(changes):
        response, before, after = attempt(state, lambda: client.post(url, post_data(good, changes)))
        assert_refused(response, changes, "form")
        assert before == after, changes

    check()


def dossier_post(p: Proposal) -> dict:
    """The editor's form for ``p`` with its one work item and one budget line, a little changed (so that a save
    writes), in the browser's shape."""
    data = {
        "title": p.title,
        "plan_year": "2026",
        "funding_kind": "local",
        "content_type": "machinery",
        "sector": "a",
        "location_detail": "Thôn 3",
        "location": str(p.commune_id or p.district_id or ""),
        "beneficiary_capital": "",
        "beneficiary_workers": "",
        "brick_kiln_technology": "none",
        "counterpart_committed": "on",
        "no_other_state_support": "on",
        "partners": "Hộ kinh doanh",
        "need": "Cần thiết, đã sửa",
        "objectives": "Tăng năng suất",
        "scale": "01 máy",
        "content_plan": "Mua, lắp đặt",
        "budget_note": "Theo báo giá",
        "organisation_plan": "Tự tổ chức",
        "effectiveness": "Giảm lao động thủ công",
        "target_learners": "0",
        "target_models": "0",
        "target_machines": "1",
        "target_fairs": "0",
        "target_products": "0",
        "wi-TOTAL_FORMS": "1",
        "wi-INITIAL_FORMS": "1",
        "wi-MIN_NUM_FORMS": "0",
        "wi-MAX_NUM_FORMS": "200",
        "wi-0-title": "Lắp đặt và chạy thử máy",
        "wi-0-starts_on": "2026-04-01",
        "wi-0-ends_on": "2026-06-30",
        "wi-0-responsible": "Chủ hộ",
        "bl-TOTAL_FORMS": "1",
        "bl-INITIAL_FORMS": "1",
        "bl-MIN_NUM_FORMS": "0",
        "bl-MAX_NUM_FORMS": "200",
        "bl-0-item": "Máy tách vỏ lụa",
        "bl-0-unit": "máy",
        "bl-0-quantity": "1",
        "bl-0-unit_price": "620.000.000",
        "bl-0-national_amount": "",
        "bl-0-local_amount": "300.000.000",
        "bl-0-counterpart_amount": "320 000 000",
    }
    return data


def dossier_state(p: Proposal) -> Callable[[], tuple]:
    def state():
        return (
            Proposal.objects.filter(pk=p.pk).values(*DOSSIER_FIELDS, "status", "updated_at").get(),
            list(
                WorkItem.objects.filter(proposal=p).values_list(
                    "title", "starts_on", "ends_on", "responsible"
                )
            ),
            list(BudgetLine.objects.filter(proposal=p).values_list(*BUDGET_COLUMNS)),
            TransitionEvent.objects.filter(proposal=p).count(),
            Task.objects.filter(proposal=p).count(),
            Outbox.objects.count(),
            pending_callbacks(),
        )

    return state


def bad_management(prefix: str) -> list[st.SearchStrategy[dict]]:
    """A tampered formset: counters missing, not numbers, negative, beyond the 1,200 forms Django builds."""
    garbled = st.one_of(st.just(MISSING), st.sampled_from(["abc", "-1", "", "1.5", "\x00", "1e3"]))
    # A larger INITIAL_FORMS only makes the rows sent required: not bad in itself.
    return [
        field(f"{prefix}-TOTAL_FORMS", st.one_of(garbled, st.sampled_from(["5000", "٥٠٠٠", str(10**20)]))),
        field(f"{prefix}-INITIAL_FORMS", garbled),
    ]


def check_dossier(w, options: list[st.SearchStrategy[dict]], cases: list[dict]) -> None:
    p = complete_proposal(w)
    client = client_for(w.user("applicant"))
    url = reverse("portal:edit", args=[p.pk])
    good = dossier_post(p)
    state = dossier_state(p)
    response, before, after = attempt(state, lambda: client.post(url, {**good, "save": "1"}))
    assert response.status_code == 302 and before != after

    @FUZZ
    @given(changes=bad_form(options), button=st.sampled_from(["save", "lodge"]))
    @regressions(*cases, button="save")
    def check(changes, button):
        data = {**post_data(good, changes), button: "1"}
        response, before, after = attempt(state, lambda: client.post(url, data))
        assert_refused(response, changes, "form", "works", "lines")
        if at_the_door(response):
            assert before == after, changes
            return
        # Never more rows built (and rendered again) than the 200 a dossier may have, whatever TOTAL_FORMS says.
        assert max(len(response.context["works"].forms), len(response.context["lines"].forms)) <= 200
        # The view's own notice, above the fields marked in red.
        assert any("Chưa lưu: có ô nhập chưa đúng" in m for m in page_messages(response)), changes
        assert before == after, changes

    check()


def test_dossier_editor_refuses_bad_general_fields_and_sections(w):
    sections = ["partners", "need", "objectives", "scale", "content_plan", "budget_note"]
    sections += ["organisation_plan", "effectiveness"]
    targets = ["target_learners", "target_models", "target_machines", "target_fairs", "target_products"]
    check_dossier(
        w,
        [
            field("title", bad_text(300, required=True)),
            field("plan_year", BAD_YEAR),
            *(field(name, bad_choice(valid)) for name, valid in CHOICES.items()),
            field("location", bad_unit(w, required=False)),
            field("location_detail", bad_text(255, required=False)),
            field("beneficiary_capital", BAD_MONEY),
            field("beneficiary_workers", bad_integer(0, 2_147_483_647, required=False)),
            field("brick_kiln_technology", bad_choice(BRICK_KILNS)),
            st.sampled_from(sections).flatmap(lambda name: field(name, bad_text(20_000, required=False))),
            st.sampled_from(targets).flatmap(lambda name: field(name, bad_integer(0, 2_147_483_647))),
        ],
        [
            {"plan_year": "1999"},  # "Constraint … is violated." in English
            {"need": "x" * 20_001},  # a section of any length was stored
            {"title": "Đề án\x00"},
        ],
    )


def test_dossier_editor_refuses_bad_work_items(w):
    reversed_dates = st.dates(min_value=dt.date(2000, 1, 2), max_value=dt.date(2100, 12, 31)).flatmap(
        lambda start: st.dates(min_value=dt.date(2000, 1, 1), max_value=start - dt.timedelta(days=1)).map(
            lambda end: {"wi-0-starts_on": start.isoformat(), "wi-0-ends_on": end.isoformat()}
        )
    )
    check_dossier(
        w,
        [
            field("wi-0-title", bad_text(255, required=True)),
            field("wi-0-starts_on", BAD_DAY),
            field("wi-0-ends_on", BAD_DAY),
            reversed_dates,
            field("wi-0-responsible", bad_text(255, required=False)),
            *bad_management("wi"),
        ],
        [
            {"wi-0-starts_on": "0001-01-01"},  # stored
            {"wi-0-ends_on": "9999-12-31"},  # stored
            {"wi-TOTAL_FORMS": "5000"},  # built and rendered 1,200 rows
            {"wi-TOTAL_FORMS": MISSING},  # Django's ManagementForm message in English
            {"wi-TOTAL_FORMS": "-1"},  # saved an empty table: every work item deleted
            {"wi-INITIAL_FORMS": "-1"},  # saved as if nothing were wrong
        ],
    )


BAD_QUANTITY = st.one_of(
    st.sampled_from(
        ["0", "0,00", "0,001", "-1", "1e5", "NaN", "Infinity", "١٢", "12.34.56,7", "1.2.3", "1,2,3", "1,5,0"]
    ),
    st.sampled_from(["10000000000", "99.999.999.999", "1,555", "½", "một", "", " "]),
    st.integers(min_value=10**10, max_value=10**30).map(str),
    st.integers(max_value=0).map(str),
    st.just(MISSING),
)


def test_dossier_editor_refuses_bad_budget_lines(w):
    amounts = ["bl-0-unit_price", "bl-0-national_amount", "bl-0-local_amount", "bl-0-counterpart_amount"]
    check_dossier(
        w,
        [
            field("bl-0-item", bad_text(255, required=True)),
            field("bl-0-unit", bad_text(40, required=False)),
            field("bl-0-quantity", BAD_QUANTITY),
            # Optional: left blank they mean 0, so only bad values.
            st.sampled_from(amounts).flatmap(lambda name: field(name, BAD_MONEY)),
            *bad_management("bl"),
        ],
        [
            {"bl-0-unit_price": "12.34.56"},  # read as 123,456 đồng
            {"bl-0-local_amount": "3.000.00"},  # read as 300,000 đồng
            {"bl-0-quantity": "12.34.56,7"},  # read as 123456,7
            {"bl-TOTAL_FORMS": "-1"},  # saved an empty table: every budget line deleted
            {"bl-INITIAL_FORMS": "-1"},
        ],
    )


# --- uploads and withdrawing ----------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAGIC = (b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    """The private storage in a directory of this test's own, to count the files written."""
    cached = ("base_location", "location")
    monkeypatch.setattr(private_storage, "_location", str(tmp_path))
    for name in cached:
        private_storage.__dict__.pop(name, None)
    yield tmp_path
    for name in cached:
        private_storage.__dict__.pop(name, None)


def test_upload_refuses_bad_files_and_stores_nothing(w, private_dir, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "UPLOAD_MAX_BYTES": 200}
    p = complete_proposal(w)
    client = client_for(w.user("applicant"))
    url = reverse("portal:upload", args=[p.pk])
    target = reverse("portal:edit", args=[p.pk]) + "#attachments"
    good = {"kind": "quote", "name": "Báo giá máy.pdf", "content": PDF}

    def state():
        files = sorted(str(f) for f in private_dir.rglob("*") if f.is_file())
        return (
            Attachment.objects.count(),
            TransitionEvent.objects.filter(proposal=p).count(),
            Proposal.objects.filter(pk=p.pk).values_list("updated_at", flat=True).get(),
            files,
        )

    def send(upload: dict):
        data = {}
        if upload["kind"] is not MISSING:
            data["kind"] = upload["kind"]
        if upload["name"] is not MISSING and upload["content"] is not MISSING:
            f = io.BytesIO(upload["content"])
            f.name = upload["name"]
            data["file"] = f
        return client.post(url, data, follow=True)

    response, before, after = attempt(state, lambda: send(good))
    assert response.redirect_chain == [(target, 302)] and before != after

    # Quotes and line breaks would break the multipart encoding itself, before any form sees the name.
    name_text = st.text(max_size=30).filter(lambda s: not set(s) & set('"\r\n/\\'))
    bad_names = st.one_of(
        st.sampled_from(
            [".htaccess.pdf", "..pdf", "tệp..pdf", "C:boot.pdf", "a:b.pdf", " .pdf", "x" * 250 + ".pdf"]
        ),
        # Nothing left once cleaned. (An empty name cannot be sent: Django's test client, like a browser, puts a
        # name on every file part — the field's — so the server never sees one.)
        st.sampled_from(["\x00", "\x01\x02\x03", "\u202e\u200b", "\x7f"]),
        name_text.map(lambda s: "." + s + ".pdf"),
        name_text.map(lambda s: s + ".." + s),
        st.just(MISSING),
    )
    bad_contents = st.one_of(
        st.binary(max_size=150).filter(lambda b: not b.startswith(MAGIC)),
        st.sampled_from(
            [b"", b"MZ\x90\x00\x03\x00\x00\x00", b"PK\x03\x04garbage", b"<?php system($_GET[1]);"]
        ),
        st.just(PDF + b"0" * 300),  # over the limit
        st.just(MISSING),
    )
    bad_kinds = st.one_of(
        st.text(max_size=20).filter(lambda k: k not in AttachmentKind.values), st.just(MISSING)
    )
    options = [field("kind", bad_kinds), field("name", bad_names), field("content", bad_contents)]

    @FUZZ
    @given(changes=st.lists(st.one_of(*options), min_size=1, max_size=3))
    def check(changes):
        upload = dict(good)
        for change in changes:
            upload.update({k: v.bad if isinstance(v, Twice) else v for k, v in change.items()})
        response, before, after = attempt(state, lambda: send(upload))
        if at_the_door(response):  # a NUL in a field: refused before the view, with its reason
            assert response.status_code == 400 and before == after, upload
            return
        # The editor again, at its attachments, with the reason.
        assert response.redirect_chain == [(target, 302)], (upload, response.status_code)
        notices = page_messages(response)
        assert notices, upload
        for notice in notices:
            assert notice.startswith("Chưa tải lên được: "), (upload, notice)
            assert VIETNAMESE.search(notice.removeprefix("Chưa tải lên được: ")), (upload, notice)
        assert before == after, upload

    check()


def test_withdraw_with_a_stale_or_garbled_status_changes_nothing(w):
    p = complete_proposal(w)
    client = client_for(w.user("applicant"))
    url = reverse("portal:withdraw", args=[p.pk])
    target = reverse("portal:detail", args=[p.pk])

    def state():
        return (
            Proposal.objects.filter(pk=p.pk).values_list("status", "updated_at").get(),
            TransitionEvent.objects.filter(proposal=p).count(),
            Task.objects.filter(proposal=p).count(),
            Outbox.objects.count(),
            pending_callbacks(),
        )

    response, before, after = attempt(state, lambda: client.post(url, {"expected_status": "drafted"}))
    assert response.status_code == 302 and before != after

    @FUZZ
    @given(
        expected=st.one_of(
            st.text(min_size=1, max_size=40).filter(lambda s: s != "drafted"),
            st.sampled_from(["lodged", "withdrawn", "DRAFTED", " drafted", "drafted\x00", "null", "[]"]),
        )
    )
    def check(expected):
        response, before, after = attempt(
            state, lambda: client.post(url, {"expected_status": expected}, follow=True)
        )
        if at_the_door(response):  # a NUL in the status: refused before the view, with its reason
            assert response.status_code == 400 and before == after, expected
            return
        assert response.redirect_chain == [(target, 302)], expected
        notices = page_messages(response)
        assert notices and all(VIETNAMESE.search(n) for n in notices), (expected, notices)
        assert before == after, expected

    check()


# --- while approved: progress reports, advances, the completion report; after acceptance: the settlement -------


def implementation_state(p: Proposal) -> Callable[[], tuple]:
    def state():
        return (
            Proposal.objects.filter(pk=p.pk).values_list("status", "updated_at", "advanced_amount").get(),
            ProgressReport.objects.filter(proposal=p).count(),
            Advance.objects.filter(proposal=p).count(),
            CompletionReport.objects.filter(proposal=p).count(),
            SettlementDossier.objects.filter(proposal=p).count(),
            Voucher.objects.count(),
            TransitionEvent.objects.filter(proposal=p).count(),
            Outbox.objects.count(),
            pending_callbacks(),
        )

    return state


@pytest.fixture
def approved(w):
    return drive(w, complete_proposal(w, title="Đề án đang thực hiện"), "approve")


def check_implementation_form(w, p, name: str, good: dict, options, cases: list[dict]) -> None:
    client = client_for(w.user("applicant"))
    url = reverse(f"portal:{name}", args=[p.pk])
    state = implementation_state(p)
    response, before, after = attempt(state, lambda: client.post(url, good))
    assert response.status_code == 302 and before != after, response.status_code

    @FUZZ
    @given(changes=bad_form(options))
    @regressions(*cases)
    def check(changes):
        response, before, after = attempt(state, lambda: client.post(url, post_data(good, changes)))
        assert_refused(response, changes, "form")
        assert before == after, changes

    check()


def future_day() -> st.SearchStrategy[str]:
    """A date in the allowed years but after today (a report for a month still to come)."""
    first = (today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return st.dates(min_value=first, max_value=dt.date(2100, 12, 31)).map(dt.date.isoformat)


BAD_PERCENT = st.one_of(bad_integer(0, 100), st.sampled_from(["١٠١", "１２０", "100,5", "100 %"]))


def test_progress_report_form_refuses_bad_input(w, approved):
    good = {"period": today().isoformat(), "percent_complete": "40", "summary": "Đã ký hợp đồng mua máy"}
    check_implementation_form(
        w,
        approved,
        "progress_report",
        good,
        [
            field("period", st.one_of(BAD_DAY, future_day())),
            field("percent_complete", BAD_PERCENT),
            field("summary", bad_text(5000, required=True)),
        ],
        [{"period": "0001-01-01"}, {"summary": "Đã lắp máy. " * 500}],  # both were stored
    )


def test_advance_request_form_refuses_bad_input(w, approved):
    # At most 70 % of the 280,000,000 đồng approved: 196,000,000.
    over_the_limit = st.integers(min_value=196_000_001, max_value=10**13).map(
        lambda n: f"{n:,}".replace(",", ".")
    )
    check_implementation_form(
        w,
        approved,
        "advance",
        {"amount": "1.000.000", "note": "Tạm ứng đợt 1"},
        [
            field("amount", st.one_of(REQUIRED_MONEY, st.just("0"), over_the_limit)),
            field("note", bad_text(5000, required=False)),
        ],
        [{"note": "x" * 5001}, {"amount": "1.000.00"}],  # stored; 1.000.00 as 100,000 đồng
    )


def test_completion_report_form_refuses_bad_input(w, approved):
    good = {
        "finished_on": today().isoformat(),
        "percent_complete": "100",
        "results": "Máy vận hành đạt công suất",
    }
    check_implementation_form(
        w,
        approved,
        "completion",
        good,
        [
            field("finished_on", st.one_of(BAD_DAY, future_day())),
            field("percent_complete", BAD_PERCENT),
            field("results", bad_text(5000, required=True)),
        ],
        [{"finished_on": "0001-01-01"}, {"results": "x" * 5001}],  # both were stored
    )


def test_settlement_dossier_form_refuses_bad_input(w):
    p = drive(w, complete_proposal(w, title="Đề án đã nghiệm thu"), "accept")
    client = client_for(w.user("applicant"))
    url = reverse("portal:settlement", args=[p.pk])
    good = {
        "national_spent": "",
        "local_spent": "275.000.000",
        "counterpart_spent": "340.000.000",
        "note": "Đã chi đúng dự toán",
        "v-TOTAL_FORMS": "2",
        "v-INITIAL_FORMS": "0",
        "v-MIN_NUM_FORMS": "0",
        "v-MAX_NUM_FORMS": "500",
        "v-0-number": "HĐ01",
        "v-0-issued_on": "2026-05-02",
        "v-0-description": "Mua máy",
        "v-0-source": "local",
        "v-0-amount": "275.000.000",
        "v-1-number": "PC02",
        "v-1-issued_on": "2026-05-02",
        "v-1-description": "Đối ứng mua máy",
        "v-1-source": "counterpart",
        "v-1-amount": "340 000 000",
    }
    state = implementation_state(p)
    response, before, after = attempt(state, lambda: client.post(url, good))
    assert response.status_code == 302 and before != after

    # A well-formed amount that no longer matches the vouchers (or exceeds the approved support) is refused too.
    other_amount = st.integers(min_value=1, max_value=10**13).filter(
        lambda n: n not in (275_000_000, 340_000_000)
    )
    spent = ["national_spent", "local_spent", "counterpart_spent"]
    options = [
        st.sampled_from(spent).flatmap(lambda name: field(name, st.one_of(BAD_MONEY, other_amount.map(str)))),
        field("note", bad_text(5000, required=False)),
        field("v-0-number", bad_text(60, required=True)),
        field("v-0-issued_on", BAD_DAY),
        field("v-1-description", bad_text(255, required=True)),
        field("v-1-source", bad_choice(["national", "local", "counterpart"])),
        field("v-0-amount", st.one_of(REQUIRED_MONEY, st.just("0"), other_amount.map(str))),
        *bad_management("v"),
    ]

    @FUZZ
    @given(changes=bad_form(options))
    @regressions(
        {"note": "x" * 5001},  # stored
        {"v-0-issued_on": "9999-12-31"},  # stored
        {"v-TOTAL_FORMS": "5000"},  # built and rendered 1,500 rows
    )
    def check(changes):
        response, before, after = attempt(state, lambda: client.post(url, post_data(good, changes)))
        assert_refused(response, changes, "form", "vouchers")
        if not at_the_door(response):
            assert len(response.context["vouchers"].forms) <= 500
        assert before == after, changes

    check()


# --- the public lookup ------------------------------------------------------------------------------------------

IP_COUNTER = "kc:lookup:ip:127.0.0.1"


def test_public_lookup_form_refuses_bad_input_before_any_lookup(w):
    p = drive(w, complete_proposal(w), "lodge")
    client = Client()
    url = reverse("public_lookup")
    good = {"code": p.tracking_code, "pin": "123456"}

    def state():
        return TransitionEvent.objects.count(), cache.get(IP_COUNTER)

    bad_pins = st.one_of(
        st.sampled_from(
            ["12345", "1234567", "١٢٣٤٥٦", "１２３４５６", "12 34 56", "12345a", "123456\x00", "-12345"]
        ),
        st.text(max_size=12).filter(lambda s: not re.fullmatch(r"\s*[0-9]{6}\s*", s)),
        st.just(MISSING),
    )
    options = [field("code", bad_text(20, required=True)), field("pin", bad_pins)]

    @FUZZ
    @given(changes=bad_form(options))
    @regressions({"pin": "١٢٣٤٥٦"}, {"code": "KC2026\x00"})  # a counted wrong PIN; English
    def check(changes):
        response, before, after = attempt(state, lambda: client.post(url, post_data(good, changes)))
        assert_refused(response, changes, "form")
        assert 'id="result"' not in response.content.decode()
        assert before == after, changes  # not even counted as a wrong PIN

    check()


def test_public_lookup_of_an_unknown_code_answers_404_with_the_reason(w):
    drive(w, complete_proposal(w), "lodge")
    client = Client()
    url = reverse("public_lookup")

    @FUZZ
    @given(
        code=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\x00" not in s),
        pin=st.from_regex(r"[0-9]{6}", fullmatch=True),
    )
    def check(code, pin):
        # Each example is a first try, never the lock after ten.
        cache.delete_many(portal._counter_keys(code.strip().upper(), "127.0.0.1"))
        response, before, after = attempt(
            lambda: TransitionEvent.objects.count(), lambda: client.post(url, {"code": code, "pin": pin})
        )
        assert response.status_code == 404, (code, response.status_code)
        page = response.content.decode()
        assert 'id="lookup-error"' in page and escape("Mã hồ sơ hoặc mã PIN không đúng") in page
        assert 'id="result"' not in page
        assert before == after

    check()


# --- the same plan-year check in the API ------------------------------------------------------------------------


def test_the_api_refuses_plan_years_outside_the_constraint_with_a_400(w):
    """The editor's plan-year check is shared with the API, where a year outside 2000–2100 was a 500 (the
    database's constraint) on create and on PATCH."""
    p = complete_proposal(w)
    client = client_for(w.user("applicant"))

    def state():
        return (
            Proposal.objects.count(),
            Proposal.objects.filter(pk=p.pk).values(*DOSSIER_FIELDS, "updated_at").get(),
            TransitionEvent.objects.count(),
        )

    @FUZZ
    @given(
        year=st.one_of(
            st.integers(min_value=0, max_value=1999),
            st.integers(min_value=2101, max_value=32767),
            st.integers(max_value=-1),
            st.integers(min_value=32768, max_value=2**70),
        ),
        create=st.booleans(),
    )
    @example(year=1999, create=False)
    @example(year=2101, create=True)
    def check(year, create):
        def send():
            if create:
                body = {"title": "Đề án qua API", "plan_year": year, "funding_kind": "local"}
                body |= {"content_type": "machinery", "sector": "a", "province": w.province.pk}
                return client.post("/api/proposals/", body, content_type="application/json")
            url = f"/api/proposals/{p.pk}/"
            return client.patch(url, {"plan_year": year}, content_type="application/json")

        response, before, after = attempt(state, send)
        assert response.status_code == 400, (year, create, response.status_code)
        error = response.json()["error"]
        assert error["code"] == "invalid" and error["fields"]["plan_year"] == [
            "Năm kế hoạch phải từ 2000 đến 2100."
        ]
        assert before == after

    check()
