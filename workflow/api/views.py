"""The REST API: the same services and permission checks as the web interface, one error shape."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, UnsupportedMediaType, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.roles import Role
from workflow.lifecycle import NATIONAL_TRIGGERS, TRIGGERS, lifecycle_of
from workflow.models import Proposal, Task
from workflow.permissions import is_applicant_of, visible_proposals
from workflow.selectors import archive, history, inbox, queue
from workflow.services import tasks as task_services
from workflow.services.errors import NotPermitted
from workflow.services.proposals import create_proposal, update_dossier
from workflow.services.transitions import available_triggers, fire

from .serializers import (
    DOSSIER_FIELDS,
    EventSerializer,
    FireSerializer,
    ProposalDetailSerializer,
    ProposalFilterSerializer,
    ProposalSerializer,
    TaskSerializer,
    TriggerSerializer,
)

# (Every operation's error responses are added to the schema by workflow/api/schema.py, in the one error shape.)

INVALID_CURSOR = gettext_lazy("Con trỏ phân trang không hợp lệ.")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ById(CursorPagination):
    ordering = "-id"
    page_size = 50
    invalid_cursor_message = INVALID_CURSOR


class BySeq(CursorPagination):
    """A đề án's audit trail oldest first, a page at a time, in the shape of the other lists. The cursor holds the
    ``seq`` of the row next to the page; ``selectors.history`` reads the whole trail in one query (a thousand rows
    in a few milliseconds), so the page is cut from that list."""

    ordering = "seq"
    page_size = 100
    invalid_cursor_message = INVALID_CURSOR

    def paginate_queryset(self, rows, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        cursor = self.decode_cursor(request)
        if cursor is None:
            page = rows[: self.page_size]
        else:
            position = cursor.position or ""
            if not (position.isascii() and position.isdigit()):
                raise NotFound(self.invalid_cursor_message)
            if cursor.reverse:  # the page before the row at ``position``
                page = [r for r in rows if r.seq < int(position)][-self.page_size :]
            else:
                page = [r for r in rows if r.seq > int(position)][: self.page_size]
        self.has_next = bool(page) and rows[-1].seq > page[-1].seq
        self.has_previous = bool(page) and rows[0].seq < page[0].seq
        self.page = page
        return page

    def get_next_link(self):
        if not self.has_next:
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=str(self.page[-1].seq)))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=str(self.page[0].seq)))


class TokenView(ObtainAuthToken):
    """Username + password → {"token": "…"}."""

    throttle_scope = "auth"
    throttle_classes = [ScopedRateThrottle]  # ObtainAuthToken has none: the "auth" rate would never apply

    @extend_schema(responses={200: inline_serializer("Token", {"token": serializers.CharField()})})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class ProposalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]  # bodies are JSON (a form cannot say null, nor hold the steps' data)
    pagination_class = ById
    http_method_names = ["get", "post", "patch", "head", "options"]
    patch_refuses_unknown = True  # partial_update: a field it does not take is a 400 (workflow/api/schema.py)
    queryset = Proposal.objects.none()  # for the schema; requests use get_queryset
    lookup_value_regex = r"\d+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A form is refused here: once a middleware has read its fields (core/errors.py looks for NUL bytes), DRF
        # would take a body no parser of this view reads for an empty one, and drop what it said.
        if (
            self.action in ("create", "partial_update", "fire")
            and request.content_type
            and self.get_content_negotiator().select_parser(request, self.get_parsers()) is None
        ):
            raise UnsupportedMediaType(request.content_type)

    def get_serializer_class(self):
        return ProposalDetailSerializer if self.action == "retrieve" else ProposalSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Proposal.objects.none()
        qs = visible_proposals(self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related("budget_lines", "work_items")
        if self.action == "list":
            # A plain dict, not the QueryDict: DRF would take "?year=" for no year rather than for a bad one.
            filters = ProposalFilterSerializer(data=self.request.query_params.dict())
            filters.is_valid(raise_exception=True)
            f = filters.validated_data
            if f.get("status"):
                qs = qs.filter(status=f["status"])
            if f.get("content_type"):
                qs = qs.filter(content_type=f["content_type"])
            if "year" in f:
                qs = qs.filter(plan_year=f["year"])
            if "unit" in f:
                qs = qs.filter(Q(province_id=f["unit"]) | Q(district_id=f["unit"]) | Q(commune_id=f["unit"]))
        return qs

    @extend_schema(parameters=[ProposalFilterSerializer], responses={200: ProposalSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={201: ProposalSerializer})
    def create(self, request, *args, **kwargs):
        if not request.user.has_role(Role.APPLICANT) or not request.user.organisation_id:
            raise NotPermitted(_("Chỉ tài khoản của đơn vị đề nghị mới lập được đề án."))
        serializer = ProposalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k in DOSSIER_FIELDS}
        proposal = create_proposal(actor=request.user, now=timezone.now(), **fields)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProposalSerializer, responses={200: ProposalSerializer})
    def partial_update(self, request, *args, **kwargs):
        proposal = self.get_object()
        if not is_applicant_of(request.user, proposal):
            raise NotPermitted(_("Chỉ đơn vị đề nghị của đề án mới được sửa hồ sơ."))
        unknown = set(request.data) - set(DOSSIER_FIELDS) if hasattr(request.data, "keys") else set()
        if unknown:
            raise ValidationError(
                {name: [_("Trường này không được sửa qua API.")] for name in sorted(unknown)}
            )
        serializer = ProposalSerializer(proposal, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        proposal = update_dossier(
            proposal.pk,
            actor=request.user,
            now=timezone.now(),
            changes=dict(serializer.validated_data),
            ip=client_ip(request),
        )
        return Response(ProposalSerializer(proposal).data)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().update(request, *args, **kwargs)

    # What this user may do now: a handful of rows at most, so one array rather than pages.
    @extend_schema(responses={200: TriggerSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None)
    def transitions(self, request, pk=None):
        proposal = self.get_object()
        lifecycle = lifecycle_of(proposal)
        rows = [
            {
                "name": t.name,
                "label": str(t.label),
                "reason_required": t.reason_required,
                "target": lifecycle.resume_target(t.name, proposal.status, proposal.returned_from),
            }
            for t in available_triggers(request.user, proposal, now=timezone.now())
        ]
        return Response(TriggerSerializer(rows, many=True).data)

    @extend_schema(
        request=FireSerializer,
        responses={200: EventSerializer},
        parameters=[
            OpenApiParameter(
                "trigger",
                str,
                OpenApiParameter.PATH,
                enum=sorted({t.name for t in (*TRIGGERS, *NATIONAL_TRIGGERS)}),
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<trigger>[a-z_]+)")
    def fire(self, request, pk=None, trigger=None):
        proposal = self.get_object()
        if trigger not in lifecycle_of(proposal).triggers:
            raise Http404
        body = FireSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = fire(
            proposal.pk,
            trigger,
            actor=request.user,
            now=timezone.now(),
            ip=client_ip(request),
            **body.validated_data,
        )
        return Response(EventSerializer(event).data)

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history", pagination_class=BySeq)
    def history(self, request, pk=None):
        page = self.paginate_queryset(history(self.get_object()))
        return self.get_paginated_response(EventSerializer(page, many=True).data)


class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = TaskSerializer
    pagination_class = ById
    queryset = Task.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        box = self.request.query_params.get("box", "inbox")
        if box not in ("inbox", "queue", "archive"):
            raise ValidationError({"box": [_("Chọn inbox, queue hoặc archive.")]})
        return {"inbox": inbox, "queue": queue, "archive": archive}[box](self.request.user).select_related(
            "proposal"
        )

    @extend_schema(
        parameters=[OpenApiParameter("box", str, enum=["inbox", "queue", "archive"])],
        responses={200: TaskSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _verb(self, request, pk, verb):
        task = Task.objects.filter(pk=pk, proposal__in=visible_proposals(request.user)).first()
        if task is None:
            raise Http404
        task = getattr(task_services, verb)(
            task.pk, actor=request.user, now=timezone.now(), ip=client_ip(request)
        )
        return Response(TaskSerializer(task).data)

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._verb(request, pk, "claim")

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._verb(request, pk, "release")


class TrackView(APIView):
    """Public lookup by tracking code and PIN: the portal's lookup, with its wrong-PIN lock, plus a rate limit."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_scope = "track"

    @extend_schema(
        parameters=[OpenApiParameter("pin", str, required=True)],
        responses={
            200: inline_serializer(
                "Track",
                {
                    "tracking_code": serializers.CharField(),
                    "status": serializers.CharField(),
                    "status_label": serializers.CharField(),
                    "holder": serializers.CharField(allow_blank=True),
                    "due_at": serializers.DateTimeField(allow_null=True),
                    "due_on": serializers.CharField(allow_blank=True),
                    "late": serializers.BooleanField(),
                    "timeline": inline_serializer(
                        "TrackEvent",
                        {
                            "at": serializers.DateTimeField(),
                            "date": serializers.CharField(),
                            "action": serializers.CharField(),
                            "status": serializers.CharField(),
                        },
                        many=True,
                    ),
                },
            ),
        },
    )
    def get(self, request, code):
        from workflow.services.portal import lookup

        return Response(
            lookup(code, request.query_params.get("pin", ""), ip=client_ip(request), now=timezone.now())
        )
