"""The user admin is closed against privilege escalation: the clinic admin manages staff accounts
but cannot make anyone (themselves included) a superuser or a clinician, cannot take over another
account by setting its password, and cannot mint API tokens; a superuser still can do all of it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from knox.crypto import hash_token
from knox.models import AuthToken

from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, ON_CALL, PROVIDER
from tests.factories import UserFactory, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "taken-over-9876"


def _client(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _change_url(user) -> str:
    return f"/admin/auth/user/{user.pk}/change/"


def _change_data(user, **overrides) -> dict:
    """The user change form as the admin page would post it, unchanged unless overridden."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [perm.pk for perm in user.user_permissions.all()],
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _group_pks(*names: str) -> list[int]:
    return [Group.objects.get(name=name).pk for name in names]


def _form_errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.fixture
def provider_user(db):
    return UserFactory(username="dr-provider", role=PROVIDER)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@clinic.example", "pass-word-123")


def test_clinic_admin_cannot_make_themselves_superuser(clinic_admin_user):
    response = _client(clinic_admin_user).post(_change_url(clinic_admin_user), _change_data(clinic_admin_user, is_superuser="on"))

    assert response.status_code == 302  # the field is read-only for them: the posted value is ignored
    clinic_admin_user.refresh_from_db()
    assert clinic_admin_user.is_superuser is False


def test_clinic_admin_cannot_grant_raw_permissions(clinic_admin_user):
    perm = Permission.objects.get(content_type__app_label="careplans", codename="view_teamnote")

    response = _client(clinic_admin_user).post(_change_url(clinic_admin_user), _change_data(clinic_admin_user, user_permissions=[perm.pk]))

    assert response.status_code == 302
    assert not clinic_admin_user.user_permissions.exists()


def test_clinic_admin_cannot_add_themselves_to_the_provider_group(clinic_admin_user):
    data = _change_data(clinic_admin_user, groups=_group_pks(CLINIC_ADMIN, PROVIDER))

    response = _client(clinic_admin_user).post(_change_url(clinic_admin_user), data)

    assert response.status_code == 200
    assert "groups" in _form_errors(response)
    assert set(clinic_admin_user.groups.values_list("name", flat=True)) == {CLINIC_ADMIN}


def test_clinic_admin_cannot_change_their_own_staff_or_active_status(clinic_admin_user):
    data = _change_data(clinic_admin_user, is_staff=None, is_active=None)

    response = _client(clinic_admin_user).post(_change_url(clinic_admin_user), data)

    assert response.status_code == 200
    assert {"is_staff", "is_active"} <= set(_form_errors(response))
    clinic_admin_user.refresh_from_db()
    assert clinic_admin_user.is_staff and clinic_admin_user.is_active


@pytest.mark.parametrize("clinical_role", [PROVIDER, CARE_COORDINATOR])
def test_clinic_admin_cannot_put_a_colleague_in_a_clinical_role(clinic_admin_user, front_desk_user, clinical_role):
    data = _change_data(front_desk_user, groups=_group_pks(FRONT_DESK, clinical_role))

    response = _client(clinic_admin_user).post(_change_url(front_desk_user), data)

    assert response.status_code == 200
    assert "groups" in _form_errors(response)
    assert set(front_desk_user.groups.values_list("name", flat=True)) == {FRONT_DESK}


def test_clinic_admin_cannot_take_a_provider_out_of_their_clinical_role(clinic_admin_user, provider_user):
    response = _client(clinic_admin_user).post(_change_url(provider_user), _change_data(provider_user, groups=[]))

    assert response.status_code == 200
    assert "groups" in _form_errors(response)
    assert set(provider_user.groups.values_list("name", flat=True)) == {PROVIDER}


def test_clinic_admin_cannot_set_another_users_password(clinic_admin_user, provider_user):
    url = f"/admin/auth/user/{provider_user.pk}/password/"
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    response = _client(clinic_admin_user).post(url, data)

    assert response.status_code == 403
    provider_user.refresh_from_db()
    assert not provider_user.check_password(NEW_PASSWORD)


def test_clinic_admin_cannot_change_a_superusers_account(clinic_admin_user, superuser):
    response = _client(clinic_admin_user).post(_change_url(superuser), _change_data(superuser, is_active=None))

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active


