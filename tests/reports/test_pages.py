"""The admin's Reports section, the workspace page and the audited CSV exports."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from clinic.models import Patient
from core.models import AuditEvent
from reports.selectors.outcomes import windows
from tests.factories import CareTeamMemberFactory, sign_in
from tests.reports.test_outcomes import registry  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db

MARCH = "start=2026-03-01&end=2026-03-31&procedure=esi&instrument=nrs"


def _get(user, url):
    return sign_in(Client(), user).get(url)


def test_admin_index_shows_reports_to_front_desk_and_clinic_admin(front_desk_user, clinic_admin_user):
    page = _get(front_desk_user, "/admin/").content.decode()
    assert "/admin/reports/operationsreport/" in page and "/admin/reports/outcomereport/" not in page
    page = _get(clinic_admin_user, "/admin/").content.decode()
    assert "/admin/reports/operationsreport/" in page and "/admin/reports/outcomereport/" in page
    assert "/admin/reports/outcomewindow/" in page


def test_front_desk_sees_operations_and_is_refused_outcomes(front_desk_user, django_assert_max_num_queries):
    client = sign_in(Client(), front_desk_user)
    with django_assert_max_num_queries(40):
        response = client.get("/admin/reports/operationsreport/?start=2026-03-02&end=2026-03-08")
    assert response.status_code == 200
    assert b"chart-noshow-weekday" in response.content or b"No-show rate by weekday" in response.content
    assert client.get("/admin/reports/outcomereport/").status_code == 403


def test_clinic_admin_outcomes_page_suppresses_small_cells_and_lists_no_patients(registry, clinic_admin_user):  # noqa: F811
    # Names no provider can share (a generated "Smith" may be a provider's name on the page too).
    names = {"a": "Quillfeatherstone", "b": "Zanzibarrowe"}
    for key, name in names.items():
        Patient.objects.filter(pk=registry[key].pk).update(last_name=name)
    page = _get(clinic_admin_user, f"/admin/reports/outcomereport/?{MARCH}").content.decode()
    assert "&lt;5 / 5" in page  # 2w: 4 answered of 5 due
    for name in names.values():
        assert name not in page
    assert "/workspace/patients/" not in page


def test_bad_dates_are_a_form_error_not_a_500(clinic_admin_user):
    response = _get(clinic_admin_user, "/admin/reports/operationsreport/?start=2026-03-09&end=2026-03-01")
    assert response.status_code == 200 and b"end must be on or after start" in response.content


def test_operations_csv_export_is_audited(front_desk_user):
    response = _get(front_desk_user, "/admin/reports/operationsreport/?start=2026-03-02&end=2026-03-08&format=csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert response.content.decode().splitlines()[0] == "section,item,measure,value"
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.user_id == front_desk_user.pk and "operations report CSV export (2026-03-02..2026-03-08)" in event.reason


def test_clinic_admin_outcomes_csv_is_suppressed_and_audited(registry, clinic_admin_user):  # noqa: F811
    body = _get(clinic_admin_user, f"/admin/reports/outcomereport/?{MARCH}&format=csv").content.decode()
    assert "esi,6,5,2w,5,<5,,<5,<5," in body
    assert AuditEvent.objects.filter(action="export", user=clinic_admin_user).exists()


def test_workspace_shows_a_provider_only_the_rows_of_patients_they_may_see(registry):  # noqa: F811
    colleague = registry["colleague"].user
    client = sign_in(Client(), colleague)
    page = client.get(f"/workspace/reports/?{MARCH}").content.decode()
    a, b = registry["a"], registry["b"]
    assert a.last_name in page and b.last_name not in page
    assert "4 / 5" in page  # aggregates are unsuppressed for clinicians
    looked = AuditEvent.objects.filter(user=colleague, action="view").latest("id")
    assert a.pk in looked.patients and b.pk not in looked.patients


def test_workspace_csv_carries_the_allowed_rows_and_names_them_in_the_audit(registry):  # noqa: F811
    colleague = registry["colleague"].user
    body = sign_in(Client(), colleague).get(f"/workspace/reports/?{MARCH}&format=csv").content.decode()
    assert f"{registry['a'].pk},esi,2026-03-10,8.0,5.0,6.0,," in body
    event = AuditEvent.objects.filter(action="export", user=colleague).latest("id")
    assert event.patients == [registry["a"].pk]


def test_workspace_refuses_front_desk_and_clinic_admin(front_desk_user, clinic_admin_user):
    for user in (front_desk_user, clinic_admin_user):
        assert _get(user, "/workspace/reports/").status_code == 403


def test_outcome_windows_are_edited_in_the_admin_by_the_clinic_admin(clinic_admin_user, front_desk_user):
    window = windows()[0]
    client = sign_in(Client(), clinic_admin_user)
    response = client.post(
        f"/admin/reports/outcomewindow/{window.pk}/change/",
        {"key": "2w", "label": "2 weeks", "target_days": 14, "from_days": 10, "to_days": 20},
    )
    assert response.status_code == 302
    window.refresh_from_db()
    assert (window.from_days, window.to_days) == (10, 20)
    assert _get(front_desk_user, f"/admin/reports/outcomewindow/{window.pk}/change/").status_code == 403


def test_a_provider_sees_the_team_patient_only_through_the_policy(registry):  # noqa: F811
    # Put the colleague on B's team too: B appears.
    from careplans.models import CarePlan

    CareTeamMemberFactory(care_plan=CarePlan.objects.get(patient=registry["b"]), provider=registry["colleague"])
    page = _get(registry["colleague"].user, f"/workspace/reports/?{MARCH}").content.decode()
    assert registry["b"].last_name in page
    assert datetime.now(UTC).date() > date(2026, 3, 31)
