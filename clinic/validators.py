from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_npi(value: str) -> None:
    """NPI: ten digits whose check digit passes Luhn over the '80840' prefix plus the NPI
    (CMS, 'Requirements for NPI check digit')."""
    if not (isinstance(value, str) and len(value) == 10 and value.isdigit()):
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if not luhn_ok("80840" + value):
        raise ValidationError("This NPI fails the check-digit test; please re-check the number.", code="npi_check")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone such as America/New_York.", code="tz") from None


def validate_hex_colour(value: str) -> None:
    if not (len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])):
        raise ValidationError("Use a colour such as #1f77b4.", code="colour")