def test_clinic_admin_cannot_delete_a_superuser_from_the_user_list(clinic_admin_user, superuser):
    data = {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"}

    response = _client(clinic_admin_user).post("/admin/auth/user/", data)

    assert response.status_code == 403
    assert type(superuser).objects.filter(pk=superuser.pk).exists()


def test_clinic_admin_cannot_add_an_api_token(clinic_admin_user, provider_user):
    response = _client(clinic_admin_user).post("/admin/knox/authtoken/add/", {"user": provider_user.pk})

    assert response.status_code == 403
    assert not AuthToken.objects.filter(user=provider_user).exists()


def test_clinic_admin_cannot_see_the_token_list(clinic_admin_user, provider_user):
    AuthToken.objects.create(user=provider_user)

    response = _client(clinic_admin_user).get("/admin/knox/authtoken/")

    assert response.status_code == 403


def test_clinic_admin_can_create_a_front_desk_user_and_give_them_the_front_desk_role(clinic_admin_user):
    client = _client(clinic_admin_user)

    added = client.post(
        "/admin/auth/user/add/",
        {"username": "new-desk", "password1": "first-pass-4321", "password2": "first-pass-4321", "usable_password": "true"},
    )
    assert added.status_code == 302
    new_user = type(clinic_admin_user).objects.get(username="new-desk")

    changed = client.post(_change_url(new_user), _change_data(new_user, is_staff="on", groups=_group_pks(FRONT_DESK)))

    assert changed.status_code == 302
    new_user.refresh_from_db()
    assert new_user.is_staff
    assert set(new_user.groups.values_list("name", flat=True)) == {FRONT_DESK}


def test_clinic_admin_can_make_a_colleague_a_clinic_admin(clinic_admin_user, front_desk_user):
    data = _change_data(front_desk_user, groups=_group_pks(FRONT_DESK, CLINIC_ADMIN))

    response = _client(clinic_admin_user).post(_change_url(front_desk_user), data)

    assert response.status_code == 302
    assert set(front_desk_user.groups.values_list("name", flat=True)) == {FRONT_DESK, CLINIC_ADMIN}


def test_superuser_can_grant_superuser_and_clinical_roles_set_passwords_and_add_tokens(superuser, clinic_admin_user, provider_user):
    client = _client(superuser)

    data = _change_data(clinic_admin_user, is_superuser="on", groups=_group_pks(CLINIC_ADMIN, PROVIDER))
    assert client.post(_change_url(clinic_admin_user), data).status_code == 302
    clinic_admin_user.refresh_from_db()
    assert clinic_admin_user.is_superuser
    assert set(clinic_admin_user.groups.values_list("name", flat=True)) == {CLINIC_ADMIN, PROVIDER}

    password = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    assert client.post(f"/admin/auth/user/{provider_user.pk}/password/", password).status_code == 302
    provider_user.refresh_from_db()
    assert provider_user.check_password(NEW_PASSWORD)

    # The token is shown once, on the page answering the form; the database keeps its digest.
    issued = client.post("/admin/knox/authtoken/add/", {"user": provider_user.pk})
    assert issued.status_code == 200
    (stored,) = AuthToken.objects.filter(user=provider_user)
    token = issued.context["token"]
    assert stored.digest == hash_token(token) and token not in client.get("/admin/knox/authtoken/").content.decode()


# --- the On-call rota: the clinic admin sets its members, who must be clinicians -------------


def test_clinic_admin_puts_a_provider_on_call_and_takes_them_off(clinic_admin_user, provider_user):
    client = _client(clinic_admin_user)

    on = client.post(_change_url(provider_user), _change_data(provider_user, groups=_group_pks(PROVIDER, ON_CALL)))
    assert on.status_code == 302
    assert set(provider_user.groups.values_list("name", flat=True)) == {PROVIDER, ON_CALL}

    off = client.post(_change_url(provider_user), _change_data(provider_user, groups=_group_pks(PROVIDER)))
    assert off.status_code == 302
    assert set(provider_user.groups.values_list("name", flat=True)) == {PROVIDER}


def test_nobody_puts_a_non_clinician_on_call(clinic_admin_user, superuser, front_desk_user):
    for acting in (clinic_admin_user, superuser):
        response = _client(acting).post(_change_url(front_desk_user), _change_data(front_desk_user, groups=_group_pks(FRONT_DESK, ON_CALL)))
        assert response.status_code == 200
        assert "groups" in _form_errors(response)
    assert set(front_desk_user.groups.values_list("name", flat=True)) == {FRONT_DESK}


def test_the_on_call_group_grants_no_permission_of_its_own():
    assert not Group.objects.get(name=ON_CALL).permissions.exists()
