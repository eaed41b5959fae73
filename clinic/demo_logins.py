"""Demo staff logins, importable without Django (scripts/run.py prints them)."""

from clinic.roles import AUTHORIZATION_COORDINATOR, CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER
from core.dev_code import DEVELOPMENT_OTP_CODE

# The second-factor code of demo accounts that need one (`admin`; everyone with REQUIRE_2FA=true).
# Development only: seed_demo does not create it, and it does not verify, when APP_ENV=production.
DEMO_OTP_CODE = DEVELOPMENT_OTP_CODE

DEMO_PASSWORD = "clinic-demo-2026"
DEMO_USERS = {
    "frontdesk": FRONT_DESK,
    "provider": PROVIDER,
    "coordinator": CARE_COORDINATOR,
    "admin": CLINIC_ADMIN,
    "authdesk": AUTHORIZATION_COORDINATOR,  # also front desk (authorizations.demo adds the group)
}
