"""A second-factor device for development only: the demo `admin` signs in with a fixed code that
`make run` prints, so a newcomer gets in at once. It never verifies when APP_ENV=production, and
seed_demo never creates one there (core.two_factor.development_code_device_ensure)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django_otp.models import Device

from core.dev_code import DEVELOPMENT_OTP_CODE


class DevelopmentCodeDevice(Device):
    class Meta:
        verbose_name = "development-only fixed code"

    def verify_token(self, token) -> bool:
        if settings.PRODUCTION:
            return False
        return hmac.compare_digest(str(token).strip(), DEVELOPMENT_OTP_CODE)
