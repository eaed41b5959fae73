"""Billing regions and relief: levels count together as the CPT families bill them, and a repeat
session needs the relief the payer asks for from the previous one in the region (rule data)."""

import datetime as dt
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from core.errors import RuleViolation
from scheduling.models import BillingRegion, FrequencyRule, ProcedureFamily, VisitType
from tests.factories import VisitTypeFactory
from tests.scheduling.payer_helpers import book, completed, done, ny

pytestmark = pytest.mark.django_db

WEEK = dt.timedelta(weeks=1)
T0 = ny(2028, 1, 10)


def test_a_caudal_esi_after_four_lumbar_ones_is_refused(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in (0, 2, 4, 6):
        book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=30 * month))
    with pytest.raises(RuleViolation, match="in the lumbar–sacral region"):
        book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=240), region="sacral")


def test_thoracic_counts_with_cervical(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in (0, 2, 4, 6):
        book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=30 * month), region="cervical")
    with pytest.raises(RuleViolation, match="in the cervical–thoracic region"):
        book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=240), region="thoracic")
    assert book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=240), region="lumbar").region == "lumbar"


def test_billing_regions_are_data_and_the_appointment_keeps_its_level(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in (0, 2, 4, 6):
        book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=30 * month))
    BillingRegion.objects.filter(code="lumbar-sacral").update(spinal_regions=["lumbar"])
    caudal = book(medicare_patient, suite_doctor, esi, T0 + dt.timedelta(days=240), region="sacral")
    assert caudal.region == "sacral"


def test_a_spinal_level_belongs_to_one_billing_region_only(db):
    with pytest.raises(ValidationError, match="sacral already counts in Lumbar–sacral"):
        BillingRegion(code="pelvic", name="Pelvic", spinal_regions=["sacral"]).full_clean()
    BillingRegion.objects.get(code="lumbar-sacral").full_clean()  # editing a region keeps its own levels


@pytest.mark.parametrize(
    ("relief", "weeks", "functional"),
    [(10, 13, None), (None, None, None), (None, 13, None), (50, 12, None), (50, None, None), (40, 20, False)],
    ids=["10-percent", "nothing-recorded", "weeks-only", "12-weeks", "no-duration", "40-percent-no-improvement"],
)
def test_a_repeat_esi_without_the_relief_the_payer_asks_for_is_refused(suite_doctor, esi, medicare_patient, relief, weeks, functional):
    done(medicare_patient, suite_doctor, esi, T0, relief=relief, weeks=weeks, functional=functional)
    with pytest.raises(RuleViolation, match="a repeat Epidural steroid injection in the lumbar–sacral region needs at least 50% relief"):
        book(medicare_patient, suite_doctor, esi, T0 + 14 * WEEK)


@pytest.mark.parametrize(
    ("relief", "weeks", "functional"), [(50, 13, None), (90, 20, False), (20, 13, True)], ids=["50-for-13", "90-for-20", "functional"]
)
def test_a_repeat_esi_after_enough_relief_or_functional_improvement_is_booked(
    suite_doctor, esi, medicare_patient, relief, weeks, functional
):
    done(medicare_patient, suite_doctor, esi, T0, relief=relief, weeks=weeks, functional=functional)
    assert book(medicare_patient, suite_doctor, esi, T0 + 14 * WEEK).status == "booked"


def test_a_repeat_before_the_previous_esi_is_done_is_refused(suite_doctor, esi, medicare_patient):
    book(medicare_patient, suite_doctor, esi, T0)
    with pytest.raises(RuleViolation, match="recorded: not completed yet"):
        book(medicare_patient, suite_doctor, esi, T0 + 14 * WEEK)
    completed(medicare_patient, suite_doctor, esi, T0 - 20 * WEEK)  # done, with no outcome
    with pytest.raises(RuleViolation, match="recorded: no outcome recorded"):
        book(medicare_patient, suite_doctor, esi, T0 - 5 * WEEK)


def test_relief_is_read_from_the_previous_esi_in_the_billing_region(suite_doctor, esi, medicare_patient):
    done(medicare_patient, suite_doctor, esi, T0, relief=80, weeks=13)
    done(medicare_patient, suite_doctor, esi, T0 + 14 * WEEK, relief=10, weeks=13, region="sacral")
    with pytest.raises(RuleViolation) as error:
        book(medicare_patient, suite_doctor, esi, T0 + 28 * WEEK)
    assert "recorded: 10% relief for 13 weeks" in error.value.message
    assert error.value.extra["counted_dates"] == [(T0 + 14 * WEEK).date().isoformat()]
    # a cervical ESI has its own history
    assert book(medicare_patient, suite_doctor, esi, T0 + 28 * WEEK, region="cervical").status == "booked"


