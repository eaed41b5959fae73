"""Demo staff logins, importable without Django (scripts/run.py prints them)."""

from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER

DEMO_PASSWORD = "clinic-demo-2026"
DEMO_USERS = {
    "frontdesk": FRONT_DESK,
    "provider": PROVIDER,
    "coordinator": CARE_COORDINATOR,
    "admin": CLINIC_ADMIN,
}
