"""The peer's data set: a copy of the project's benchmark data in the peer's tables, taken before any
benchmark writes, so the peer steps on as many đề án, tasks and logged transitions as the project, with the
same ids and statuses (the same lodged đề án waiting at the same districts). Set-based
(``INSERT … SELECT``), then ``VACUUM (ANALYZE)`` as bench/datagen.py does for the project's tables."""

from __future__ import annotations

TABLES = ("peers_peerproposal", "peers_peertask", "peers_peernotification", "django_fsm_log_statelog")


def mirror() -> int:
    """Replace the peer's rows with a copy of the project's: đề án, tasks, and one StateLog row per audited
    transition (django-fsm-log logs transitions only). Returns the number of đề án."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from .models import PeerProposal

    content_type = ContentType.objects.get_for_model(PeerProposal).pk
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        cursor.execute(
            "INSERT INTO peers_peerproposal (id, tracking_code, title, status, province_id, district_id, "
            "applicant_id, lodged_at, status_changed_at, created_at, updated_at) "
            # The peer's district is the đề án's endorsing unit (a commune in the national variant).
            "SELECT id, tracking_code, title, status, province_id, coalesce(district_id, commune_id), "
            "created_by_id, lodged_at, "
            "status_changed_at, created_at, updated_at FROM workflow_proposal ORDER BY id"
        )
        proposals = cursor.rowcount
        cursor.execute(
            "INSERT INTO peers_peertask (id, proposal_id, role, unit_id, assignee_id, created_at, due_at, "
            "completed_at, completed_by_id, outcome) SELECT id, proposal_id, role, unit_id, assignee_id, "
            "created_at, due_at, completed_at, completed_by_id, outcome FROM workflow_task ORDER BY id"
        )
        cursor.execute(
            "INSERT INTO django_fsm_log_statelog (timestamp, by_id, source_state, state, transition, "
            "content_type_id, object_id, description) SELECT created_at, actor_id, from_status, to_status, "
            "trigger, %s, proposal_id, comment FROM workflow_transitionevent WHERE kind = 'transition' "
            "ORDER BY id",
            [content_type],
        )
        for table in ("peers_peerproposal", "peers_peertask"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return proposals
