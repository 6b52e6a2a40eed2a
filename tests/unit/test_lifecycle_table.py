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
