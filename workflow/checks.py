"""System checks on the lifecycle table (run at start-up and by ``manage.py check``)."""

from django.core import checks

from core.roles import Role

from .lifecycle import HOLDER, TERMINAL, Lifecycle, Status, Track, get_lifecycle


def check_lifecycle(lifecycle: Lifecycle) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    reachable = {Status.DRAFTED.value}
    frontier = [Status.DRAFTED.value]
    while frontier:
        source = frontier.pop()
        for t in lifecycle.triggers_from(source):
            if t.dest not in reachable:
                reachable.add(t.dest)
                frontier.append(t.dest)
    for status in lifecycle.statuses:
        if status not in reachable:
            errors.append(
                checks.Error(f"Status {status!r} cannot be reached from drafted.", id="workflow.E001")
            )
    valid_roles = set(Role.values) | {HOLDER}
    for t in lifecycle.triggers.values():
        if not t.role:
            errors.append(checks.Error(f"Trigger {t.name!r} has no role.", id="workflow.E002"))
        elif t.role not in valid_roles:
            errors.append(
                checks.Error(f"Trigger {t.name!r} names an unknown role {t.role!r}.", id="workflow.E003")
            )
        for s in (*t.sources, t.dest):
            if s not in lifecycle.statuses:
                errors.append(
                    checks.Error(f"Trigger {t.name!r} uses unknown status {s!r}.", id="workflow.E004")
                )
    for status in TERMINAL:
        if lifecycle.triggers_from(status):
            errors.append(checks.Error(f"Terminal status {status!r} has exits.", id="workflow.E005"))
    for status in lifecycle.statuses:
        if status not in TERMINAL and not lifecycle.triggers_from(status):
            errors.append(
                checks.Error(f"Status {status!r} is not terminal but has no exit.", id="workflow.E006")
            )
    return errors


@checks.register()
def lifecycle_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for track in Track.values:
        try:
            lifecycle = get_lifecycle(track)
        except ValueError as exc:
            return [checks.Error(str(exc), id="workflow.E000")]
        errors += check_lifecycle(lifecycle)
    return errors


@checks.register(checks.Tags.database)
def orphan_queue_check(app_configs=None, databases=None, **kwargs):
    """Open tasks waiting in a queue that no active person can open (``manage.py check --database default``;
    ``migrate`` runs it too). The Task admin shows the same list."""
    if not databases:
        return []
    from django.db import DatabaseError

    from .selectors import orphan_queues

    try:
        queues = orphan_queues()
    except DatabaseError:  # not migrated yet
        return []
    return [
        checks.Warning(
            f"{q.tasks} open task(s) for role {q.role!r} in unit {q.unit_name!r} (id {q.unit_id}): "
            "no active user holds that role in that unit.",
            hint="Assign a user to the unit and role; tasks of units that ended: manage.py move_tasks_to_successors.",
            id="workflow.W001",
        )
        for q in queues
    ]


@checks.register()
def advance_rules_check(app_configs=None, **kwargs):
    """KHUYENCONG's advance rules: every group has a rate, every content type a group, every track a decider."""
    from .advances import check_advance_rules

    return check_advance_rules()
