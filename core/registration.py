"""Self-registration of an applicant organisation and its first user, confirmed by email.

The account stays inactive until the emailed link is opened (a one-time token: it stops working once the
account is active). Colleagues join later through the portal's member page; all users of one organisation
share its đề án.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import AdministrativeUnit, Organisation, User
from .roles import Role
from .validators import normalise_vn_mobile


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Django's token generator, bound to the account's active flag: a used link cannot be replayed."""

    key_salt = "khuyencong.registration.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


activation_token = ActivationTokenGenerator()


@dataclass(frozen=True)
class OrganisationData:
    name: str
    kind: str
    tax_code: str
    address_unit: AdministrativeUnit
    address: str
    representative: str
    phone: str
    email: str


def register_applicant(
    *,
    org: OrganisationData,
    username: str,
    full_name: str,
    password: str,
    link_for: Callable[[str, str], str],
) -> User:
    """Create the organisation and its first user (inactive, group "applicant") and email the confirmation
    link after commit. ``link_for(uidb64, token)`` gives the absolute link. Raises ValidationError."""
    phone = normalise_vn_mobile(org.phone)
    with transaction.atomic():
        if Organisation.objects.filter(tax_code=org.tax_code).exists():
            raise ValidationError(
                {
                    "tax_code": _(
                        "Mã số thuế này đã được đăng ký. Nếu bạn làm cùng tổ chức, hãy nhờ "
                        "người đã đăng ký thêm bạn trong mục “Thành viên”."
                    )
                }
            )
        organisation = Organisation(
            name=org.name.strip(),
            kind=org.kind,
            tax_code=org.tax_code,
            address_unit=org.address_unit,
            address=org.address.strip(),
            representative=org.representative.strip(),
            phone=phone,
            email=org.email,
        )
        organisation.full_clean()
        organisation.save()
        user = User(
            username=username,
            email=org.email,
            first_name=full_name.strip(),
            organisation=organisation,
            phone=phone,
            is_active=False,
        )
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get_or_create(name=Role.APPLICANT)[0])
        link = link_for(urlsafe_base64_encode(force_bytes(user.pk)), activation_token.make_token(user))
        transaction.on_commit(lambda: _send_activation(user, link))
    return user


def _send_activation(user: User, link: str) -> None:
    context = {"user": user, "link": link, "organisation": user.organisation}
    send_mail(
        subject=_("Khuyến công: xác nhận địa chỉ thư điện tử"),
        message=render_to_string("registration/activation_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def activate(uidb64: str, token: str) -> User | None:
    """Open the account whose confirmation link this is; None when the link is wrong, expired or used."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=pk, is_active=False).first()
        if user is None or not activation_token.check_token(user, token):
            return None
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def invite_member(
    *, inviter: User, username: str, full_name: str, email: str, link_for: Callable[[str, str], str]
) -> User:
    """An active user of an organisation adds a colleague: the account is active without a password and the
    colleague sets one through the emailed password-setting link."""
    from django.contrib.auth.tokens import default_token_generator

    if not (inviter.is_active and inviter.organisation_id and inviter.has_role(Role.APPLICANT)):
        raise ValidationError(_("Chỉ thành viên của tổ chức mới thêm được thành viên."))
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("Tên đăng nhập này đã có người dùng.")})
        user = User(
            username=username,
            email=email,
            first_name=full_name.strip(),
            organisation_id=inviter.organisation_id,
        )
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get_or_create(name=Role.APPLICANT)[0])
        link = link_for(urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user))
        organisation = inviter.organisation
        if organisation is None:  # not so: organisation_id was checked above
            raise ValidationError(_("Chỉ thành viên của tổ chức mới thêm được thành viên."))
        context = {"user": user, "inviter": inviter, "link": link, "organisation": organisation}
        transaction.on_commit(
            lambda: send_mail(
                subject=_("Khuyến công: bạn được thêm vào tổ chức %(org)s") % {"org": organisation.name},
                message=render_to_string("registration/invitation_email.txt", context),
                from_email=None,
                recipient_list=[email],
            )
        )
    return user
