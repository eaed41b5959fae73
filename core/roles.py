"""The four staff roles (auth groups). Names only; clinic.roles holds the permission table and
core.access decides what each role may see."""

from __future__ import annotations

FRONT_DESK = "Front desk"
PROVIDER = "Provider"
CARE_COORDINATOR = "Care coordinator"
CLINIC_ADMIN = "Clinic admin"
ROLES = (FRONT_DESK, PROVIDER, CARE_COORDINATOR, CLINIC_ADMIN)


def user_roles(user) -> set[str]:
    """The role names of an active, signed-in user (cached on the user object per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._clinic_roles = cached
    return cached
