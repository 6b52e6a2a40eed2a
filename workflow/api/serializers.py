from __future__ import annotations

from rest_framework import serializers

from core.models import AdministrativeUnit
from workflow.lifecycle import PUBLIC_NAMES
from workflow.models import BudgetLine, Proposal, Task, TransitionEvent, WorkItem
from workflow.services.proposals import DOSSIER_FIELDS as SERVICE_DOSSIER_FIELDS
from workflow.validation import validate_plan_year


class ErrorSerializer(serializers.Serializer):
    class Inner(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()
        fields = serializers.DictField(required=False)
        problems = serializers.ListField(child=serializers.CharField(), required=False)

    error = Inner()


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

    class Meta:
        model = Proposal
        fields = DECIDED_FIELDS + DOSSIER_FIELDS
        read_only_fields = DECIDED_FIELDS
        # The database's plan-year constraint, checked before the write (else a 500).
        extra_kwargs = {
            "plan_year": {"validators": [validate_plan_year], "min_value": None, "max_value": None}
        }

    def get_public_status(self, obj: Proposal) -> str:
        return str(PUBLIC_NAMES[obj.status])


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
