"""Sign-up of an applicant organisation with email confirmation, and adding colleagues to it. Thin views over
core/registration.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from .calendar import VN_TZ
from .models import AdministrativeUnit, Organisation, User
from .registration import OrganisationData, activate, invite_member, register_applicant
from .roles import Role
from .validators import normalise_vn_mobile, validate_tax_code

# The user's email column (254 characters): a longer address, which the form's EmailField would take (320),
# could not be stored.
EMAIL_MAX = User._meta.get_field("email").max_length
USERNAME_TAKEN = _("Tên đăng nhập này đã có người dùng; hãy chọn tên khác.")


def _check_username_free(username: str) -> str:
    # Case-insensitive, as at sign-up: "Lan" next to "lan" would be two accounts a reader cannot tell apart.
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(USERNAME_TAKEN)
    return username


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} — {obj.parent.name}" if obj.parent_id else obj.name


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Tên tổ chức / hộ kinh doanh"), max_length=255)
    kind = forms.ChoiceField(label=_("Loại hình"), choices=Organisation.Kind.choices)
    tax_code = forms.CharField(
        label=_("Mã số thuế"),
        max_length=16,
        validators=[validate_tax_code],
        help_text=_("10 chữ số (chi nhánh: thêm “-” và 3 chữ số) hoặc 12 chữ số định danh."),
    )
    address_unit = UnitField(
        label=_("Xã / phường (hoặc huyện) nơi đặt cơ sở"), queryset=AdministrativeUnit.objects.none()
    )
    address = forms.CharField(label=_("Địa chỉ (số nhà, thôn/ấp)"), max_length=255, required=False)
    representative = forms.CharField(label=_("Người đại diện"), max_length=120)
    phone = forms.CharField(label=_("Số di động"), max_length=20, help_text=_("Ví dụ: 0912 345 678"))
    email = forms.EmailField(label=_("Thư điện tử"), max_length=EMAIL_MAX)
    full_name = forms.CharField(label=_("Họ và tên người dùng"), max_length=150)
    username = forms.RegexField(
        label=_("Tên đăng nhập"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Tên đăng nhập chỉ gồm chữ, số và các ký tự . @ + - _")},
    )
    password1 = forms.CharField(
        label=_("Mật khẩu"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Ít nhất 10 ký tự, không quá giống tên đăng nhập, không toàn chữ số."),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.now().astimezone(VN_TZ).date()
        self.fields["address_unit"].queryset = (
            AdministrativeUnit.objects.filter(level__in=["district", "commune"])
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .select_related("parent")
            .order_by("parent__name", "level", "name")
        )

    def clean_phone(self):
        return normalise_vn_mobile(self.cleaned_data["phone"])

    def clean_username(self):
        return _check_username_free(self.cleaned_data["username"])

    def clean_tax_code(self):
        tax_code = self.cleaned_data["tax_code"].strip()
        if Organisation.objects.filter(tax_code=tax_code).exists():
            raise ValidationError(
                _(
                    "Mã số thuế này đã được đăng ký. Nếu bạn làm cùng tổ chức, hãy nhờ người đã đăng "
                    "ký thêm bạn trong mục “Thành viên”."
                )
            )
        return tax_code

    def clean(self):
        d = super().clean()
        p1, p2 = d.get("password1"), d.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Hai lần nhập mật khẩu không giống nhau."))
        elif p1:
            probe = User(
                username=d.get("username") or "",
                email=d.get("email") or "",
                first_name=d.get("full_name") or "",
            )
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return d


def _link(request, name):
    return lambda uidb64, token: request.build_absolute_uri(reverse(name, args=[uidb64, token]))


class SignupView(View):
    template_name = "registration/signup.html"

    def get(self, request):
        return render(request, self.template_name, {"form": SignupForm()})

    def post(self, request):
        form = SignupForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            org = OrganisationData(
                d["name"],
                d["kind"],
                d["tax_code"],
                d["address_unit"],
                d.get("address") or "",
                d["representative"],
                d["phone"],
                d["email"],
            )
            try:
                register_applicant(
                    org=org,
                    username=d["username"],
                    full_name=d["full_name"],
                    password=d["password1"],
                    link_for=_link(request, "signup_activate"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return render(request, "registration/signup_done.html", {"email": d["email"]})
        return render(request, self.template_name, {"form": form}, status=400)


class ActivateView(View):
    def get(self, request, uidb64, token):
        user = activate(uidb64, token)
        return render(
            request, "registration/activation_result.html", {"activated": user}, status=200 if user else 400
        )


class MemberForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    username = forms.RegexField(
        label=_("Tên đăng nhập"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Tên đăng nhập chỉ gồm chữ, số và các ký tự . @ + - _")},
    )
    email = forms.EmailField(label=_("Thư điện tử"), max_length=EMAIL_MAX)

    def clean_username(self):
        return _check_username_free(self.cleaned_data["username"])


class MembersView(LoginRequiredMixin, View):
    """The users of my organisation, and adding a colleague (who sets a password from the emailed link)."""

    template_name = "registration/members.html"

    def _org(self, request):
        user = request.user
        if not (user.has_role(Role.APPLICANT) and user.organisation_id):
            raise Http404
        return user.organisation

    def _render(self, request, form, status=200):
        org = self._org(request)
        return render(
            request,
            self.template_name,
            {"org": org, "form": form, "members": org.members.order_by("username")},
            status=status,
        )

    def get(self, request):
        return self._render(request, MemberForm())

    def post(self, request):
        self._org(request)
        form = MemberForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                invite_member(
                    inviter=request.user,
                    username=d["username"],
                    full_name=d["full_name"],
                    email=d["email"],
                    link_for=_link(request, "password_reset_confirm"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Đã thêm %(name)s; thư hướng dẫn đặt mật khẩu đã được gửi tới %(email)s.")
                    % {"name": d["full_name"], "email": d["email"]},
                )
                return HttpResponseRedirect(reverse("members"))
        return self._render(request, form, status=400)
