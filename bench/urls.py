"""The project's URLs plus the B5 baseline: a trivial Django view served by the same gunicorn."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urls


def ping(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/ping/", ping), *project_urls]
