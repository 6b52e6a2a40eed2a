"""Forms of the applicant portal and the public lookup. They only read and check input; the services in
workflow/services/portal.py check again and write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypedDict, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.calendar import VN_TZ
from core.models import AdministrativeUnit
from workflow.forms import TEXT_MAX, MoneyField, QuantityField
from workflow.models import FundingSource, Proposal
from workflow.models.choices import APPLICANT_KINDS
from workflow.services.portal import ALLOWED_TYPES_TEXT, BudgetLineData, VoucherData, WorkItemData
from workflow.validation import PLAN_YEAR_MAX, PLAN_YEAR_MIN, validate_plan_year

# Dates an applicant types (work items, report months, completion, vouchers) fall within the plan years the
# database allows: 0001-01-01 or 9999-12-31 parse as dates but are typing mistakes, never a đề án's dates.
DATE_MIN, DATE_MAX = dt.date(PLAN_YEAR_MIN, 1, 1), dt.date(PLAN_YEAR_MAX, 12, 31)
SECTION_MAX = 20_000  # characters in one of the eight sections (some pages); the comments' limit is TEXT_MAX


def validate_date_range(value: dt.date) -> None:
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            _("Ngày phải trong khoảng từ %(start)s đến %(end)s."),
            code="date_range",
            params={"start": DATE_MIN.strftime("%d/%m/%Y"), "end": DATE_MAX.strftime("%d/%m/%Y")},
        )


class DateOptions(TypedDict):
    widget: forms.Widget
    validators: list[Callable[[Any], None]]


DATE: DateOptions = {
    "widget": forms.DateInput(
        attrs={"type": "date", "min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}, format="%Y-%m-%d"
    ),
    "validators": [validate_date_range],
}


def _bound_plan_year(form: forms.ModelForm) -> None:
    # Instead of the model field's 0–32767 and the constraint's English message, the plan years allowed.
    field = form.fields["plan_year"]
    field.validators = [validate_plan_year]
    field.widget.attrs.update(min=PLAN_YEAR_MIN, max=PLAN_YEAR_MAX)


def location_units(on: dt.date):
    """Communes and districts valid on ``on`` (the 2025 reform ends districts on 30/6/2025)."""
    return (
        AdministrativeUnit.objects.filter(level__in=["district", "commune"])
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("parent")
        .order_by("parent__name", "level", "name")
    )


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} — {obj.parent.name}" if obj.parent_id else obj.name


def location_changes(unit: AdministrativeUnit | None) -> dict:
    """The đề án's location fields from one chosen commune or district."""
    if unit is None:
        return {}
    if unit.level == "commune":
        district = unit.parent if unit.parent and unit.parent.level == "district" else None
        return {"commune": unit, "district": district, "province": unit.province}
    return {"district": unit, "commune": None, "province": unit.province}


GENERAL_FIELDS = [
    "title",
    "plan_year",
    "funding_kind",
    "content_type",
    "sector",
    "is_pilot",
    "is_group",
    "priority_area",
    "priority_sector",
    "is_production_line",
    "location_detail",
]
SECTION_FIELDS = [
    "partners",
    "need",
    "objectives",
    "scale",
    "content_plan",
    "budget_note",
    "organisation_plan",
    "effectiveness",
]
TARGET_FIELDS = ["target_learners", "target_models", "target_machines", "target_fairs", "target_products"]
# What the applicant declares for the eligibility check at lodging (workflow/eligibility.py).
ELIGIBILITY_FIELDS = [
    "beneficiary_capital",
    "beneficiary_workers",
    "brick_kiln_technology",
    "counterpart_committed",
    "no_other_state_support",
]


class ProposalStartForm(forms.ModelForm):
    location = UnitChoiceField(
        label=_("Địa bàn thực hiện (xã hoặc huyện)"), queryset=AdministrativeUnit.objects.none()
    )

    class Meta:
        model = Proposal
        fields = ["title", "plan_year", "funding_kind", "content_type", "sector"]

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        cast(UnitChoiceField, self.fields["location"]).queryset = location_units(today)
        self.fields["plan_year"].initial = today.year + 1
        _bound_plan_year(self)

    def to_fields(self) -> dict:
        d = self.cleaned_data
        return {**{k: d[k] for k in self.Meta.fields}, **location_changes(d["location"])}


