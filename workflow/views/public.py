"""The public lookup at /tra-cuu/: tracking code + PIN → public status, timeline, holder and deadline. No login,
nothing private, wrong PINs rate limited (workflow.services.portal.lookup). The same answer as JSON at
/tra-cuu/json/."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from core.errors import RETRY_AFTER_SECONDS
from workflow.forms_portal import LookupForm
from workflow.services.portal import LookupFailed, LookupRefused, LookupUnavailable, lookup

from .common import client_ip


def unavailable_retry(response):
    """While the cache that counts wrong PINs is down the lookup is a 503: say when to try again."""
    if response.status_code == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@method_decorator(never_cache, name="dispatch")
class PublicLookupView(View):
    template_name = "portal/lookup.html"

    def get(self, request):
        code = request.GET.get("ma", "").strip()[:20]
        return render(request, self.template_name, {"form": LookupForm(initial={"code": code})})

    def post(self, request):
        form = LookupForm(request.POST)
        result, error, status = None, "", 200
        if form.is_valid():
            try:
                result = lookup(
                    form.cleaned_data["code"],
                    form.cleaned_data["pin"],
                    ip=client_ip(request),
                    now=timezone.now(),
                )
            except (LookupFailed, LookupRefused, LookupUnavailable) as exc:
                error, status = exc.message, exc.status
        else:
            status = 400
        response = render(
            request,
            self.template_name,
            {
                "form": LookupForm(initial={"code": request.POST.get("code", "")}) if result else form,
                "result": result,
                "error": error,
            },
            status=status,
        )
        return unavailable_retry(response)


@method_decorator(never_cache, name="dispatch")
class PublicLookupJsonView(View):
    """GET ?ma=<tracking code>&pin=<PIN> → the public status as JSON; errors as {"error", "message"}."""

    def get(self, request):
        try:
            data = lookup(
                request.GET.get("ma", ""),
                request.GET.get("pin", ""),
                ip=client_ip(request),
                now=timezone.now(),
            )
        except (LookupFailed, LookupRefused, LookupUnavailable) as exc:
            return unavailable_retry(
                JsonResponse(
                    {"error": exc.code, "message": exc.message},
                    status=exc.status,
                    json_dumps_params={"ensure_ascii": False},
                )
            )
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
