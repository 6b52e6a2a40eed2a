import pytest
from django.core.management import call_command

from workflow.checks import check_lifecycle
from workflow.lifecycle import TERMINAL, Status, Trigger, build_lifecycle


@pytest.mark.parametrize("level", ["district", "commune", "none"])
def test_configured_lifecycles_pass_the_system_checks(level):
    assert check_lifecycle(build_lifecycle(endorsement_level=level)) == []


def test_without_endorsement_lodge_goes_straight_to_the_department():
    lifecycle = build_lifecycle(endorsement_level="none")
    assert lifecycle.target("lodge", Status.DRAFTED) == Status.DISTRICT_SUBMITTED
    assert "district_submit" not in lifecycle.triggers
    assert Status.LODGED not in lifecycle.statuses


def test_main_path_and_side_exits():
    lc = build_lifecycle()
    path = [
        ("lodge", "lodged"),
        ("district_submit", "district_submitted"),
        ("appraise", "appraised"),
        ("verify_finance", "finance_verified"),
        ("approve", "approved"),
        ("accept", "implemented"),
        ("file_settlement", "settlement_filed"),
        ("settle", "settled"),
    ]
    status = "drafted"
    for trigger, expected in path:
        status = lc.target(trigger, status)
        assert status == expected
    for review in ("lodged", "district_submitted", "appraised", "finance_verified"):
        assert lc.target("return_for_revision", review) == "drafted"
        assert lc.target("reject", review) == "rejected"
    assert lc.target("withdraw", "lodged") == "withdrawn"
    assert lc.target("withdraw", "appraised") is None
    assert lc.target("stop", "approved") == "stopped"
    assert lc.target("settle", "stopped") is None  # the unit files its dossier first, by the volume done
    assert lc.target("file_settlement", "stopped") == "settlement_filed"
    assert lc.target("settle", "implemented") is None
    assert lc.target("approve", "drafted") is None
    assert lc.target("no_such_trigger", "drafted") is None


def test_terminal_statuses_have_no_exits():
    lc = build_lifecycle()
    for status in TERMINAL:
        assert lc.triggers_from(status) == []


def test_checks_report_an_unreachable_status_and_a_missing_role():
    lc = build_lifecycle()
    broken = dict(lc.triggers)
    broken["stop"] = Trigger("stop", ("approved",), "stopped", "", "x")
    del broken["withdraw"]
    errors = check_lifecycle(
        type(lc)(
            lc.statuses,
            broken,
            lc.rules,
            lc.endorsement_level,
            lc.machine.__class__(
                states=list(lc.statuses),
                initial="drafted",
                auto_transitions=False,
                transitions=[[t.name, list(t.sources), t.dest] for t in broken.values()],
            ),
        )
    )
    ids = sorted(e.id for e in errors)
    assert "workflow.E001" in ids  # withdrawn unreachable
    assert "workflow.E002" in ids  # stop has no role


def test_role_override_from_configuration():
    lc = build_lifecycle(trigger_roles={"approve": "department_head"})
    assert lc.triggers["approve"].role == "department_head"


def test_lifecycle_diagram_command_prints_mermaid(capsys):
    call_command("lifecycle_diagram")
    out = capsys.readouterr().out
    assert out.startswith("stateDiagram-v2")
    assert "finance_verified --> approved: approve" in out
    assert "appraised --> drafted: return_for_revision" in out


@pytest.mark.parametrize("mode", ["recorded", "in_system"])
def test_the_national_track_passes_the_system_checks_in_both_modes(mode):
    assert check_lifecycle(build_lifecycle(track="national", national_mode=mode)) == []


def test_the_national_path_and_who_acts_on_it():
    recorded = build_lifecycle(track="national", national_mode="recorded")
    in_system = build_lifecycle(track="national", national_mode="in_system")
    path = [
        ("lodge", "registered"),
        ("appraise", "base_appraised"),
        ("send_to_ministry", "sent_to_ministry"),
        ("appraise_ministry", "ministry_appraised"),
        ("approve", "approved"),
        ("contract", "contracted"),
        ("accept", "implemented"),
        ("file_settlement", "settlement_filed"),
        ("settle", "settled"),
    ]
    status = "drafted"
    for trigger, expected in path:
        status = recorded.target(trigger, status)
        assert status == expected
    # The ministry's decisions: the Cục in the system, the Sở's appraiser recording them otherwise.
    for name in ("appraise_ministry", "approve", "contract", "settle", "settle_from_minutes", "stop"):
        assert (recorded.triggers[name].role, in_system.triggers[name].role) == (
            "appraiser",
            "ministry_officer",
        )
    assert (
        recorded.rules["sent_to_ministry"].task_scope,
        in_system.rules["sent_to_ministry"].task_scope,
    ) == (
        "province",
        "ministry",
    )
    # Never the provincial leader nor the Sở Tài chính; no district/commune endorsement.
    roles = {t.role for t in recorded.triggers.values()} | {t.role for t in in_system.triggers.values()}
    assert not roles & {"approver", "finance_officer", "district_officer"}
    assert "verify_finance" not in recorded.triggers and "district_submit" not in recorded.triggers
    assert recorded.target("settle_from_minutes", "implemented") == "settled"
    assert recorded.target("stop", "contracted") == "stopped"
    assert recorded.target("withdraw", "base_appraised") is None
    # The local track is untouched by the national mode and knows none of the national statuses.
    local = build_lifecycle()
    assert "contracted" not in local.statuses and "send_to_ministry" not in local.triggers


def test_a_national_mode_other_than_the_two_is_refused():
    with pytest.raises(ValueError):
        build_lifecycle(track="national", national_mode="cuc")
