"""Forms of the action screens. Each form only reads input; ``to_data()`` gives the step data the
transition service checks again."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow.models import Appraisal
from workflow.services.steps import MONEY_TEXT

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from core.models import User

MONEY = {"min_value": 0, "max_value": 10**13}
TEXT_MAX = 5000  # a comment, reason or opinion (the API's limit too)
_SPACES = re.compile(
    r"[\u00a0\u202f]"
)  # no-break spaces, as format_vnd and browsers' number formats write them


class MoneyField(forms.IntegerField):
    """Integer đồng; accepts 1.234.567 or 1 234 567 as typed by people (and a trailing ₫)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    default_error_messages = {"invalid": _("Nhập số tiền bằng chữ số (số nguyên đồng), ví dụ 1.500.000.")}

    def __init__(self, **kwargs):
        # Bounded above as well: a number beyond the database column would otherwise be a server error.
        for key, value in MONEY.items():
            kwargs.setdefault(key, value)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            text = _SPACES.sub(" ", value).strip().removesuffix("₫").strip()
            if text:
                # The API's grammar (workflow/services/steps.py): ASCII digits, grouped by threes with one kind of
                # separator. Other scripts' digits (١٢٣), "1,5" or "12.34.56" are refused, not read as some number.
                if not MONEY_TEXT.fullmatch(text):
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
                text = text.replace(".", "").replace(" ", "")
            value = text
        return super().to_python(value)


_QUANTITY = re.compile(r"[0-9]+(?:[.,][0-9]+)?|[0-9]{1,3}(?:([.,])[0-9]{3})+(?:(?!\1)[.,][0-9]+)?", re.ASCII)


