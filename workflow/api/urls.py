from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("track/<str:code>/", views.TrackView.as_view(), name="api-track"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the Content-Security-Policy needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
