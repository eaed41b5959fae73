"""Rows of the persona walk (tests/persona_walk/registry.py) for what no app owns: the site
root, health, the admin site itself (index, login, password, catalog, catch-all), the admins of
third-party models (users, groups, API tokens, periodic tasks) and the API schema and docs."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from rest_framework.authtoken.models import Token, TokenProxy

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
]

ADMIN = [
    admin_app_index_row("auth"),
    admin_app_index_row("authtoken"),
    admin_app_index_row("django_celery_beat"),
    *admin_model_rows(Group, _obj(Group)),
    *admin_model_rows(User, _obj(User)),
    Row(route="admin/auth/user/<id>/password/", url=lambda w: f"/admin/auth/user/{w.pk(User)}/password/", label="admin user password"),
    *admin_model_rows(TokenProxy, lambda world: world.obj(Token).key),
    *admin_model_rows(PeriodicTask, _obj(PeriodicTask)),
    *admin_model_rows(ClockedSchedule, _obj(ClockedSchedule)),
    *admin_model_rows(CrontabSchedule, _obj(CrontabSchedule)),
    *admin_model_rows(SolarSchedule, _obj(SolarSchedule)),
    *admin_model_rows(IntervalSchedule, _obj(IntervalSchedule)),
    admin_app_index_row("core"),
    *admin_model_rows(AuditEvent, _obj(AuditEvent)),
]

# The audit trail: the clinic admin's (and superusers'); every other role is refused outright.
API = [
    Row(
        route="api/v1/audit-events/",
        operation="GET /api/v1/audit-events/",
        url=lambda world: f"/api/v1/audit-events/?patient={world.patient.pk}",
        expect=expect_all(403, **{CLINIC_ADMIN: 200, ANONYMOUS: 401}),
    ),
]

ROWS = [*SITE, *ADMIN, *API]
