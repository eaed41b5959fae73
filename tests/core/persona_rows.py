"""Rows of the persona walk (tests/persona_walk/registry.py) for what no app owns: the site
root, health, the admin site itself (index, login, password, catalog, catch-all), the admins of
third-party models (users, groups, API tokens, authenticator devices, sign-in attempts, periodic
tasks), the API schema and docs, the second sign-in step and the API's sign-in."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from careplans.models import CarePlan
from core.models import AuditEvent
from tests.persona_walk.registry import ANONYMOUS, CLINIC_ADMIN, Row, admin_app_index_row, admin_model_rows, expect_all

User = get_user_model()


def _obj(model):
    return lambda world: world.obj(model)


def _view_on_site(world) -> str:
    content_type = ContentType.objects.get_for_model(CarePlan)
    return f"/admin/r/{content_type.pk}/{world.plan.pk}/"


SITE = [
    Row(route="", url="/", label="site root"),
    Row(route="healthz", url="/healthz"),
    Row(route="healthz/", url="/healthz/"),
    Row(route="admin/", url="/admin/", label="admin index"),
    Row(route="admin/login/", url="/admin/login/"),
    Row(route="admin/logout/", method="POST", url="/admin/logout/"),
    Row(route="admin/password_change/", url="/admin/password_change/"),
    Row(route="admin/password_change/done/", url="/admin/password_change/done/"),
    Row(route="admin/jsi18n/", url="/admin/jsi18n/"),
    Row(route="admin/r/<path:content_type_id>/<path:object_id>/", url=_view_on_site, label="admin view on site (care plan)"),
    Row(route="admin/(?P<url>.*)$", url="/admin/no-such-page/", label="admin catch-all"),
    Row(route="api/schema/", url="/api/schema/"),
    Row(route="api/docs/", url="/api/docs/"),
    Row(route="account/two-factor/", url="/account/two-factor/"),
    Row(route="account/two-factor/verify/", url="/account/two-factor/verify/"),
    Row(route="account/two-factor/enrol/", url="/account/two-factor/enrol/"),
    Row(
        route="account/two-factor/verify/",
        method="POST",
        url="/account/two-factor/verify/",
        data={"code": "000000"},
        label="POST two-factor code",
    ),
]

API = [
    # Signed-in staff get a token of their own; anonymous without credentials 400.
    Row(route="api/v1/auth/login/", operation="POST /api/v1/auth/login/", method="POST", json=True, url="/api/v1/auth/login/", data={}),
    # Token authentication only: a session has no token to revoke.
    Row(
        route="api/v1/auth/logout/",
        operation="POST /api/v1/auth/logout/",
        method="POST",
        json=True,
        url="/api/v1/auth/logout/",
        expect={"anonymous": 401},
    ),
    Row(
        route="api/v1/auth/logoutall/",
        operation="POST /api/v1/auth/logoutall/",
        method="POST",
        json=True,
        url="/api/v1/auth/logoutall/",
        expect={"anonymous": 401},
    ),
]

ADMIN = [
    admin_app_index_row("auth"),
    admin_app_index_row("knox"),
    admin_app_index_row("axes"),
    admin_app_index_row("otp_totp"),
    admin_app_index_row("django_celery_beat"),
    *admin_model_rows(Group, _obj(Group)),
    *admin_model_rows(User, _obj(User)),
    Row(route="admin/auth/user/<id>/password/", url=lambda w: f"/admin/auth/user/{w.pk(User)}/password/", label="admin user password"),
    *admin_model_rows(AuthToken, lambda world: world.obj(AuthToken).digest),
    *admin_model_rows(TOTPDevice, _obj(TOTPDevice)),
    *admin_model_rows(AccessAttempt, _obj(AccessAttempt)),
    *admin_model_rows(AccessLog, _obj(AccessLog)),
    *admin_model_rows(AccessFailureLog, _obj(AccessFailureLog)),
    *admin_model_rows(PeriodicTask, _obj(PeriodicTask)),
    *admin_model_rows(ClockedSchedule, _obj(ClockedSchedule)),
    *admin_model_rows(CrontabSchedule, _obj(CrontabSchedule)),
    *admin_model_rows(SolarSchedule, _obj(SolarSchedule)),
    *admin_model_rows(IntervalSchedule, _obj(IntervalSchedule)),
    admin_app_index_row("core"),
    *admin_model_rows(AuditEvent, _obj(AuditEvent)),
]

# The audit trail: the clinic admin's (and superusers'); every other role is refused outright.
AUDIT_API = [
    Row(
        route="api/v1/audit-events/",
        operation="GET /api/v1/audit-events/",
        url=lambda world: f"/api/v1/audit-events/?patient={world.patient.pk}",
        expect=expect_all(403, **{CLINIC_ADMIN: 200, ANONYMOUS: 401}),
    ),
]

ROWS = [*SITE, *API, *ADMIN, *AUDIT_API]
