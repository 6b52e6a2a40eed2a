"""Turn an outbox row's template code and context into the subject, body and SMS text a person reads."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine, Template
from django.utils import translation
from django.utils.translation import gettext as _

from core.calendar import VN_TZ
from core.config_cache import cached
from core.money import format_vnd

from .models import Language, MessageTemplate

# Plain text: no HTML escaping. Administrators who edit templates are trusted; contexts are our own data.
ENGINE = Engine(autoescape=False)

# Context keys that are secrets: shown to the recipient, masked in the delivery log and once delivered.
SECRET_KEYS = ("pin",)
MASK = "••••••"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


def local_datetime(value: dt.datetime | None) -> str:
    """``17:00 02/03/2027`` in Asia/Ho_Chi_Minh, for message contexts."""
    return value.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if value else ""


def local_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def money(amount: int | None) -> str:
    return format_vnd(amount) if amount is not None else ""


def masked(context: dict) -> dict:
    return {k: (MASK if k in SECRET_KEYS and v else v) for k, v in context.items()}


def templates() -> dict[str, MessageTemplate]:
    """Every message template by code (a per-process copy: an admin edit is seen within CONFIG_CACHE_SECONDS)."""
    return cached("message_templates", lambda: {t.code: t for t in MessageTemplate.objects.all()})


def render(
    code: str,
    context: dict,
    *,
    language: str = Language.VI,
    recipient_name: str = "",
    template: MessageTemplate | None = None,
) -> Rendered:
    """Render template ``code`` in ``language``; English parts left blank fall back to the Vietnamese ones."""
    if template is None:
        template = templates().get(code)
    values = {
        **context,
        "site_url": settings.NOTIFICATIONS["SITE_URL"].rstrip("/"),
        "recipient_name": recipient_name,
    }
    with translation.override(language):
        if template is None:
            subject, body, sms = _fallback()
        else:
            english = language == Language.EN
            subject = (english and template.subject_en) or template.subject_vi
            body = (english and template.body_en) or template.body_vi
            sms = (english and template.sms_en) or template.sms_vi
        ctx = Context(values)
        return Rendered(
            subject=_one_line(_compiled(subject).render(ctx)),
            body=_compiled(body).render(ctx).strip() + "\n",
            sms=_one_line(_compiled(sms).render(ctx)),
        )


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """A template's text compiled once per process (keyed by the text, so an edit compiles anew)."""
    return ENGINE.from_string(source)


def _one_line(text: str) -> str:
    # Not str.split(): it would also break the no-break space inside "280.000.000 ₫".
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _fallback() -> tuple[str, str, str]:
    """Used when an event has no template row (deleted in admin): still tell the person something useful."""
    subject = _("Khuyến công: thông báo về đề án {{ tracking_code }}")
    body = _(
        "Kính gửi {{ recipient_name }},\n\nĐề án {{ tracking_code }} — {{ title }} có thông tin mới. "
        "Vui lòng đăng nhập {{ site_url }} để xem chi tiết."
    )
    sms = _("Khuyến công: đề án {{ tracking_code }} có thông tin mới. Xem tại {{ site_url }}")
    return subject, body, sms


def render_digest(items: list[Rendered], *, language: str, day: dt.date, recipient_name: str) -> Rendered:
    """One message gathering a day's notifications: the email lists each one; the SMS counts them."""
    with translation.override(language):
        subject = _("Khuyến công: %(count)s thông báo ngày %(day)s") % {
            "count": len(items),
            "day": local_date(day),
        }
        parts = [
            _("Kính gửi %(name)s,") % {"name": recipient_name},
            "",
            _("Bản tổng hợp %(count)s thông báo của hệ thống khuyến công:") % {"count": len(items)},
        ]
        for n, item in enumerate(items, 1):
            parts += ["", f"{n}. {item.subject}", "", item.body.strip()]
        sms = _("Khuyến công: bạn có %(count)s thông báo mới: %(subjects)s") % {
            "count": len(items),
            "subjects": "; ".join(item.sms for item in items),
        }
        return Rendered(subject=subject, body="\n".join(parts) + "\n", sms=sms[:SMS_MAX])


SMS_MAX = 480  # three concatenated GSM-7 segments


def sms_text(text: str) -> str:
    """Unaccented when settings.SMS_ASCII (the default): Vietnamese with diacritics is sent as UCS-2, 70
    characters a segment, so an accented message costs two to three times as much."""
    if not settings.SMS_ASCII:
        return text[:SMS_MAX]
    text = text.replace("đ", "d").replace("Đ", "D").replace("₫", "d").replace("\u00a0", " ")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return plain.encode("ascii", "ignore").decode()[:SMS_MAX]
