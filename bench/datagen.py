"""Fill the benchmark database fast: reference data through the ORM (a few hundred rows), then đề án and tasks
with set-based SQL (INSERT … SELECT generate_series) and audit events with COPY, hash chains included.

Shape (per 100 đề án): 45 settled, 5 rejected, 50 open — 8 waiting for appraisal in the hot unit (the
province's Sở Công Thương queue; 1 of them in the hot appraiser's inbox): 16,000 at full scale; 22 lodged at a
district, 10 with finance, 10 with the approver. Every đề án has 5 tasks and 10 audit events; one open task in five is due
(overdue, due today or due soon) at the benchmark clock ``NOW``.

The national variant (``BENCH_SCALE=national``, ``national_reference_data``): 34 provinces in one database, each
with its Sở Công Thương (the province's unit, as above) and 95 communes (today's map: communes under the province,
no districts; synthetic, not the real 3,321), 500 staff a province (17,000), 25 organisations a province. The đề
án go to the provinces by blocks of 100 (so every province has the shape above): the first province is a big one
(5 blocks in 38, about 4,500 đề án a plan year), each other one block in 38; five plan years (2022–2026). Every đề
án is on the local track. Each province's tasks and audit events name its own officers and units.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
from dataclasses import dataclass, field

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
    # The whole data set, by province index (the fields above are the first province's). One province: itself.
    provinces: list[int] = field(default_factory=list)
    # The province index of each block of 100 đề án, cycled.
    province_map: list[int] = field(default_factory=list)
    # The endorsing units, ``per_province`` a province, in order, and the officer of each who holds its tasks.
    units: list[int] = field(default_factory=list)
    unit_officers: list[int] = field(default_factory=list)
    per_province: int = DISTRICTS
    lower: str = "district"  # the đề án's column naming its endorsing unit: district, or commune (national)
    # 1: the endorsing unit moves on by one every block of 100 (national: 95 communes a province).
    rotate: int = 0
    hots: list[int] = field(default_factory=list)  # per province: the appraiser whose inbox holds tasks
    appraisers2: list[int] = field(default_factory=list)
    finances: list[int] = field(default_factory=list)
    approvers: list[int] = field(default_factory=list)
    orgs_per_province: int = 0
    all_orgs: list[int] = field(default_factory=list)  # ``orgs_per_province`` a province, in order
    all_applicants: list[int] = field(default_factory=list)  # one per organisation, same order
    plan_year: str = "2021 + g % 6"  # SQL of g
    # Officers on line at the peak (M1, C1); empty: loadgen's 20.
    online: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        """One province: the whole data set is the fields above."""
        if not self.provinces:
            self.provinces = [self.province]
            self.province_map = [0]
            self.units = list(self.districts)
            self.unit_officers = list(self.district_officers)
            self.hots, self.appraisers2 = [self.hot], [self.appraiser2]
            self.finances, self.approvers = [self.finance], [self.approver]
            self.orgs_per_province = len(self.orgs)
            self.all_orgs, self.all_applicants = list(self.orgs), list(self.applicants)

    def province_index(self, proposal: int) -> int:
        """The province of the generated đề án ``proposal`` (the SQL of ``grow``, in Python)."""
        return self.province_map[(proposal // 100) % len(self.province_map)]

    def officer_of_unit(self) -> dict[int, int]:
        """Each endorsing unit's officer with tasks: who fires ``district_submit`` on its lodged đề án."""
        return dict(zip(self.units, self.unit_officers, strict=True))


