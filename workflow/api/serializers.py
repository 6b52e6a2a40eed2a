from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import AdministrativeUnit
from workflow.lifecycle import PUBLIC_NAMES, Status
from workflow.models import BudgetLine, Proposal, Task, TransitionEvent, WorkItem
from workflow.models.choices import ContentType
from workflow.services.proposals import DOSSIER_FIELDS as SERVICE_DOSSIER_FIELDS
from workflow.validation import PLAN_YEAR_MAX, PLAN_YEAR_MIN, validate_plan_year

# The largest id PostgreSQL's bigint holds: a larger one in a query string is refused, not sent to the database.
BIGINT_MAX = 2**63 - 1
INTEGER_MESSAGES = {
    "invalid": gettext_lazy("Hãy nhập một số nguyên."),
    "max_string_length": gettext_lazy("Số quá dài."),
}


class ErrorSerializer(serializers.Serializer):
    class ErrorDetail(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()
        fields = serializers.DictField(required=False)
        problems = serializers.ListField(child=serializers.CharField(), required=False)

    error = ErrorDetail()


@extend_schema_field({"type": "integer", "minimum": PLAN_YEAR_MIN, "maximum": PLAN_YEAR_MAX})
class PlanYearField(serializers.IntegerField):
    """A plan year within the database's constraint: the bounds in the schema, the portal's message when outside."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [validate_plan_year])
        kwargs.setdefault("error_messages", INTEGER_MESSAGES)
        super().__init__(**kwargs)


class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetLine
        fields = [
            "id",
            "item",
            "unit",
            "quantity",
            "unit_price",
            "national_amount",
            "local_amount",
            "counterpart_amount",
        ]


class WorkItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkItem
        fields = ["id", "title", "starts_on", "ends_on", "responsible"]


DOSSIER_FIELDS = list(SERVICE_DOSSIER_FIELDS)
DECIDED_FIELDS = [
    "id",
    "tracking_code",
    "status",
    "public_status",
    "revision_round",
    "lodged_at",
    "recommended_amount",
    "verified_amount",
    "approved_amount",
    "advanced_amount",
    "settled_amount",
    "implementing_org",
    "created_at",
    "updated_at",
]


class ProposalSerializer(serializers.ModelSerializer):
    """Dossier fields are writable (on the applicant's own draft, via the service); status, amounts decided by
    others and audit fields are read-only."""

    public_status = serializers.SerializerMethodField()
    province = serializers.PrimaryKeyRelatedField(
        queryset=AdministrativeUnit.objects.filter(level="province")
    )
    district = serializers.PrimaryKeyRelatedField(
        queryset=AdministrativeUnit.objects.filter(level="district"), required=False, allow_null=True
    )
    commune = serializers.PrimaryKeyRelatedField(
        queryset=AdministrativeUnit.objects.filter(level="commune"), required=False, allow_null=True
    )

    # The database's plan-year constraint, checked before the write (else a 500).
    plan_year = PlanYearField(label=capfirst(Proposal._meta.get_field("plan_year").verbose_name))

    class Meta:
        model = Proposal
        fields = DECIDED_FIELDS + DOSSIER_FIELDS
        read_only_fields = DECIDED_FIELDS

    def get_public_status(self, obj: Proposal) -> str:
        return str(PUBLIC_NAMES[obj.status])


CHOICE_MESSAGES = {"invalid_choice": gettext_lazy("“{input}” không phải là một giá trị được chấp nhận.")}


class ProposalFilterSerializer(serializers.Serializer):
    """The list's filters, each optional; a value that cannot match is a 400 rather than silently ignored."""

    # Empty (``?status=``, as a form sends it) means no filter.
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, allow_blank=True, error_messages=CHOICE_MESSAGES
    )
    content_type = serializers.ChoiceField(
        choices=ContentType.choices, required=False, allow_blank=True, error_messages=CHOICE_MESSAGES
    )
    year = PlanYearField(required=False)
    unit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text=gettext_lazy("Mã đơn vị hành chính: tỉnh, huyện hoặc xã của đề án."),
        error_messages={
            **INTEGER_MESSAGES,
            "min_value": gettext_lazy("Mã đơn vị không hợp lệ."),
            "max_value": gettext_lazy("Mã đơn vị không hợp lệ."),
        },
    )


class ProposalDetailSerializer(ProposalSerializer):
    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    work_items = WorkItemSerializer(many=True, read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "budget_lines", "work_items"]


class TriggerSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    reason_required = serializers.BooleanField()


class FireSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    data = serializers.DictField(required=False, default=dict)
    expected_status = serializers.CharField(required=False, allow_null=True, default=None)


class EventSerializer(serializers.ModelSerializer):
    """An audit row: a TransitionEvent (what ``fire`` returns) or a row of ``selectors.history``."""

    actor = serializers.CharField(read_only=True, allow_null=True)
    on_behalf_of = serializers.CharField(read_only=True, allow_null=True)
    unit = serializers.IntegerField(source="unit_id", read_only=True, allow_null=True)

    class Meta:
        model = TransitionEvent
        fields = [
            "seq",
            "kind",
            "trigger",
            "from_status",
            "to_status",
            "actor",
            "on_behalf_of",
            "role",
            "unit",
            "created_at",
            "comment",
            "data",
            "hash",
            "prev_hash",
        ]


class TaskSerializer(serializers.ModelSerializer):
    tracking_code = serializers.CharField(source="proposal.tracking_code", read_only=True)
    title = serializers.CharField(source="proposal.title", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "proposal",
            "tracking_code",
            "title",
            "status",
            "role",
            "unit",
            "assignee",
            "claimed_at",
            "created_at",
            "due_at",
            "completed_at",
            "outcome",
        ]
        read_only_fields = fields
