import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from clinic.models import Patient, Provider, Room
from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER

pytestmark = pytest.mark.django_db


def test_roles_exist_with_least_privilege(front_desk_user, coordinator_user, clinic_admin_user, anesthesiologist):
    assert set(Group.objects.values_list("name", flat=True)) >= {FRONT_DESK, PROVIDER, CARE_COORDINATOR, CLINIC_ADMIN}
    assert front_desk_user.has_perm("clinic.add_patient")
    assert not front_desk_user.has_perm("clinic.view_clinical")
    assert not front_desk_user.has_perm("clinic.delete_patient")
    assert not front_desk_user.has_perm("auth.change_user")
    assert anesthesiologist.user.has_perm("clinic.view_clinical")
    assert not anesthesiologist.user.has_perm("clinic.add_patient")
    assert coordinator_user.has_perm("clinic.view_clinical")
    assert clinic_admin_user.has_perm("auth.change_user") and clinic_admin_user.has_perm("clinic.change_location")


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = (Patient.objects.count(), Provider.objects.count(), Room.objects.count())
    assert counts[0] >= 300 and counts[1] >= 12
    call_command("seed_demo")
    assert (Patient.objects.count(), Provider.objects.count(), Room.objects.count()) == counts
    disciplines = set(Provider.objects.values_list("discipline__code", flat=True))
    assert disciplines >= {"interventional-pain", "physical-therapy", "psychology", "nutrition"}
    assert Patient.objects.filter(language="es").exists() and Patient.objects.filter(sms_consent=False).exists()
