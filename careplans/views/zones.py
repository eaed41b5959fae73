"""The time zone workspace pages show times in."""

from __future__ import annotations

import zoneinfo

from django.conf import settings

from clinic.models import Location
from core import access


def workspace_zone(user):
    """The provider's home location's zone, else the clinic's first location's, else TIME_ZONE."""
    provider = access.provider_of(user)
    if provider is not None and provider.home_location_id:
        return provider.home_location.zone
    location = Location.objects.filter(active=True).order_by("id").first()
    return location.zone if location else zoneinfo.ZoneInfo(settings.TIME_ZONE)
