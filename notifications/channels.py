"""Delivery channels: email through Django's email backend (EMAIL_URL), SMS through the backend SMS_URL names.

A channel sends one rendered message or raises ``DeliveryError``; ``retryable`` says whether trying again later
may help. Channels know nothing of the outbox.
"""

from __future__ import annotations

import json
import logging
import smtplib
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    reference: str  # the outbox key: lets a gateway drop a duplicate


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def send_email(message: Message) -> None:
    try:
        sent = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"X-Khuyencong-Ref": message.reference},
        ).send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise DeliveryError(f"SMTP: {exc}", retryable=False) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc
    if sent != 1:
        raise DeliveryError("SMTP: the backend did not accept the message")


class ConsoleSms:
    """Development (``make run``): the message is printed, like Django's console email backend."""

    def send(self, message: Message) -> None:
        sys.stdout.write(f"SMS to {message.to} [{message.reference}]\n{message.body}\n{'-' * 79}\n")
        sys.stdout.flush()


class HttpGatewaySms:
    """POST ``{"to", "text", "sender", "reference"}`` as JSON with a bearer token; any non-2xx answer is retryable."""

    def __init__(self, url: str, *, token: str, sender: str, timeout: float) -> None:
        parts = urlsplit(url)
        userinfo_token = unquote(parts.username or "") if parts.username else ""
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        self.url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        self.token = userinfo_token or token
        self.sender = sender
        self.timeout = timeout

    def send(self, message: Message) -> None:
        payload = json.dumps(
            {"to": message.to, "text": message.body, "sender": self.sender, "reference": message.reference},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310 - http(s) only, checked in sms_backend()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            raise DeliveryError(
                f"SMS gateway HTTP {exc.code}: {detail}" if detail else f"SMS gateway HTTP {exc.code}"
            ) from exc
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"SMS gateway unreachable: {getattr(exc, 'reason', exc)}") from exc


def sms_backend() -> ConsoleSms | HttpGatewaySms:
    """The backend named by settings.SMS_URL (read at call time, so tests and deployments can change it)."""
    url = settings.SMS_URL
    scheme = urlsplit(url).scheme
    if scheme == "console":
        return ConsoleSms()
    if scheme in ("http", "https"):
        return HttpGatewaySms(
            url, token=settings.SMS_TOKEN, sender=settings.SMS_SENDER, timeout=settings.SMS_TIMEOUT
        )
    raise DeliveryError(
        f"SMS_URL scheme {scheme!r} is not supported (console://, http://, https://)", retryable=False
    )


def send_sms(message: Message) -> None:
    sms_backend().send(message)


SENDERS = {"email": send_email, "sms": send_sms}