def test_relief_thresholds_are_payer_data(suite_doctor, esi, medicare_patient):
    FrequencyRule.objects.filter(payer=None, procedure_families=["esi"]).update(repeat_min_relief_weeks=8)
    done(medicare_patient, suite_doctor, esi, T0, relief=50, weeks=8)
    assert book(medicare_patient, suite_doctor, esi, T0 + 14 * WEEK).status == "booked"


def test_the_front_desk_hears_the_repeat_rule_is_unmet_but_not_the_relief(suite_doctor, esi, medicare_patient, front_desk_user):
    done(medicare_patient, suite_doctor, esi, T0, relief=10, weeks=13)
    with pytest.raises(RuleViolation) as desk:
        book(medicare_patient, suite_doctor, esi, T0 + 14 * WEEK, booked_by=front_desk_user)
    assert "not met yet" in desk.value.message and "review the recorded relief" in desk.value.message
    assert "10%" not in desk.value.message and "recorded:" not in desk.value.message
    assert desk.value.extra["counted_dates"] == []


@pytest.mark.parametrize(("relief", "weeks", "booked"), [(60, 26, True), (60, 20, False), (40, 30, False), (None, None, False)])
def test_a_repeat_rfa_needs_half_relief_lasting_26_weeks(suite_doctor, mbb, rfa, medicare_patient, relief, weeks, booked):
    done(medicare_patient, suite_doctor, mbb, T0, relief=90)
    done(medicare_patient, suite_doctor, mbb, T0 + WEEK, relief=85)
    done(medicare_patient, suite_doctor, rfa, T0 + 3 * WEEK, relief=relief, weeks=weeks)
    later = T0 + 30 * WEEK
    if booked:
        assert book(medicare_patient, suite_doctor, rfa, later).status == "booked"
    else:
        with pytest.raises(RuleViolation, match="a repeat Radiofrequency ablation .* needs at least 50% relief lasting at least 26 weeks"):
            book(medicare_patient, suite_doctor, rfa, later)


def test_intra_articular_facet_injections_do_not_qualify_an_rfa(suite_doctor, facet_injection, mbb, rfa, medicare_patient):
    assert ProcedureFamily.FACET.label == "Intra-articular facet injection"
    done(medicare_patient, suite_doctor, facet_injection, T0, relief=95)
    done(medicare_patient, suite_doctor, facet_injection, T0 + WEEK, relief=95)
    with pytest.raises(RuleViolation, match="needs 2 completed Diagnostic medial branch block"):
        book(medicare_patient, suite_doctor, rfa, T0 + 4 * WEEK)
    # medial branch blocks at the sacral level qualify a lumbar RFA: the same billing region
    done(medicare_patient, suite_doctor, mbb, T0 + 2 * WEEK, relief=90, region="sacral")
    done(medicare_patient, suite_doctor, mbb, T0 + 3 * WEEK, relief=80, region="sacral")
    assert book(medicare_patient, suite_doctor, rfa, T0 + 4 * WEEK).status == "booked"


def test_the_migration_moves_medial_branch_block_visit_types_out_of_facet(anesthesiologist):
    """Before the split, `facet` meant "facet injection / medial branch block": visit types that
    are medial branch blocks become `mbb` so their relief counts towards an RFA."""
    # Found by name: the integrator may renumber the migration.
    (path,) = Path(importlib.import_module("scheduling.migrations").__path__[0]).glob("*_payer_billing_regions_and_relief_rules.py")
    migration = importlib.import_module(f"scheduling.migrations.{path.stem}")
    block = VisitTypeFactory(
        code="lumbar-mbb", name="Lumbar medial branch block", discipline=anesthesiologist.discipline, procedure_family="facet"
    )
    named = VisitTypeFactory(
        code="l45-block", name="Medial-branch block L4/5", discipline=anesthesiologist.discipline, procedure_family="facet"
    )
    joint = VisitTypeFactory(
        code="facet-ia", name="Facet joint injection", discipline=anesthesiologist.discipline, procedure_family="facet"
    )
    migration.split_medial_branch_blocks_from_facet(apps, None)
    families = dict(VisitType.objects.filter(pk__in=[block.pk, named.pk, joint.pk]).values_list("code", "procedure_family"))
    assert families == {"lumbar-mbb": "mbb", "l45-block": "mbb", "facet-ia": "facet"}
