import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from clinic.models import Patient, Provider, Room
from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER
from core import access
from core.access import Kind

pytestmark = pytest.mark.django_db


def test_roles_exist_with_least_privilege(front_desk_user, coordinator_user, clinic_admin_user, anesthesiologist):
    assert set(Group.objects.values_list("name", flat=True)) >= {FRONT_DESK, PROVIDER, CARE_COORDINATOR, CLINIC_ADMIN}
    assert front_desk_user.has_perm("clinic.add_patient")
    assert not front_desk_user.has_perm("clinic.delete_patient")
    assert not front_desk_user.has_perm("auth.change_user")
    assert not anesthesiologist.user.has_perm("clinic.add_patient")
    assert clinic_admin_user.has_perm("auth.change_user") and clinic_admin_user.has_perm("clinic.change_location")
    # Clinical content is decided by the one access policy, by role, never by a permission a
    # clinic admin could grant: clinicians and coordinators may, the front desk and the clinic
    # admin (configuration, not clinical content) may not.
    assert [access.may_ever(u, Kind.CLINICAL) for u in (front_desk_user, anesthesiologist.user, coordinator_user, clinic_admin_user)] == [
        False,
        True,
        True,
        False,
    ]


def test_front_desk_holds_the_resend_worklist_but_no_raw_consent_rows(front_desk_user):
    # The admin refuses raw consent rows anyway; the role table does not pretend otherwise.
    assert not front_desk_user.has_perm("clinic.add_consentevent")
    assert front_desk_user.has_perm("messaging.view_failedmessage") and front_desk_user.has_perm("messaging.change_message")


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = (Patient.objects.count(), Provider.objects.count(), Room.objects.count())
    assert counts[0] >= 300 and counts[1] >= 12
    call_command("seed_demo")
    assert (Patient.objects.count(), Provider.objects.count(), Room.objects.count()) == counts
    disciplines = set(Provider.objects.values_list("discipline__code", flat=True))
    assert disciplines >= {"interventional-pain", "physical-therapy", "psychology", "nutrition"}
    assert Patient.objects.filter(language="es").exists() and Patient.objects.filter(sms_consent=False).exists()
