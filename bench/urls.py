"""The project's URLs plus the B5 baselines, served by the same gunicorn: a trivial Django view, and a view that
only reads who is signed in (the session and the user with their roles, what every staff page does first)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urls


def ping(request):
    return HttpResponse(b"ok", content_type="text/plain")


def signed_in(request):
    user = request.user
    known = user.is_authenticated and bool(user.role_names)
    return HttpResponse(user.get_username().encode() if known else b"", content_type="text/plain")


urlpatterns = [path("bench/ping/", ping), path("bench/signed-in/", signed_in), *project_urls]
