"""The staff roles (auth groups). Names only; clinic.roles holds the permission table and
core.access decides what each role may see."""

from __future__ import annotations

FRONT_DESK = "Front desk"
PROVIDER = "Provider"
CARE_COORDINATOR = "Care coordinator"
CLINIC_ADMIN = "Clinic admin"
# Works payers' prior authorizations (HIPAA: payment). Front-desk staff may also hold it; it opens
# the evidence pack and attachments of patients with an authorization in the queue, nothing else
# clinical (authorizations.policy), every such look recorded.
AUTHORIZATION_COORDINATOR = "Authorization coordinator"
# A rota, not a role of its own: clinicians in it are alerted (SMS + email) of crisis answers and
# red flags whoever the patient's team is, and may look at open STAT tasks. It grants no
# permission and opens no record by itself, so the clinic admin sets its members.
ON_CALL = "On-call"
ROLES = (FRONT_DESK, PROVIDER, CARE_COORDINATOR, CLINIC_ADMIN, ON_CALL, AUTHORIZATION_COORDINATOR)


def user_roles(user) -> set[str]:
    """The role names of an active, signed-in user (cached on the user object per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._clinic_roles = cached
    return cached
