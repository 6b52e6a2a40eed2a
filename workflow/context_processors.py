from core.roles import STAFF_ROLES


def task_counts(request):
    """Counts shown in the task menu, as printed ("999+" above the cap; one statement, only on staff pages)."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if not (
        user
        and user.is_authenticated
        and STAFF_ROLES & user.role_names
        and match
        and match.namespace in ("tasks", "proposals")
    ):
        return {}
    from workflow.selectors import box_counts, count_label

    return {"kc_counts": {box: count_label(n) for box, n in box_counts(user).items()}}
