from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import errors, views

router = SimpleRouter(trailing_slash=True)
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    # <path:…>: a code holding "/" is a code that does not exist (404), not an address the API lacks (401).
    path("track/<path:code>/", views.TrackView.as_view(), name="api-track"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the Content-Security-Policy needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    # Last: any other address under /api/ is a 404 in the API's error shape, not Django's HTML page.
    # (A prefix pattern: "^.*$" would miss a path holding a newline, %0A.)
    re_path(r"^", errors.NotFoundView.as_view(), name="api-not-found"),
]
