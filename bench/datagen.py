"""Fill the benchmark database fast: reference data through the ORM (a few hundred rows), then đề án and tasks
with set-based SQL (INSERT … SELECT generate_series) and audit events with COPY, hash chains included.

Shape (per 100 đề án): 45 settled, 5 rejected, 50 open — 8 waiting for appraisal in the hot unit (the
province's Sở Công Thương queue; 1 of them in the hot appraiser's inbox): 16,000 at full scale; 22 lodged at a
district, 10 with finance, 10 with the approver. Every đề án has 5 tasks and 10 audit events; one open task in five is due
(overdue, due today or due soon) at the benchmark clock ``NOW``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
from dataclasses import dataclass

import psycopg

from core.calendar import VN_TZ

from . import env

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=VN_TZ)  # a Tuesday, a working day: the benchmark clock
DISTRICTS = 10
TASKS_PER_PROPOSAL = 5
EVENTS_PER_PROPOSAL = 10
GENESIS = "0" * 64


@dataclass
class Refs:
    """Ids of the reference rows the generated data points at."""

    province: int
    districts: list[int]
    orgs: list[int]
    applicants: list[int]  # one per organisation, same order
    district_officers: list[int]  # one per district, same order
    hot: int  # the hot appraiser: the inbox measured by B2 and B5
    appraiser2: int
    finance: int
    approver: int
    head: int
    history_proposal: int = 0  # the đề án with a long history (B4)


def reset() -> None:
    """Empty every table the generator or the benchmarks write; configuration seeded by migrations stays."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE core_administrativeunit, core_organisation, core_user, django_session "
            "RESTART IDENTITY CASCADE"
        )


def reference_data(scale: env.Scale) -> Refs:
    from django.contrib.auth.models import Group

    from core.models import AdministrativeUnit, Organisation, User

    province = AdministrativeUnit.objects.create(code="B70", name="Tỉnh Bình Phước (bench)", level="province")
    districts = AdministrativeUnit.objects.bulk_create(
        [
            AdministrativeUnit(
                code=f"B70-{i:02d}", name=f"Huyện {i:02d} (bench)", level="district", parent=province
            )
            for i in range(DISTRICTS)
        ]
    )
    n_orgs = max(20, scale.proposals // 200)
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Cơ sở công nghiệp nông thôn {i}",
                kind="household",
                tax_code=f"9{i:09d}",
                address_unit=districts[i % DISTRICTS],
                representative=f"Người đại diện {i}",
                phone="+84912000000",
                email=f"org{i}@bench.invalid",
            )
            for i in range(n_orgs)
        ]
    )
    users: list[tuple[User, str]] = []

    def person(username: str, role: str, **kw) -> User:
        user = User(
            username=username,
            password="!",
            email=f"{username}@bench.invalid",
            phone="+84913000000",
            first_name=username,
            **kw,
        )
        users.append((user, role))
        return user

    applicants = [person(f"bench_applicant_{i:05d}", "applicant", organisation=o) for i, o in enumerate(orgs)]
    officers = [
        person(f"bench_district_{i:02d}", "district_officer", unit=d) for i, d in enumerate(districts)
    ]
    for i, d in enumerate(districts):
        person(f"bench_district_head_{i:02d}", "department_head", unit=d)
    hot = person("bench_appraiser", "appraiser", unit=province)
    appraiser2 = person("bench_appraiser2", "appraiser", unit=province)
    finance = person("bench_finance", "finance_officer", unit=province)
    approver = person("bench_approver", "approver", unit=province)
    head = person("bench_head", "department_head", unit=province)
    User.objects.bulk_create([u for u, _ in users])
    groups = {g.name: g for g in Group.objects.all()}
    for role in {role for _, role in users} - set(groups):
        groups[role] = Group.objects.create(name=role)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=groups[role].pk) for u, role in users]
    )
    return Refs(
        province.pk,
        [d.pk for d in districts],
        [o.pk for o in orgs],
        [u.pk for u in applicants],
        [u.pk for u in officers],
        hot.pk,
        appraiser2.pk,
        finance.pk,
        approver.pk,
        head.pk,
    )


