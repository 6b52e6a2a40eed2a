from django.contrib import admin, messages
from django.utils.translation import gettext as _

from core.roles import Role

from .models import (
    AttachmentRequirement,
    BudgetLine,
    Delegation,
    Proposal,
    SlaPolicy,
    SupportCap,
    Task,
    TransitionEvent,
    WorkItem,
)


@admin.register(SupportCap)
class SupportCapAdmin(admin.ModelAdmin):
    """The caps the lodging check applies (workflow/validation.py; defaults and sources in docs/configuration.md).
    A content type with no row in force cannot be lodged."""

    list_display = [
        "content_type",
        "funding_kind",
        "province",
        "percent_cap",
        "percent_basis",
        "max_amount",
        "max_per_year",
        "regulation",
        "effective_from",
        "effective_to",
    ]
    list_filter = [
        "content_type",
        "funding_kind",
        "percent_basis",
        ("province", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["regulation"]
    fields = [
        "content_type",
        "funding_kind",
        "province",
        ("percent_cap", "percent_basis"),
        "max_amount",
        "max_per_year",
        "priority_multiplier_percent",
        "regulation",
        ("effective_from", "effective_to"),
    ]


@admin.register(AttachmentRequirement)
class AttachmentRequirementAdmin(admin.ModelAdmin):
    list_display = ["content_type", "kind"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["status", "kind", "days", "note"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["delegator", "substitute", "starts_on", "ends_on", "revoked_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Workflow records change only through the services; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WorkItemInline(admin.TabularInline):
    model = WorkItem
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["tracking_code", "title", "plan_year", "content_type", "status", "province"]
    list_filter = ["status", "plan_year", "content_type", "funding_kind"]
    search_fields = ["tracking_code", "title"]
    inlines = [WorkItemInline, BudgetLineInline]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "status", "role", "unit", "assignee", "due_at", "completed_at"]
    list_filter = ["status", "role"]

    def changelist_view(self, request, extra_context=None):
        from .selectors import orphan_queues

        for q in orphan_queues():
            messages.warning(
                request,
                _(
                    "%(n)d việc đang chờ ở “%(unit)s” (vai trò %(role)s) mà không còn ai đang hoạt động giữ vai trò "
                    "đó tại đơn vị này: hãy gán người hoặc giao lại."
                )
                % {"n": q.tasks, "unit": q.unit_name, "role": Role(q.role).label},
            )
        return super().changelist_view(request, extra_context)


@admin.register(TransitionEvent)
class TransitionEventAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "seq", "trigger", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["trigger", "kind"]
