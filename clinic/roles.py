"""The staff roles and exactly the permissions each needs.

Groups are created by a data migration (clinic/migrations/0002_roles.py); their permissions are
re-applied after every migrate from this one table, because permissions for models of later
apps only exist once migrate has finished. Entries that do not exist (yet) are skipped.
"""

from __future__ import annotations

from core.roles import AUTHORIZATION_COORDINATOR, CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, ON_CALL, PROVIDER, ROLES  # noqa: F401 - the names live in core


def _crud(app: str, model: str, actions: str = "vacd") -> list[str]:
    names = {"v": "view", "a": "add", "c": "change", "d": "delete"}
    return [f"{app}.{names[a]}_{model}" for a in actions]


_REFERENCE_READ = [
    "clinic.view_discipline",
    "clinic.view_location",
    "clinic.view_traveltime",
    "clinic.view_room",
    "clinic.view_equipment",
    "clinic.view_payer",
    "clinic.view_provider",
    "scheduling.view_visittype",
    "scheduling.view_availabilitytemplate",
    "scheduling.view_availabilityexception",
    "scheduling.view_clinicclosure",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Registers patients, books and works the day; sees contact and scheduling data, not clinical content.
    FRONT_DESK: [
        *_REFERENCE_READ,
        *_crud("clinic", "patient", "vac"),
        "clinic.view_consentevent",
        *_crud("scheduling", "appointment", "vac"),
        "scheduling.view_appointmentevent",  # the appointment's audit trail on its page
        *_crud("scheduling", "appointmentseries", "vac"),
        *_crud("scheduling", "appointmentbundle", "vac"),
        *_crud("scheduling", "waitlistentry", "vacd"),
        *_crud("scheduling", "bookingticket", "vac"),
        "messaging.view_message",
        "messaging.change_message",  # resend failed messages (the admin is otherwise read-only)
        "messaging.view_failedmessage",
        "messaging.view_inboundsms",  # the texts behind the front-desk queue's tasks
        "careplans.view_task",
        "careplans.change_task",  # the front-desk queue (inbound SMS)
        "authorizations.view_authorization",  # the status, not the evidence (authorizations.policy)
        "authorizations.view_authorizationline",
    ],
    PROVIDER: [
        *_REFERENCE_READ,
        "clinic.view_patient",
        "clinic.change_patient",
        "clinic.view_consentevent",
        *_crud("scheduling", "appointment", "vac"),
        "scheduling.override_payer_rule",
        "scheduling.view_waitlistentry",
        *_crud("scheduling", "bookingticket", "vac"),  # order a follow-up the patient books
        "authorizations.view_authorization",
        "authorizations.view_authorizationline",
        "authorizations.override_authorization",
        "messaging.view_message",
        *_crud("careplans", "careplan", "vac"),
        *_crud("careplans", "goal", "vacd"),
        *_crud("careplans", "problem", "vacd"),
        *_crud("careplans", "careteammember", "vac"),
        *_crud("careplans", "activity", "vac"),
        *_crud("careplans", "task", "vac"),
        *_crud("careplans", "teamnote", "va"),
        *_crud("careplans", "questionnaireresponse", "va"),
        *_crud("careplans", "checklistitem", "vc"),
    ],
    CARE_COORDINATOR: [
        *_REFERENCE_READ,
        "clinic.view_patient",
        "clinic.change_patient",
        "clinic.view_consentevent",
        *_crud("scheduling", "appointment", "vac"),
        *_crud("scheduling", "waitlistentry", "vac"),
        *_crud("scheduling", "bookingticket", "vac"),
        "messaging.view_message",
        "messaging.change_message",
        "messaging.view_failedmessage",
        "authorizations.view_authorization",
        "authorizations.view_authorizationline",
        *_crud("careplans", "careplan", "vac"),
        *_crud("careplans", "goal", "vac"),
        *_crud("careplans", "careteammember", "vacd"),
        *_crud("careplans", "activity", "vac"),
        *_crud("careplans", "task", "vac"),
        *_crud("careplans", "teamnote", "va"),
        *_crud("careplans", "questionnaireresponse", "va"),
        *_crud("careplans", "checklistitem", "vc"),
    ],
    # Configures the clinic: catalogue, schedules, protocols, payer rules, templates, users.
    CLINIC_ADMIN: [
        "@clinic",
        "@scheduling",
        "@messaging",
        "@careplans",
        "@authorizations",
        "@django_celery_beat",
        "@reports",  # the outcome registry's follow-up windows
        "scheduling.override_payer_rule",
        *_crud("auth", "user"),
        *_crud("auth", "group", "v"),
        # Locked-out sign-ins (django-axes): deleting the attempt unlocks that username + address.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        # No API token permissions (knox): a token minted in the admin for a provider is a way to
        # read charts as that provider. A superuser issues tokens for others; staff get their own
        # from POST /api/v1/auth/login/.
    ],
    # The on-call rota: membership only (crisis alerts, a look at open STAT tasks, through
    # careplans.policy); its members' permissions come from their clinical role.
    ON_CALL: [],
    # Prior authorizations: requests, payer decisions, attachments; the scheduling it reads comes
    # from the front-desk role most holders also have.
    AUTHORIZATION_COORDINATOR: [
        *_REFERENCE_READ,
        "clinic.view_patient",
        "scheduling.view_appointment",
        *_crud("authorizations", "authorization", "vac"),
        *_crud("authorizations", "authorizationline", "vacd"),
        *_crud("authorizations", "authorizationdocument", "va"),
        "authorizations.view_authorizationevent",
        "authorizations.view_requirementrule",
        "authorizations.view_payerauthorizationterms",
        "careplans.view_task",
        "careplans.change_task",  # the authorization queue
    ],
}


def sync_role_permissions(sender=None, **kwargs) -> None:
    """Idempotent: make each role group hold exactly the permissions in ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    # "@app" is every permission of the app.
    # Groups are (re)created here too: a test database flush empties auth_group and then emits
    # post_migrate, and the roles must come back with it.
    all_perms = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")}
    for role, entries in ROLE_PERMISSIONS.items():
        wanted = []
        for entry in entries:
            if entry.startswith("@"):
                wanted += [p for key, p in all_perms.items() if key.split(".")[0] == entry[1:]]
            elif entry in all_perms:
                wanted.append(all_perms[entry])
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(wanted)