class DossierForm(forms.ModelForm):
    """The general information and the eight sections of the đề án (TT 36/2013 Điều 5)."""

    location = UnitChoiceField(
        label=_("Địa bàn thực hiện (xã hoặc huyện)"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    # Typed as people type money (1.234.567), within the money bounds of the other amounts.
    beneficiary_capital = MoneyField(
        label=capfirst(Proposal._meta.get_field("beneficiary_capital").verbose_name),
        help_text=Proposal._meta.get_field("beneficiary_capital").help_text,
        required=False,
    )

    class Meta:
        model = Proposal
        fields = GENERAL_FIELDS + ELIGIBILITY_FIELDS + SECTION_FIELDS + TARGET_FIELDS
        widgets = {f: forms.Textarea(attrs={"rows": 4}) for f in SECTION_FIELDS}

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        cast(UnitChoiceField, self.fields["location"]).queryset = location_units(today)
        _bound_plan_year(self)
        for name in SECTION_FIELDS:
            self.fields[name].validators.append(MaxLengthValidator(SECTION_MAX))
        p = self.instance
        if p and p.pk and not self.is_bound:
            self.initial["location"] = p.commune_id or p.district_id

    def to_fields(self) -> dict:
        d = self.cleaned_data
        return {**{k: d[k] for k in self.Meta.fields}, **location_changes(d.get("location"))}


class WorkItemForm(forms.Form):
    title = forms.CharField(label=_("Nội dung công việc"), max_length=255)
    starts_on = forms.DateField(label=_("Bắt đầu"), **DATE)
    ends_on = forms.DateField(label=_("Kết thúc"), **DATE)
    responsible = forms.CharField(label=_("Người / đơn vị thực hiện"), max_length=255, required=False)

    def clean(self):
        d = super().clean()
        if d.get("starts_on") and d.get("ends_on") and d["ends_on"] < d["starts_on"]:
            self.add_error("ends_on", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return d


class BudgetLineForm(forms.Form):
    item = forms.CharField(label=_("Nội dung chi"), max_length=255)
    unit = forms.CharField(label=_("Đơn vị tính"), max_length=40, required=False)
    quantity = QuantityField(
        label=_("Số lượng"), max_digits=12, decimal_places=2, min_value=0.01, initial=1, localize=True
    )
    unit_price = MoneyField(label=_("Đơn giá (đồng)"), required=False)
    national_amount = MoneyField(
        label=_("KC quốc gia (đồng)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "data-source": "national"}),
    )
    local_amount = MoneyField(
        label=_("KC địa phương (đồng)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "data-source": "local"}),
    )
    counterpart_amount = MoneyField(
        label=_("Đối ứng, khác (đồng)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "data-source": "counterpart"}),
    )


class RowsFormSet(forms.BaseFormSet):
    """A table of rows whose hidden counters a browser never sends negative: a negative TOTAL_FORMS or
    INITIAL_FORMS (which Django's management form lets through; -1 rows would have saved an empty table) means
    the page was tampered with, and nothing is saved."""

    def clean(self):
        super().clean()
        if self.total_form_count() < 0 or self.initial_form_count() < 0:
            raise forms.ValidationError(
                _("Số dòng của bảng gửi lên không hợp lệ; hãy tải lại trang và nhập lại."), code="rows"
            )


# absolute_max = max_num: a tampered TOTAL_FORMS (5000) is refused at 200 rows; Django's default (max_num + 1000)
# built and re-rendered 1,200 rows, five seconds of a worker per request.
WorkItemFormSet = forms.formset_factory(
    WorkItemForm, formset=RowsFormSet, extra=1, can_delete=True, max_num=200, absolute_max=200
)
BudgetLineFormSet = forms.formset_factory(
    BudgetLineForm, formset=RowsFormSet, extra=1, can_delete=True, max_num=200, absolute_max=200
)


def _kept(formset) -> list[dict]:
    """Rows to keep: filled in and not marked for deletion (untouched blank rows have no cleaned data)."""
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def work_items_from(formset) -> list[WorkItemData]:
    return [
        WorkItemData(d["title"], d["starts_on"], d["ends_on"], d.get("responsible") or "")
        for d in _kept(formset)
    ]


def budget_lines_from(formset) -> list[BudgetLineData]:
    return [
        BudgetLineData(
            d["item"],
            d.get("unit") or "",
            d["quantity"],
            d.get("unit_price") or 0,
            d.get("national_amount") or 0,
            d.get("local_amount") or 0,
            d.get("counterpart_amount") or 0,
        )
        for d in _kept(formset)
    ]


def work_item_initial(proposal: Proposal) -> list[dict]:
    return [
        {"title": w.title, "starts_on": w.starts_on, "ends_on": w.ends_on, "responsible": w.responsible}
        for w in proposal.work_items.all()
    ]


def budget_line_initial(proposal: Proposal) -> list[dict]:
    return [
        {
            "item": b.item,
            "unit": b.unit,
            "quantity": b.quantity,
            "unit_price": b.unit_price,
            "national_amount": b.national_amount,
            "local_amount": b.local_amount,
            "counterpart_amount": b.counterpart_amount,
        }
        for b in proposal.budget_lines.all()
    ]


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại tài liệu"), choices=[("", "—"), *APPLICANT_KINDS])
    file = forms.FileField(label=_("Tệp"), help_text=ALLOWED_TYPES_TEXT)


class ProgressReportForm(forms.Form):
    period = forms.DateField(label=_("Tháng báo cáo (chọn một ngày bất kỳ trong tháng)"), **DATE)
    percent_complete = forms.IntegerField(label=_("Khối lượng hoàn thành (%)"), min_value=0, max_value=100)
    summary = forms.CharField(
        label=_("Tình hình thực hiện trong tháng"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AdvanceForm(forms.Form):
    amount = MoneyField(label=_("Số tiền đề nghị tạm ứng (đồng)"), min_value=1)
    note = forms.CharField(
        label=_("Ghi chú"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompletionForm(forms.Form):
    finished_on = forms.DateField(label=_("Ngày hoàn thành"), **DATE)
    percent_complete = forms.IntegerField(
        label=_("Khối lượng hoàn thành (%)"), min_value=0, max_value=100, initial=100
    )
    results = forms.CharField(
        label=_("Kết quả đạt được so với mục tiêu"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class SettlementForm(forms.Form):
    national_spent = MoneyField(label=_("Đã chi nguồn khuyến công quốc gia (đồng)"), required=False)
    local_spent = MoneyField(label=_("Đã chi nguồn khuyến công địa phương (đồng)"), required=False)
    counterpart_spent = MoneyField(label=_("Đã chi vốn đối ứng và nguồn khác (đồng)"), required=False)
    note = forms.CharField(
        label=_("Thuyết minh"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class VoucherForm(forms.Form):
    number = forms.CharField(label=_("Số chứng từ"), max_length=60)
    issued_on = forms.DateField(label=_("Ngày"), **DATE)
    description = forms.CharField(label=_("Nội dung chi"), max_length=255)
    # A blank first choice: an untouched row of the table stays blank (and is skipped) instead of sending the
    # first source, which made the browser's spare rows fail as half-filled.
    source = forms.ChoiceField(label=_("Nguồn"), choices=[("", "—")] + list(FundingSource.choices))
    amount = MoneyField(label=_("Số tiền (đồng)"), min_value=1)


VoucherFormSet = forms.formset_factory(
    VoucherForm, formset=RowsFormSet, extra=3, can_delete=True, max_num=500, absolute_max=500
)


def vouchers_from(formset) -> list[VoucherData]:
    return [
        VoucherData(d["number"], d["issued_on"], d["description"], d["source"], d["amount"])
        for d in _kept(formset)
    ]


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "KC2026-000123"}),
    )
    pin = forms.RegexField(
        label=_("Mã PIN (6 chữ số)"),
        regex=r"^\s*[0-9]{6}\s*$",  # ASCII digits: other scripts' digits are never a PIN
        max_length=12,
        error_messages={"invalid": _("Mã PIN gồm đúng 6 chữ số, in trên giấy biên nhận.")},
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def today_local(now: dt.datetime) -> dt.date:
    return now.astimezone(VN_TZ).date()