def _filler(cursor, table: str, explicit: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions: ``explicit`` plus a neutral value for every other NOT NULL column."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL "
        "AND is_identity = 'NO'",
        [table],
    )
    neutral = {"boolean": "false", "integer": "0", "smallint": "0", "bigint": "0", "jsonb": "'{}'::jsonb"}
    cols, exprs = list(explicit), list(explicit.values())
    for name, data_type in cursor.fetchall():
        if name not in explicit:
            cols.append(name)
            exprs.append(neutral.get(data_type, "''"))
    return cols, exprs


def grow(refs: Refs, *, first: int, last: int) -> None:
    """Add đề án ``first``..``last`` (their ids) with their 5 tasks each, in two set-based statements."""
    from django.db import connection

    params = {
        "now": NOW,
        "p": refs.province,
        "districts": refs.districts,
        "orgs": refs.orgs,
        "apps": refs.applicants,
        "officers": refs.district_officers,
        "hot": refs.hot,
        "appraiser2": refs.appraiser2,
        "finance": refs.finance,
        "approver": refs.approver,
        "first": first,
        "last": last,
    }
    status = (
        "CASE WHEN g % 100 < 45 THEN 'settled' WHEN g % 100 < 50 THEN 'rejected' "
        "WHEN g % 100 < 58 THEN 'district_submitted' WHEN g % 100 < 80 THEN 'lodged' "
        "WHEN g % 100 < 90 THEN 'appraised' ELSE 'finance_verified' END"
    )
    base = "(%(now)s::timestamptz - interval '400 days' + (g % 300) * interval '1 day')"
    n_org = "cardinality(%(orgs)s::bigint[])"
    district = f"(%(districts)s::bigint[])[1 + g % {DISTRICTS}]"
    proposal = {
        "id": "g",
        "tracking_code": "'BN' || lpad(g::text, 9, '0')",
        "title": "'Đề án khuyến công số ' || g",
        "plan_year": "2021 + g % 6",
        # The local track's statuses and tasks (the national track's steps are others; its đề án are few).
        "funding_kind": "'local'",
        "content_type": "(ARRAY['machinery','training','demonstration','fair','brand'])[1 + g % 5]",
        "sector": "'a'",
        "implementing_org_id": f"(%(orgs)s::bigint[])[1 + g % {n_org}]",
        "province_id": "%(p)s",
        "district_id": district,
        "status": status,
        "status_changed_at": base,
        "lodged_at": base,
        "created_by_id": f"(%(apps)s::bigint[])[1 + g % {n_org}]",
        "created_at": base,
        "updated_at": base,
    }
    open_ = "(g % 100 >= 50 AND k = 4)"
    steps = "(ARRAY['lodged','district_submitted','appraised','finance_verified','approved'])[k + 1]"
    roles = "(ARRAY['district_officer','appraiser','finance_officer','approver','appraiser'])[k + 1]"
    outcomes = "(ARRAY['district_submit','appraise','verify_finance','approve','accept'])[k + 1]"
    doers = f"(ARRAY[(%(officers)s::bigint[])[1 + g % {DISTRICTS}], %(appraiser2)s, %(finance)s, %(approver)s, %(appraiser2)s])[k + 1]"
    open_role = (
        "CASE WHEN g % 100 < 58 THEN 'appraiser' WHEN g % 100 < 80 THEN 'district_officer' "
        "WHEN g % 100 < 90 THEN 'finance_officer' ELSE 'approver' END"
    )
    created = f"({base} + k * interval '5 days')"
    # One open task in five is due at NOW (from 7 days overdue to due tomorrow); the rest are weeks away.
    due_open = (
        "CASE WHEN (g / 100) % 5 = 0 THEN date_trunc('day', %(now)s::timestamptz) + interval '10 hours' "
        "- ((g % 9) - 1) * interval '1 day' ELSE %(now)s::timestamptz + (20 + g % 60) * interval '1 day' END"
    )
    hot_inbox = "(g % 100 = 50)"
    task = {
        "id": f"(g - 1) * {TASKS_PER_PROPOSAL} + k + 1",
        "proposal_id": "g",
        "status": f"CASE WHEN {open_} THEN {status} ELSE {steps} END",
        "role": f"CASE WHEN {open_} THEN {open_role} ELSE {roles} END",
        "unit_id": f"CASE WHEN {open_} AND g % 100 BETWEEN 58 AND 79 THEN {district} "
        f"WHEN {open_} THEN %(p)s WHEN k = 0 THEN {district} ELSE %(p)s END",
        "assignee_id": f"CASE WHEN {open_} AND {hot_inbox} THEN %(hot)s WHEN {open_} THEN NULL ELSE {doers} END",
        "claimed_at": f"CASE WHEN {open_} AND NOT {hot_inbox} THEN NULL ELSE {created} + interval '1 hour' END",
        "created_at": created,
        "due_at": f"CASE WHEN {open_} THEN {due_open} ELSE {created} + interval '10 days' END",
        "completed_at": f"CASE WHEN {open_} THEN NULL ELSE {created} + interval '3 days' END",
        "completed_by_id": f"CASE WHEN {open_} THEN NULL ELSE {doers} END",
        "outcome": f"CASE WHEN {open_} THEN '' ELSE {outcomes} END",
    }
    with connection.cursor() as cursor:
        cols, exprs = _filler(cursor, "workflow_proposal", proposal)
        cursor.execute(
            _modulo(
                f"INSERT INTO workflow_proposal ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g"
            ),
            params,
        )
        cols, exprs = _filler(cursor, "workflow_task", task)
        cursor.execute(
            _modulo(
                f"INSERT INTO workflow_task ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g, "
                f"generate_series(0, {TASKS_PER_PROPOSAL - 1}) AS k"
            ),
            params,
        )