class QuantityField(forms.DecimalField):
    """A localised decimal (1,5 or 1.234,5 in Vietnamese), ASCII digits only and thousands grouped by threes:
    "12.34.56,7" or "١٢" are refused rather than read as 123456,7 or 12."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not _QUANTITY.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ActionForm(forms.Form):
    """Base: the status the user saw, so a concurrent change is reported as a conflict."""

    expected_status = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Ý kiến"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def to_data(self) -> dict:
        return {}


class ReasonForm(ActionForm):
    comment = forms.CharField(
        label=_("Lý do (đơn vị đề nghị sẽ đọc được)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class EndorseForm(ActionForm):
    comment = forms.CharField(
        label=_("Ý kiến đề xuất của cấp huyện/xã"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AppraiseForm(ActionForm):
    verdict = forms.ChoiceField(
        label=_("Kết luận thẩm định"), choices=Appraisal.Verdict.choices, widget=forms.RadioSelect
    )
    policy_fit = forms.CharField(
        label=Appraisal._meta.get_field("opinion_policy_fit").verbose_name,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    objectives_budget = forms.CharField(
        label=Appraisal._meta.get_field("opinion_objectives_budget").verbose_name,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    capacity = forms.CharField(
        label=Appraisal._meta.get_field("opinion_capacity").verbose_name,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    integration = forms.CharField(
        label=Appraisal._meta.get_field("opinion_integration").verbose_name,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    dossier = forms.CharField(
        label=Appraisal._meta.get_field("opinion_dossier").verbose_name,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    score = forms.IntegerField(label=_("Điểm (không bắt buộc)"), required=False, min_value=0, max_value=100)
    recommended_amount = MoneyField(label=_("Kinh phí đề nghị hỗ trợ (đồng)"))

    def to_data(self) -> dict:
        d = self.cleaned_data
        return {
            "verdict": d["verdict"],
            "score": d["score"],
            "recommended_amount": d["recommended_amount"],
            "opinions": {
                k: d[k] for k in ("policy_fit", "objectives_budget", "capacity", "integration", "dossier")
            },
        }


class VerifyForm(ActionForm):
    national_amount = MoneyField(label=_("Nguồn khuyến công quốc gia (đồng)"))
    local_amount = MoneyField(label=_("Nguồn khuyến công địa phương (đồng)"))

    def to_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("national_amount", "local_amount")}


class ApproveForm(ActionForm):
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=50)
    decision_date = forms.DateField(
        label=_("Ngày quyết định"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = MoneyField(
        label=_("Kinh phí phê duyệt (đồng)"),
        required=False,
        help_text=_("Để trống: bằng kinh phí Sở Tài chính thẩm tra."),
    )

    def to_data(self) -> dict:
        d = self.cleaned_data
        return {
            "decision_number": d["decision_number"],
            "decision_date": d["decision_date"].isoformat(),
            "amount": d["amount"],
        }


class CountField(forms.IntegerField):
    """A whole number of people or things, in ASCII digits (Django's IntegerField would read "١٢" as 12)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError(_("Hãy nhập số bằng chữ số 0–9."), code="invalid")
        return super().to_python(value)


def _achieved_field(label: StrOrPromise) -> CountField:
    return CountField(label=label, required=False, min_value=0, max_value=10**9)


class AcceptForm(ActionForm):
    accepted_on = forms.DateField(label=_("Ngày nghiệm thu"), widget=forms.DateInput(attrs={"type": "date"}))
    results = forms.CharField(
        label=_("Kết quả so với mục tiêu"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    # What the minutes record as achieved, per indicator of the quarterly report (empty: not recorded).
    achieved_learners = _achieved_field(_("Số học viên đạt được"))
    achieved_models = _achieved_field(_("Số mô hình đạt được"))
    achieved_machines = _achieved_field(_("Số cơ sở được hỗ trợ máy móc đạt được"))
    achieved_fairs = _achieved_field(_("Số hội chợ đạt được"))
    achieved_products = _achieved_field(_("Số sản phẩm được công nhận đạt được"))

    def to_data(self) -> dict:
        achieved = {
            name.removeprefix("achieved_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("achieved_") and value is not None
        }
        return {
            "accepted_on": self.cleaned_data["accepted_on"].isoformat(),
            "results": self.cleaned_data["results"],
            **({"achieved": achieved} if achieved else {}),
        }


class SettleForm(ActionForm):
    national_amount = MoneyField(label=_("Quyết toán nguồn quốc gia (đồng)"))
    local_amount = MoneyField(label=_("Quyết toán nguồn địa phương (đồng)"))
    counterpart_amount = MoneyField(label=_("Vốn đối ứng đã chi (đồng)"), required=False)

    def to_data(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("national_amount", "local_amount", "counterpart_amount")
            if k in self.cleaned_data
        }


def _date_field(label) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class ScanMixin(forms.Form):
    """The scan of the ministry side's document (PDF or image), attached at the step that records it."""

    document = forms.FileField(
        label=_("Bản chụp văn bản (không bắt buộc)"),
        required=False,
        help_text=_("PDF hoặc ảnh; lưu kèm đề án, mã băm ghi vào nhật ký."),
    )

    def scan(self) -> dict:
        return {"document": self.cleaned_data["document"]} if self.cleaned_data.get("document") else {}


class DocumentForm(ActionForm):
    """A document of the national track: its number and date (``prefix``), and an amount where it has one."""

    prefix = ""

    def to_data(self) -> dict:
        d = self.cleaned_data
        data = {f"{self.prefix}_number": d["number"], f"{self.prefix}_date": d["signed_on"].isoformat()}
        if "amount" in d:
            data["amount"] = d["amount"]
        if isinstance(self, ScanMixin):
            data |= self.scan()
        return data


class LetterForm(DocumentForm):
    prefix = "letter"
    number = forms.CharField(label=_("Số công văn gửi Bộ Công Thương"), max_length=50)
    signed_on = _date_field(_("Ngày công văn"))


class MinistryAppraisalForm(ScanMixin, DocumentForm):
    prefix = "appraisal"
    number = forms.CharField(label=_("Số văn bản thẩm định cấp Bộ"), max_length=50)
    signed_on = _date_field(_("Ngày văn bản"))
    amount = MoneyField(label=_("Kinh phí Bộ thẩm định (đồng)"))


class MinisterApproveForm(ScanMixin, ApproveForm):
    decision_number = forms.CharField(label=_("Số quyết định của Bộ trưởng"), max_length=50)
    amount = MoneyField(
        label=_("Kinh phí phê duyệt (đồng)"),
        required=False,
        help_text=_("Để trống: bằng kinh phí Bộ thẩm định."),
    )

    def to_data(self) -> dict:
        return super().to_data() | self.scan()


class ContractForm(ScanMixin, DocumentForm):
    prefix = "contract"
    number = forms.CharField(label=_("Số hợp đồng"), max_length=50)
    signed_on = _date_field(_("Ngày ký hợp đồng"))
    amount = MoneyField(
        label=_("Giá trị hợp đồng (đồng)"), required=False, help_text=_("Để trống: bằng kinh phí phê duyệt.")
    )


class NationalSettleForm(ScanMixin, SettleForm):
    liquidation_number = forms.CharField(label=_("Số biên bản thanh lý hợp đồng"), max_length=50)
    liquidation_date = _date_field(_("Ngày thanh lý hợp đồng"))

    def to_data(self) -> dict:
        return super().to_data() | {
            "liquidation_number": self.cleaned_data["liquidation_number"],
            "liquidation_date": self.cleaned_data["liquidation_date"].isoformat(),
            **self.scan(),
        }


class SettleFromMinutesForm(NationalSettleForm):
    local_amount = MoneyField(label=_("Quyết toán nguồn địa phương (đồng)"), required=False)
    # None removes the inherited field (Django's way); the stubs type it as the field only.
    counterpart_amount = None  # type: ignore[assignment]


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "district_submit": EndorseForm,
    "appraise": AppraiseForm,
    "verify_finance": VerifyForm,
    "approve": ApproveForm,
    "accept": AcceptForm,
    "settle": SettleForm,
    "return_for_revision": ReasonForm,
    "reject": ReasonForm,
    "stop": ReasonForm,
    "return_settlement": ReasonForm,
    "lodge": ActionForm,
    "withdraw": ActionForm,
    "send_to_ministry": LetterForm,
    "appraise_ministry": MinistryAppraisalForm,
    "contract": ContractForm,
    "settle_from_minutes": SettleFromMinutesForm,
}
# A national đề án's form where it differs from the local one of the same trigger.
NATIONAL_ACTION_FORMS: dict[str, type[ActionForm]] = {
    "approve": MinisterApproveForm,
    "settle": NationalSettleForm,
}


def action_form(trigger: str, track: str) -> type[ActionForm] | None:
    if track == "national" and trigger in NATIONAL_ACTION_FORMS:
        return NATIONAL_ACTION_FORMS[trigger]
    return ACTION_FORMS.get(trigger)


class ReassignForm(forms.Form):
    assignee: forms.ModelChoiceField[User] = forms.ModelChoiceField(label=_("Giao cho"), queryset=None)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates


class DelegateForm(forms.Form):
    substitute: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Người xử lý thay"), queryset=None
    )
    starts_on = forms.DateField(label=_("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Đến hết ngày"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = candidates


class RefundForm(forms.Form):
    """The Sở records that a refund a settlement left owing was paid back (workflow.services.implementation)."""

    paid_on = _date_field(_("Ngày nộp trả"))
    receipt = forms.CharField(label=_("Số chứng từ nộp trả"), max_length=100)