def reset() -> None:
    """Empty every table the generator or the benchmarks write; configuration seeded by migrations stays."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE core_administrativeunit, core_organisation, core_user, django_session "
            "RESTART IDENTITY CASCADE"
        )


def reference_data(scale: env.Scale) -> Refs:
    if scale.provinces > 1:
        return national_reference_data(scale)
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


# The national variant: provinces of 95 communes and 500 staff each (bench/README.md).
COMMUNES = 95
BIG_PROVINCE_BLOCKS = 5  # the first province's share: 5 blocks of 100 đề án where another province has 1
# Staff of a province: per commune 4 officers (the first holds its tasks) and its head; at the Sở (the province's
# unit) 10 appraisers, 5 heads, 5 finance officers (Sở Tài chính), 3 approvers and 2 auditors: 475 + 25 = 500.
COMMUNE_STAFF = (("district_officer", 4), ("department_head", 1))
SO_STAFF = (
    ("appraiser", 10),
    ("department_head", 5),
    ("finance_officer", 5),
    ("approver", 3),
    ("auditor", 2),
)
# On line at the peak (M1, C1): the big province's 20 busiest officers, as in one province's model (12 commune
# officers, 4 appraisers, 2 finance officers, 2 approvers), and 4 of every other province (its appraiser with an
# inbox, 2 commune officers, a finance officer): 152, the provinces' load in proportion to their đề án.
BIG_ONLINE = {"commune": 12, "appraiser": 4, "finance_officer": 2, "approver": 2}
OTHER_ONLINE = {"commune": 2, "appraiser": 1, "finance_officer": 1, "approver": 0}


def _create_users(users: list) -> None:
    """Bulk-create (User, role) pairs with their group."""
    from django.contrib.auth.models import Group

    from core.models import User

    User.objects.bulk_create([u for u, _ in users], batch_size=2000)
    groups = {g.name: g for g in Group.objects.all()}
    for role in {role for _, role in users} - set(groups):
        groups[role] = Group.objects.create(name=role)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=groups[role].pk) for u, role in users], batch_size=5000
    )


def national_reference_data(scale: env.Scale) -> Refs:
    """34 provinces (the first a big one), each with its Sở (the province's unit) and 95 communes, 500 staff and 25
    organisations with their applicant."""
    from core.models import AdministrativeUnit, Organisation, User

    n = scale.provinces
    provinces = AdministrativeUnit.objects.bulk_create(
        [
            AdministrativeUnit(code=f"N{i:02d}", name=f"Tỉnh {i:02d} (bench)", level="province")
            for i in range(n)
        ]
    )
    communes = AdministrativeUnit.objects.bulk_create(
        [
            AdministrativeUnit(
                code=f"N{i:02d}-{k:03d}", name=f"Xã {i:02d}-{k:03d} (bench)", level="commune", parent=p
            )
            for i, p in enumerate(provinces)
            for k in range(COMMUNES)
        ],
        batch_size=2000,
    )
    per_org = max(20, scale.proposals // 200 // n)
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Cơ sở công nghiệp nông thôn {i:02d}-{j}",
                kind="household",
                tax_code=f"8{i:02d}{j:07d}",
                address_unit=communes[i * COMMUNES + j % COMMUNES],
                representative=f"Người đại diện {i:02d}-{j}",
                phone="+84912000000",
                email=f"org{i:02d}-{j}@bench.invalid",
            )
            for i in range(n)
            for j in range(per_org)
        ],
        batch_size=2000,
    )
    users: list = []

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
    staff: list[dict[str, list[User]]] = []
    for i, p in enumerate(provinces):
        mine: dict[str, list[User]] = {"commune": []}
        for k in range(COMMUNES):
            c = communes[i * COMMUNES + k]
            for role, count in COMMUNE_STAFF:
                for j in range(count):
                    user = person(f"bench_n{i:02d}_c{k:03d}_{role}_{j}", role, unit=c)
                    if role == "district_officer" and j == 0:
                        mine["commune"].append(user)
        for role, count in SO_STAFF:
            mine[role] = [person(f"bench_n{i:02d}_{role}_{j:02d}", role, unit=p) for j in range(count)]
        staff.append(mine)
    _create_users(users)
    online = []
    for i, mine in enumerate(staff):
        for role, count in (BIG_ONLINE if i == 0 else OTHER_ONLINE).items():
            online += [u.pk for u in mine[role][:count]]
    first = staff[0]
    return Refs(
        provinces[0].pk,
        [c.pk for c in communes[:COMMUNES]],
        [o.pk for o in orgs[:per_org]],
        [u.pk for u in applicants[:per_org]],
        [u.pk for u in first["commune"]],
        first["appraiser"][0].pk,
        first["appraiser"][1].pk,
        first["finance_officer"][0].pk,
        first["approver"][0].pk,
        first["department_head"][0].pk,
        provinces=[p.pk for p in provinces],
        province_map=[0] * BIG_PROVINCE_BLOCKS + list(range(1, n)),
        units=[c.pk for c in communes],
        unit_officers=[u.pk for mine in staff for u in mine["commune"]],
        per_province=COMMUNES,
        lower="commune",
        rotate=1,
        hots=[mine["appraiser"][0].pk for mine in staff],
        appraisers2=[mine["appraiser"][1].pk for mine in staff],
        finances=[mine["finance_officer"][0].pk for mine in staff],
        approvers=[mine["approver"][0].pk for mine in staff],
        orgs_per_province=per_org,
        all_orgs=[o.pk for o in orgs],
        all_applicants=[u.pk for u in applicants],
        plan_year="2022 + (g / 7) % 5",
        online=online,
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
    """Add đề án ``first``..``last`` (their ids) with their 5 tasks each, in two set-based statements. Each đề án's
    province is ``refs.province_map`` of its block of 100 (the only province, but in the national variant); its
    endorsing unit, organisation and officers are that province's."""
    from django.db import connection

    params = {
        "now": NOW,
        "provs": refs.provinces,
        "pmap": refs.province_map,
        "units": refs.units,
        "per": refs.per_province,
        "rot": refs.rotate,
        "orgs": refs.all_orgs,
        "apps": refs.all_applicants,
        "opp": refs.orgs_per_province,
        "officers": refs.unit_officers,
        "hots": refs.hots,
        "appraisers2": refs.appraisers2,
        "finances": refs.finances,
        "approvers": refs.approvers,
        "first": first,
        "last": last,
    }
    # Each row of the source: the đề án's id g, its province's index pi and its endorsing unit's index ui.
    source = (
        "(SELECT g, pi, pi * %(per)s + (g + (g / 100) * %(rot)s) % %(per)s AS ui FROM "
        "(SELECT g, (%(pmap)s::int[])[1 + (g / 100) % cardinality(%(pmap)s::int[])] AS pi "
        "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g) AS s0) AS s"
    )
    status = (
        "CASE WHEN g % 100 < 45 THEN 'settled' WHEN g % 100 < 50 THEN 'rejected' "
        "WHEN g % 100 < 58 THEN 'district_submitted' WHEN g % 100 < 80 THEN 'lodged' "
        "WHEN g % 100 < 90 THEN 'appraised' ELSE 'finance_verified' END"
    )
    base = "(%(now)s::timestamptz - interval '400 days' + (g % 300) * interval '1 day')"
    org = "(pi * %(opp)s + g % %(opp)s)"
    province = "(%(provs)s::bigint[])[1 + pi]"
    unit = "(%(units)s::bigint[])[1 + ui]"
    proposal = {
        "id": "g",
        "tracking_code": "'BN' || lpad(g::text, 9, '0')",
        "title": "'Đề án khuyến công số ' || g",
        "plan_year": refs.plan_year,
        # The local track's statuses and tasks (the national track's steps are others; its đề án are few).
        "funding_kind": "'local'",
        "content_type": "(ARRAY['machinery','training','demonstration','fair','brand'])[1 + g % 5]",
        "sector": "'a'",
        "implementing_org_id": f"(%(orgs)s::bigint[])[1 + {org}]",
        "province_id": province,
        f"{refs.lower}_id": unit,
        "status": status,
        "status_changed_at": base,
        "lodged_at": base,
        "created_by_id": f"(%(apps)s::bigint[])[1 + {org}]",
        "created_at": base,
        "updated_at": base,
    }
    open_ = "(g % 100 >= 50 AND k = 4)"
    steps = "(ARRAY['lodged','district_submitted','appraised','finance_verified','approved'])[k + 1]"
    roles = "(ARRAY['district_officer','appraiser','finance_officer','approver','appraiser'])[k + 1]"
    outcomes = "(ARRAY['district_submit','appraise','verify_finance','approve','accept'])[k + 1]"
    appraiser2 = "(%(appraisers2)s::bigint[])[1 + pi]"
    doers = (
        f"(ARRAY[(%(officers)s::bigint[])[1 + ui], {appraiser2}, (%(finances)s::bigint[])[1 + pi], "
        f"(%(approvers)s::bigint[])[1 + pi], {appraiser2}])[k + 1]"
    )
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
        "unit_id": f"CASE WHEN {open_} AND g % 100 BETWEEN 58 AND 79 THEN {unit} "
        f"WHEN {open_} THEN {province} WHEN k = 0 THEN {unit} ELSE {province} END",
        "assignee_id": f"CASE WHEN {open_} AND {hot_inbox} THEN (%(hots)s::bigint[])[1 + pi] "
        f"WHEN {open_} THEN NULL ELSE {doers} END",
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
                f"INSERT INTO workflow_proposal ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {source}"
            ),
            params,
        )
        cols, exprs = _filler(cursor, "workflow_task", task)
        cursor.execute(
            _modulo(
                f"INSERT INTO workflow_task ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                f"FROM {source} CROSS JOIN LATERAL generate_series(0, {TASKS_PER_PROPOSAL - 1}) AS k"
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


def _copy_events(args: tuple[int, int, list[int], list[int], list[int]]) -> int:
    """Events of đề án ``first``..``last``; each names its province's appraiser with an inbox and its province
    (``province_map``, ``hots``, ``provinces``: as ``Refs``)."""
    first, last, province_map, hots, provinces = args
    written = 0
    with (
        psycopg.connect(env.dsn()) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY workflow_transitionevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy,
    ):
        buf: list[str] = []
        for p in range(first, last + 1):
            pi = province_map[(p // 100) % len(province_map)]
            buf += _event_lines(
                p, (p - 1) * EVENTS_PER_PROPOSAL + 1, EVENTS_PER_PROPOSAL, hots[pi], provinces[pi]
            )
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
        (a, min(a + step - 1, proposals), refs.province_map, refs.hots, refs.provinces)
        for a in range(1, proposals + 1, step)
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
        pi = refs.province_index(pid)
        copy.write("".join(_event_lines(pid, first_id, events_count, refs.hots[pi], refs.provinces[pi])))
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


def sizes() -> dict:
    """The data set's provinces, units and users, and the benchmark database's size on disk (pg_database_size:
    tables, indexes and TOAST, after VACUUM) in MB."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM core_administrativeunit WHERE level = 'province'), "
            "(SELECT count(*) FROM core_administrativeunit), (SELECT count(*) FROM core_user), "
            "pg_database_size(current_database())"
        )
        provinces, units, users, size = cursor.fetchone()
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 5"
        )
        largest = cursor.fetchall()
    print(
        "data: largest tables (with indexes): "
        + ", ".join(f"{name} {total / 2**20:,.0f} MB" for name, total in largest),
        flush=True,
    )
    return {
        "data_provinces": provinces,
        "data_units": units,
        "data_users": users,
        "data_db_mb": round(size / 2**20),
    }