def _modulo(sql: str) -> str:
    """The SQL above writes modulo as `` % ``; the driver needs it doubled next to its placeholders."""
    return sql.replace(" % ", " %% ")


# --- audit events: hashes computed here, in the exact canonical form of workflow.models.event_hash ----------

EVENT_CYCLE = [  # kind, trigger, from, to, role
    ("transition", "lodge", "drafted", "lodged", "applicant"),
    ("action", "claim", "lodged", "lodged", "district_officer"),
    ("transition", "district_submit", "lodged", "district_submitted", "district_officer"),
    ("action", "claim", "district_submitted", "district_submitted", "appraiser"),
    ("transition", "appraise", "district_submitted", "appraised", "appraiser"),
    ("action", "claim", "appraised", "appraised", "finance_officer"),
    ("transition", "verify_finance", "appraised", "finance_verified", "finance_officer"),
    ("action", "claim", "finance_verified", "finance_verified", "approver"),
    ("transition", "approve", "finance_verified", "approved", "approver"),
    ("transition", "accept", "approved", "implemented", "appraiser"),
]
CANONICAL = (
    '{{"actor_id":{actor},"comment":"","created_at":"{at}","data":{{}},"from_status":"{src}","ip":null,'
    '"kind":"{kind}","on_behalf_of_id":null,"prev_hash":"{prev}","proposal_id":{p},"role":"{role}",'
    '"seq":{seq},"to_status":"{dst}","trigger":"{trigger}","unit_id":{unit}}}'
)
EVENT_COLUMNS = (
    "id",
    "proposal_id",
    "seq",
    "kind",
    "trigger",
    "from_status",
    "to_status",
    "actor_id",
    "on_behalf_of_id",
    "role",
    "unit_id",
    "created_at",
    "comment",
    "data",
    "ip",
    "prev_hash",
    "hash",
)
_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _event_lines(proposal: int, first_id: int, n: int, actor: int, unit: int) -> list[str]:
    lines, prev = [], GENESIS
    day = _EPOCH + dt.timedelta(days=proposal % 300)
    for seq in range(1, n + 1):
        kind, trigger, src, dst, role = EVENT_CYCLE[(seq - 1) % len(EVENT_CYCLE)]
        at = (day + dt.timedelta(minutes=seq)).isoformat(timespec="microseconds")
        body = CANONICAL.format(
            actor=actor,
            at=at,
            src=src,
            kind=kind,
            prev=prev,
            p=proposal,
            role=role,
            seq=seq,
            dst=dst,
            trigger=trigger,
            unit=unit,
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        lines.append(
            f"{first_id + seq - 1}\t{proposal}\t{seq}\t{kind}\t{trigger}\t{src}\t{dst}\t{actor}\t\\N\t"
            f"{role}\t{unit}\t{at}\t\t{{}}\t\\N\t{prev}\t{digest}\n"
        )
        prev = digest
    return lines


def _copy_events(args: tuple[int, int, int, int]) -> int:
    first, last, actor, unit = args
    written = 0
    with (
        psycopg.connect(env.dsn()) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY workflow_transitionevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy,
    ):
        buf: list[str] = []
        for p in range(first, last + 1):
            buf += _event_lines(p, (p - 1) * EVENTS_PER_PROPOSAL + 1, EVENTS_PER_PROPOSAL, actor, unit)
            if len(buf) >= 20_000:
                copy.write("".join(buf))
                written += len(buf)
                buf = []
        copy.write("".join(buf))
        written += len(buf)
    return written


def check_canonical_form(refs: Refs) -> None:
    """The generator's hash must be the project's: compare one chain with workflow.models.event_hash."""
    import json

    from workflow.models import event_hash

    for line in _event_lines(1, 1, 3, refs.hot, refs.province):
        v = line.rstrip("\n").split("\t")
        row = {
            "proposal_id": int(v[1]),
            "seq": int(v[2]),
            "kind": v[3],
            "trigger": v[4],
            "from_status": v[5],
            "to_status": v[6],
            "actor_id": int(v[7]),
            "on_behalf_of_id": None,
            "role": v[9],
            "unit_id": int(v[10]),
            "created_at": dt.datetime.fromisoformat(v[11]),
            "comment": v[12],
            "data": json.loads(v[13]),
            "ip": None,
            "prev_hash": v[15],
        }
        if event_hash(row) != v[16]:
            raise AssertionError(
                "the generator's canonical event form differs from workflow.models.event_hash"
            )


def events(refs: Refs, *, proposals: int, workers: int = 2) -> int:
    """10 hash-chained audit events per đề án, COPYed by ``workers`` processes in parallel."""
    from django.db import connections

    check_canonical_form(refs)
    connections.close_all()
    step = max(1, min(20_000, proposals // (workers * 4) or 1))
    chunks = [
        (a, min(a + step - 1, proposals), refs.hot, refs.province) for a in range(1, proposals + 1, step)
    ]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return sum(pool.map(_copy_events, chunks))


def history_proposal(refs: Refs, *, events_count: int) -> int:
    """One more đề án (settled) with a long history: ``events_count`` audit events (B4)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM workflow_proposal")
        pid = cursor.fetchone()[0]
    grow(refs, first=pid, last=pid)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM workflow_transitionevent")
        first_id = cursor.fetchone()[0]
    with (
        psycopg.connect(env.dsn()) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY workflow_transitionevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy,
    ):
        copy.write("".join(_event_lines(pid, first_id, events_count, refs.hot, refs.province)))
    refs.history_proposal = pid
    return pid


def finish() -> None:
    """Sequences after the explicit ids, then VACUUM ANALYZE: fresh planner statistics and a visibility map, as a
    table in service has from autovacuum. Without it the index-only scans of the counts read the heap for every
    row, and autovacuum, woken by the bulk insert, would run during the measurements that follow."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("workflow_proposal", "workflow_task", "workflow_transitionevent"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


TABLES = (
    "workflow_proposal",
    "workflow_task",
    "workflow_transitionevent",
    "notifications_outbox",
    "core_user",
    "core_administrativeunit",
    "core_user_groups",
)
