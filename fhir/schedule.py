"""Schedule and Slot: computed from providers, rooms and the slot engine, never stored.

Ids are stable so a client can book by reference and the server can re-derive the slot:
Schedule `provider-<id>` / `room-<id>`; Slot `<schedule id>.<visit type code>.<UTC start
yyyymmddThhmmZ>`. A slot read or booked is searched again, with the engine, for exactly that
time: a slot that is no longer free is not found (read) or taken (booking, 409).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from clinic.models import Provider, Room
from core.errors import NotFound, SlotTaken, ValidationFailed
from fhir.codes import DISCIPLINE_SYSTEM, VISIT_TYPE_SYSTEM, coding, instant, ref
from fhir.directory import visit_type_concept
from fhir.http import FhirError
from fhir.paging import Result
from fhir.search import Param, Query, boolean, date_bounds, reference, token
from scheduling.inputs import MAX_SEARCH_DAYS
from scheduling.models import VisitType
from scheduling.slots import Slot, SlotSearch, search_range_check

DEFAULT_WINDOW = timedelta(days=28)
SLOT_TIME = "%Y%m%dT%H%MZ"
_SCHEDULE_ID = re.compile(r"^(provider|room)-(\d{1,12})$")


@dataclass(frozen=True)
class ScheduleRef:
    kind: str  # "provider" or "room"
    pk: int

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.pk}"


def schedule_ref(ident: str) -> ScheduleRef | None:
    m = _SCHEDULE_ID.match(ident)
    return ScheduleRef(m.group(1), int(m.group(2))) if m else None


# --- Schedule -----------------------------------------------------------------------------------
SCHEDULE_PARAMS = (
    Param("actor", "reference", "Practitioner/<id> or Location/room-<id>"),
    Param("active", "token", "true or false"),
    Param("date", "date", f"Schedules whose planning horizon (today to {MAX_SEARCH_DAYS} days ahead) covers this date"),
    Param("service-type", "token", f"Visit type code ({VISIT_TYPE_SYSTEM}) the schedule offers"),
)


class _Catalogue:
    """Visit types, with what each room can host, loaded once (four queries)."""

    def __init__(self):
        self.visit_types = list(VisitType.objects.filter(active=True).select_related("discipline").order_by("name", "id"))
        required: dict[int, set[int]] = {}
        for vt_id, eq_id in VisitType.required_equipment.through.objects.values_list("visittype_id", "equipment_id"):
            required.setdefault(vt_id, set()).add(eq_id)
        self.required = required
        self.room_equipment: dict[int, set[int]] = {}
        for room_id, eq_id in Room.equipment.through.objects.values_list("room_id", "equipment_id"):
            self.room_equipment.setdefault(room_id, set()).add(eq_id)

    def for_provider(self, provider: Provider) -> list[VisitType]:
        return [vt for vt in self.visit_types if vt.discipline_id == provider.discipline_id]

    def for_room(self, room: Room) -> list[VisitType]:
        have = self.room_equipment.get(room.pk, set())
        return [vt for vt in self.visit_types if vt.room_kind == room.kind and self.required.get(vt.pk, set()) <= have]


def _horizon(now: datetime) -> tuple[datetime, datetime]:
    today = timezone.localdate(now)
    start = datetime.combine(today, datetime.min.time(), timezone.get_default_timezone())
    return start, start + timedelta(days=MAX_SEARCH_DAYS)


def _schedule(ident: str, actor: dict, active: bool, services: list[VisitType], now: datetime, comment: str) -> dict:
    lo, hi = _horizon(now)
    out = {
        "resourceType": "Schedule",
        "id": ident,
        "active": active,
        "actor": [actor],
        "planningHorizon": {"start": instant(lo), "end": instant(hi)},
        "comment": comment,
    }
    if services:
        out["serviceType"] = [visit_type_concept(vt) for vt in services]
        specialties = {vt.discipline.code: vt.discipline for vt in services}
        out["specialty"] = [{"coding": [coding(DISCIPLINE_SYSTEM, code, d.name)]} for code, d in sorted(specialties.items())]
    return out


def provider_schedule(provider: Provider, catalogue: _Catalogue, now: datetime) -> dict:
    return _schedule(
        f"provider-{provider.pk}",
        ref("Practitioner", provider.pk, provider.display_name),
        provider.active,
        catalogue.for_provider(provider),
        now,
        "Working hours from the provider's weekly templates, extra sessions, time off and clinic closures.",
    )


def room_schedule(room: Room, catalogue: _Catalogue, now: datetime) -> dict:
    return _schedule(
        f"room-{room.pk}",
        ref("Location", f"room-{room.pk}", room.name),
        room.active,
        catalogue.for_room(room),
        now,
        "Time a room can host visits, with set-up and turnover buffers.",
    )


def schedule_read(*, user, ident: str) -> dict:
    sched = schedule_ref(ident)
    now = timezone.now()
    if sched is not None and sched.kind == "provider":
        provider = Provider.objects.select_related("discipline").filter(pk=sched.pk).first()
        if provider is not None:
            return provider_schedule(provider, _Catalogue(), now)
    elif sched is not None:
        room = Room.objects.filter(pk=sched.pk).first()
        if room is not None:
            return room_schedule(room, _Catalogue(), now)
    raise NotFound(f"No Schedule with id {ident!r} (ids are provider-<id> or room-<id>).")


def schedule_search(*, user, query: Query) -> Result:
    now = timezone.now()
    providers = Provider.objects.select_related("discipline").order_by("last_name", "first_name", "id")
    rooms = Room.objects.order_by("location__name", "name", "id")
    if refs := query.any_of("actor"):
        provider_ids, room_ids = [], []
        for raw in refs:
            kind = raw.rstrip("/").split("/")[-2] if "/" in raw else ""
            if kind == "Practitioner":
                provider_ids.append(_digits("actor", reference("actor", raw, "Practitioner")))
            elif kind == "Location":
                ident = reference("actor", raw, "Location")
                if not ident.startswith("room-"):
                    raise FhirError("actor: only rooms (Location/room-<id>) have schedules.", expression=["actor"])
                room_ids.append(_digits("actor", ident[5:]))
            else:
                raise FhirError("actor must be Practitioner/<id> or Location/room-<id>.", expression=["actor"])
        providers, rooms = providers.filter(pk__in=provider_ids), rooms.filter(pk__in=room_ids)
    if (active := query.one("active")) is not None:
        flag = boolean("active", active)
        providers, rooms = providers.filter(active=flag), rooms.filter(active=flag)
    lo, hi = date_bounds(query, "date")
    horizon_lo, horizon_hi = _horizon(now)
    if (lo is not None and lo >= horizon_hi) or (hi is not None and hi <= horizon_lo):
        providers, rooms = providers.none(), rooms.none()
    catalogue = _Catalogue()
    items = [provider_schedule(p, catalogue, now) for p in providers] + [room_schedule(r, catalogue, now) for r in rooms]
    if codes := query.any_of("service-type"):
        wanted = {token(c)[1] for c in codes}
        items = [s for s in items if wanted & {c["coding"][0]["code"] for c in s.get("serviceType", [])}]
    page = items[query.offset : query.offset + query.count]
    return Result(page, len(items), query.offset + len(page) < len(items))


def _digits(name: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise FhirError(f"{name}: {text[:70]!r} is not one of our ids.", expression=[name])
    return int(text)


# --- Slot ---------------------------------------------------------------------------------------
SLOT_PARAMS = (
    Param("schedule", "reference", "Schedule/provider-<id> or Schedule/room-<id>"),
    Param(
        "start",
        "date",
        f"Slot start: ge/gt and lt/le bound the search (default from now, {DEFAULT_WINDOW.days} days; at most {MAX_SEARCH_DAYS})",
    ),
    Param("status", "token", "free (the only status a computed slot has)"),
    Param("service-type", "token", f"Visit type code ({VISIT_TYPE_SYSTEM}); default every visit type of the schedule"),
)


@dataclass(frozen=True)
class FreeSlot:
    slot: Slot
    visit_type: VisitType
    schedule: ScheduleRef

    @property
    def id(self) -> str:
        return f"{self.schedule.id}.{self.visit_type.code}.{self.slot.start.astimezone(UTC).strftime(SLOT_TIME)}"


def slot_resource(free: FreeSlot, zone=None) -> dict:
    vt = free.visit_type
    return {
        "resourceType": "Slot",
        "id": free.id,
        "serviceType": [visit_type_concept(vt)],
        "specialty": [{"coding": [coding(DISCIPLINE_SYSTEM, vt.discipline.code, vt.discipline.name)]}],
        "schedule": ref("Schedule", free.schedule.id),
        "status": "free",
        "start": instant(free.slot.start, zone),
        "end": instant(free.slot.end, zone),
    }


def free_slots(
    *,
    visit_types: list[VisitType],
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
    room_id: int | None = None,
    location_id: int | None = None,
    patient=None,
    now: datetime | None = None,
) -> tuple[SlotSearch | None, Iterator[FreeSlot]]:
    """Free slots of several visit types, earliest first (start, provider, visit type), from one
    SlotSearch: its fixed number of queries whatever is taken from the stream."""
    now = now or timezone.now()
    try:
        search_range_check(start=start, end=end, now=now)
    except ValidationFailed as error:
        raise FhirError(
            f"start: {error.message} {' '.join(m for ms in error.field_errors.values() for m in ms)}".strip(), expression=["start"]
        ) from None
    if not visit_types:
        return None, iter(())
    search = SlotSearch(visit_types=visit_types, start=start, end=end, provider=provider_id, patient=patient, now=now)
    if room_id is not None:  # a room's schedule: only slots in that room
        search.rooms = {key: [r for r in rooms if r == room_id] for key, rooms in search.rooms.items()}

    def stream(vt: VisitType):
        for slot in search.iter_slots(vt):
            if location_id is not None and slot.location_id != location_id:
                continue
            sched = ScheduleRef("room", room_id) if room_id is not None else ScheduleRef("provider", slot.provider_id)
            yield (slot.start, slot.provider_id, vt.code), FreeSlot(slot, vt, sched)

    merged = heapq.merge(*(stream(vt) for vt in visit_types), key=lambda pair: pair[0])
    return search, (free for _, free in merged)


def _visit_types_by_code(name: str, codes: list[str]) -> list[VisitType]:
    wanted = {token(c)[1] for c in codes}
    found = list(VisitType.objects.filter(active=True, code__in=wanted).select_related("discipline").order_by("code"))
    return found


def slot_window(query: Query, now: datetime) -> tuple[datetime, datetime]:
    lo, hi = date_bounds(query, "start")
    lo = max(lo or now, now)
    hi = hi or lo + DEFAULT_WINDOW
    return lo, hi


def slot_search(*, user, query: Query) -> Result:
    now = timezone.now()
    sched = None
    if (raw := query.one("schedule")) is not None:
        sched = schedule_ref(reference("schedule", raw, "Schedule"))
        if sched is None:
            raise FhirError("schedule: ids are provider-<id> or room-<id>.", expression=["schedule"])
    statuses = query.any_of("status")
    if statuses is not None and "free" not in {token(s)[1] for s in statuses}:
        slot_window(query, now)  # its dates are still checked
        return Result([], 0, False)  # computed slots are only ever free
    codes = query.any_of("service-type")
    if codes is None and sched is None:
        raise FhirError("Search slots by schedule, service-type or both.", expression=["schedule", "service-type"])
    catalogue = _Catalogue() if codes is None else None
    provider = room = None
    if sched is not None and sched.kind == "provider":
        provider = Provider.objects.filter(pk=sched.pk).first()
    elif sched is not None:
        room = Room.objects.filter(pk=sched.pk).first()
    if sched is not None and provider is None and room is None:
        return Result([], 0, False)
    if codes is not None:
        visit_types = _visit_types_by_code("service-type", codes)
    elif provider is not None:
        visit_types = catalogue.for_provider(provider)
    else:
        visit_types = catalogue.for_room(room)
    lo, hi = slot_window(query, now)
    search, stream = free_slots(
        visit_types=visit_types, start=lo, end=hi, provider_id=getattr(provider, "pk", None), room_id=getattr(room, "pk", None), now=now
    )
    taken = []
    for index, free in enumerate(stream):
        if index >= query.offset + query.count + 1:
            break
        if index >= query.offset:
            taken.append(free)
    page = taken[: query.count]
    resources = [slot_resource(f, search.zone(f.slot.location_id)) for f in page]
    return Result(resources, None, len(taken) > query.count)


def slot_parse(ident: str) -> tuple[ScheduleRef, str, datetime]:
    parts = ident.split(".")
    if len(parts) != 3:
        raise NotFound(f"No Slot with id {ident!r} (ids are <schedule id>.<visit type code>.<UTC start yyyymmddThhmmZ>).")
    sched = schedule_ref(parts[0])
    try:
        start = datetime.strptime(parts[2], SLOT_TIME).replace(tzinfo=UTC)
    except ValueError:
        start = None
    if sched is None or start is None:
        raise NotFound(f"No Slot with id {ident!r} (ids are <schedule id>.<visit type code>.<UTC start yyyymmddThhmmZ>).")
    return sched, parts[1], start


def slot_rederive(ident: str, *, patient=None, now: datetime | None = None, taken_error: bool = False) -> tuple[FreeSlot, SlotSearch]:
    """The slot `ident` names, searched again now: NotFound for an id that names nothing, and for a
    slot no longer free either NotFound (a read) or SlotTaken (a booking, taken_error=True)."""
    now = now or timezone.now()
    sched, code, start = slot_parse(ident)
    vt = VisitType.objects.filter(active=True, code=code).select_related("discipline").first()
    if vt is None:
        raise NotFound(f"No Slot with id {ident!r}: no active visit type {code!r}.")
    end = start + timedelta(minutes=vt.duration_minutes)
    if start <= now:
        if taken_error:
            raise SlotTaken("That slot is in the past.", taken="slot")
        raise NotFound(f"Slot {ident!r} is in the past.")
    try:
        search_range_check(start=start, end=end, now=now)
    except ValidationFailed:
        raise NotFound(f"No Slot with id {ident!r}.") from None
    search, stream = free_slots(
        visit_types=[vt],
        start=start,
        end=end,
        provider_id=sched.pk if sched.kind == "provider" else None,
        room_id=sched.pk if sched.kind == "room" else None,
        patient=patient,
        now=now,
    )
    for free in stream:
        if free.slot.start == start:
            return free, search
        break
    if taken_error:
        raise SlotTaken("That slot is no longer free.", taken="slot")
    raise NotFound(f"Slot {ident!r} is not free (taken, outside working hours, or not on the booking grid).")


def slot_read(*, user, ident: str) -> dict:
    free, search = slot_rederive(ident)
    return slot_resource(free, search.zone(free.slot.location_id))
