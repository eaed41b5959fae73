"""Travel time between locations: the buffer a provider needs between visits at two places."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from clinic.models import TravelTime


def travel_matrix(location_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """Minutes from each location to each other one of `location_ids` (one query). A pair's own
    row wins; otherwise the reverse pair's row; otherwise TRAVEL_DEFAULT_MINUTES. Same
    location: 0 (absent from the map)."""
    ids = sorted(set(location_ids))
    if len(ids) < 2:
        return {}
    rows = {
        (o, d): m
        for o, d, m in TravelTime.objects.filter(origin_id__in=ids, destination_id__in=ids).values_list("origin_id", "destination_id", "minutes")
    }
    default = settings.TRAVEL_DEFAULT_MINUTES
    return {(a, b): rows.get((a, b), rows.get((b, a), default)) for a in ids for b in ids if a != b}


def travel_minutes(origin_id: int, destination_id: int) -> int:
    if origin_id == destination_id:
        return 0
    return travel_matrix([origin_id, destination_id])[(origin_id, destination_id)]
