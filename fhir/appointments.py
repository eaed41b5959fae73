"""Appointment: read and search, plain create into a free Slot, cancel by PUT or JSON Patch, and
the IHE ITI Scheduling operations $find (ITI-115), $hold (ITI-116) and $book (ITI-117).

Every write goes through scheduling's services (appointment_book, appointment_hold_book,
appointment_cancel, appointment_reschedule), so the same checks, exclusion constraints, events
and audit apply as for the admin and the REST API; a slot taken meanwhile is SlotTaken → 409.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from clinic.models import Equipment, Location, Provider, Room
from clinic.selectors import patient_get_for_user, patient_queryset_for_user
from core.errors import NotFound, PermissionDenied
from fhir.codes import (
    APPOINTMENT_STATUS,
    APPOINTMENT_STATUS_SEARCH,
    APPOINTMENT_STATUS_VALUES,
    DISCIPLINE_SYSTEM,
    HOLD_EXPIRES_EXTENSION,
    coding,
    instant,
    ref,
)
from fhir.directory import patient_resource, practitioner_resource, room_resource, site_resource, visit_type_concept
from fhir.http import FhirError
from fhir.paging import Result, page_queryset
from fhir.schedule import DEFAULT_WINDOW, FreeSlot, free_slots, slot_rederive
from fhir.search import DEFAULT_COUNT, MAX_COUNT, Param, Query, date_bound, date_bounds, int_id, reference, token
from scheduling import services
from scheduling.models import Appointment, AppointmentStatus, VisitType
from scheduling.selectors import appointment_get_for_user, appointment_queryset_for_user

REGION_EXTENSION = "urn:pain-clinic:fhir:spinal-region"
LATERALITY_EXTENSION = "urn:pain-clinic:fhir:laterality"

APPOINTMENT_PARAMS = (
    Param("patient", "reference", "Patient/<id>"),
    Param("date", "date", "Appointment start (eq, ge, gt, le, lt; repeat to bound both ends)"),
    Param("practitioner", "reference", "Practitioner/<id>"),
    Param("location", "reference", "Location/site-<id> or Location/room-<id>"),
    Param("status", "token", "FHIR appointment status, comma-separated for any of several"),
)
APPOINTMENT_INCLUDES = ("Appointment:patient", "Appointment:practitioner", "Appointment:location", "Appointment:actor")


def _require_perm(user, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


# --- the resource -----------------------------------------------------------------------------
def _participants(*, patient_id, patient_display, provider, location_id, room, equipment) -> list[dict]:
    people = []
    if patient_id is not None:
        people.append({"actor": ref("Patient", patient_id, patient_display), "required": "required", "status": "accepted"})
    people.append({"actor": ref("Practitioner", provider.pk, provider.display_name), "required": "required", "status": "accepted"})
    people.append({"actor": ref("Location", f"site-{location_id}"), "required": "required", "status": "accepted"})
    if room is not None:
        people.append({"actor": ref("Location", f"room-{room.pk}", room.name), "required": "required", "status": "accepted"})
    for item in equipment:
        people.append({"actor": ref("Device", item.pk, item.name), "required": "required", "status": "accepted"})
    return people


def _visit_fields(vt: VisitType) -> dict:
    return {
        "serviceType": [visit_type_concept(vt)],
        "specialty": [{"coding": [coding(DISCIPLINE_SYSTEM, vt.discipline.code, vt.discipline.name)]}],
    }


def appointment_resource(a: Appointment) -> dict:
    zone = a.location.zone
    out = {
        "resourceType": "Appointment",
        "id": str(a.pk),
        "status": APPOINTMENT_STATUS[a.status],
        **_visit_fields(a.visit_type),
        "start": instant(a.start, zone),
        "end": instant(a.end, zone),
        "minutesDuration": a.visit_type.duration_minutes,
        "created": instant(a.created_at, zone),
        "participant": _participants(
            patient_id=a.patient_id,
            patient_display=a.patient.full_name,
            provider=a.provider,
            location_id=a.location_id,
            room=a.room,
            equipment=list(a.visit_type.required_equipment.all()),
        ),
    }
    if a.notes:
        out["comment"] = a.notes
    if a.status == AppointmentStatus.CANCELLED:
        out["cancelationReason"] = {"text": a.cancel_reason or "cancelled"}
    extensions = []
    if a.status == AppointmentStatus.HELD and a.hold_expires_at:
        extensions.append({"url": HOLD_EXPIRES_EXTENSION, "valueInstant": instant(a.hold_expires_at, zone)})
    if a.region:
        extensions.append({"url": REGION_EXTENSION, "valueCode": a.region})
    if a.laterality:
        extensions.append({"url": LATERALITY_EXTENSION, "valueCode": a.laterality})
    if extensions:
        out["extension"] = extensions
    return out


def _with_equipment(qs):
    return qs.prefetch_related(Prefetch("visit_type__required_equipment", queryset=Equipment.objects.order_by("id")))


def appointment_read(*, user, ident: str) -> dict:
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 12:
        raise NotFound(f"No Appointment with id {ident!r}.")
    appointment = appointment_get_for_user(user=user, pk=int(ident))
    return appointment_resource(
        _with_equipment(
            Appointment.objects.filter(pk=appointment.pk).select_related(
                "patient", "provider__discipline", "visit_type__discipline", "room", "location"
            )
        ).get()
    )


def appointment_search(*, user, query: Query) -> Result:
    qs = appointment_queryset_for_user(user=user)
    if refs := query.any_of("patient"):
        qs = qs.filter(patient_id__in=[int_id("patient", reference("patient", r, "Patient")) for r in refs])
    if refs := query.any_of("practitioner"):
        qs = qs.filter(provider_id__in=[int_id("practitioner", reference("practitioner", r, "Practitioner")) for r in refs])
    if refs := query.any_of("location"):
        idents = [reference("location", r, "Location") for r in refs]
        sites = [int_id("location", i, "site-") for i in idents if i.startswith("site-")]
        rooms = [int_id("location", i, "room-") for i in idents if not i.startswith("site-")]
        qs = qs.filter(location_id__in=sites) | qs.filter(room_id__in=rooms)
    lo, hi = date_bounds(query, "date")
    if lo is not None:
        qs = qs.filter(start__gte=lo)
    if hi is not None:
        qs = qs.filter(start__lt=hi)
    if codes := query.any_of("status"):
        ours = []
        for code in codes:
            value = token(code)[1]
            if value not in APPOINTMENT_STATUS_VALUES:
                raise FhirError(
                    f"status: {value[:40]!r} is not an appointment status ({', '.join(APPOINTMENT_STATUS_VALUES)}).", expression=["status"]
                )
            ours += APPOINTMENT_STATUS_SEARCH.get(value, [])
        qs = qs.filter(status__in=ours)
    result, rows = page_queryset(_with_equipment(qs.order_by("start", "id")), query, appointment_resource, user=user)
    result.included = _included(rows, query.includes, user=user)
    return result


def _included(rows: list[Appointment], includes: list[str], *, user) -> list[dict]:
    """The participants asked for, each type loaded in one query whatever the page size."""
    if not rows or not includes:
        return []
    wanted = set(includes)
    actor = "Appointment:actor" in wanted
    out: list[dict] = []
    if actor or "Appointment:patient" in wanted:
        patients = patient_queryset_for_user(user=user).filter(pk__in={a.patient_id for a in rows}).order_by("id")
        out += [patient_resource(p) for p in patients]
    if actor or "Appointment:practitioner" in wanted:
        out += [practitioner_resource(p) for p in Provider.objects.filter(pk__in={a.provider_id for a in rows}).order_by("id")]
    if actor or "Appointment:location" in wanted:
        out += [site_resource(s) for s in Location.objects.filter(pk__in={a.location_id for a in rows}).order_by("id")]
        out += [room_resource(r) for r in Room.objects.filter(pk__in={a.room_id for a in rows if a.room_id}).order_by("id")]
    return out


def _loaded(user, pk: int) -> dict:
    return appointment_read(user=user, ident=str(pk))


# --- reading a client's Appointment -----------------------------------------------------------
def _slot_id(resource: dict) -> str:
    slots = resource.get("slot")
    if not isinstance(slots, list) or len(slots) != 1 or not isinstance(slots[0], dict):
        raise FhirError("Name exactly one free Slot: slot: [{reference: 'Slot/<id>'}].", expression=["Appointment.slot"])
    raw = slots[0].get("reference")
    if not isinstance(raw, str):
        raise FhirError("slot[0].reference must be 'Slot/<id>'.", expression=["Appointment.slot"])
    return reference("Appointment.slot", raw, "Slot")


def _patient_id(resource: dict) -> int:
    found = []
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        raw = actor.get("reference") if isinstance(actor, dict) else None
        if isinstance(raw, str) and (raw.startswith("Patient/") or "/Patient/" in raw):
            found.append(int_id("Appointment.participant", reference("Appointment.participant", raw, "Patient")))
    if len(found) != 1:
        raise FhirError("Name exactly one Patient participant.", expression=["Appointment.participant"])
    return found[0]


def _extension(resource: dict, url: str) -> str:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            value = ext.get("valueCode")
            if not isinstance(value, str):
                raise FhirError(f"Extension {url} needs a valueCode.", expression=["Appointment.extension"])
            return value
    return ""


def _text(resource: dict, key: str, *subkeys: str) -> str:
    value = resource.get(key)
    for sub in subkeys:
        value = value.get(sub) if isinstance(value, dict) else None
    if value is not None and not isinstance(value, str):
        raise FhirError(f"{'.'.join((key, *subkeys))} must be a string.", expression=[f"Appointment.{'.'.join((key, *subkeys))}"])
    return value or ""


def _check_resource(resource, resource_type: str = "Appointment") -> dict:
    if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
        raise FhirError(f"Send a {resource_type} resource (resourceType {resource_type!r}).")
    return resource


def book_from_slot(*, user, resource: dict, hold: bool, now: datetime | None = None) -> Appointment:
    """Book (or hold) the Slot the Appointment names, for its Patient: the slot is searched again
    now, so a slot taken since it was offered is SlotTaken (409)."""
    now = now or timezone.now()
    _require_perm(user, "scheduling.add_appointment", "You may not book appointments.")
    slot_id = _slot_id(resource)
    patient = patient_get_for_user(user=user, pk=_patient_id(resource))
    free, _ = slot_rederive(slot_id, patient=patient, now=now, taken_error=True)
    return services.appointment_book(
        patient=patient,
        provider=Provider.objects.select_related("discipline").get(pk=free.slot.provider_id),
        visit_type=free.visit_type,
        start=free.slot.start,
        room=Room.objects.get(pk=free.slot.room_id),
        region=_extension(resource, REGION_EXTENSION),
        laterality=_extension(resource, LATERALITY_EXTENSION),
        notes=_text(resource, "comment"),
        booked_by=user,
        hold_minutes=settings.FHIR_HOLD_MINUTES if hold else None,
        now=now,
    )


def appointment_create(*, user, body) -> tuple[dict, int]:
    resource = _check_resource(body)
    if resource.get("status") not in (None, "booked"):
        raise FhirError("A created appointment is booked; use $hold to hold a slot.", expression=["Appointment.status"])
    appointment = book_from_slot(user=user, resource=resource, hold=False)
    return _loaded(user, appointment.pk), 201


def _change(*, user, appointment: Appointment, status: str | None, reason: str, resource: dict | None = None) -> Appointment:
    """The one path for PUT, JSON Patch and $book on an existing appointment."""
    _require_perm(user, "scheduling.change_appointment", "You may not change appointments.")
    current = APPOINTMENT_STATUS[appointment.status]
    if status == "cancelled":
        if current == "cancelled":
            return appointment
        if not reason.strip():
            raise FhirError("Cancelling needs cancelationReason.text.", expression=["Appointment.cancelationReason.text"])
        return services.appointment_cancel(appointment=appointment, reason=reason, by=user)
    if status == "booked" and appointment.status == AppointmentStatus.HELD:
        return services.appointment_hold_book(appointment=appointment, by=user)
    if resource is not None and resource.get("slot"):
        free, _ = slot_rederive(_slot_id(resource), taken_error=True)
        if free.slot.start != appointment.start or free.slot.provider_id != appointment.provider_id:
            if free.visit_type.pk != appointment.visit_type_id:
                raise FhirError(
                    "A moved appointment keeps its visit type: choose a slot of the same service type.", expression=["Appointment.slot"]
                )
            provider = Provider.objects.select_related("discipline").get(pk=free.slot.provider_id)
            return services.appointment_reschedule(appointment=appointment, start=free.slot.start, provider=provider, by=user)
        return appointment
    if status is None or status == current:
        return appointment
    raise FhirError(
        "Only these changes are supported: status cancelled with cancelationReason.text, booked for a held appointment, "
        "or another Slot (through $book) to move it.",
        status=422,
        issue="business-rule",
        expression=["Appointment.status"],
    )


def _existing(user, ident: str) -> Appointment:
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 12:
        raise NotFound(f"No Appointment with id {ident!r}.")
    return appointment_get_for_user(user=user, pk=int(ident))


def appointment_update(*, user, ident: str, body) -> tuple[dict, int]:
    resource = _check_resource(body)
    if resource.get("id") not in (None, ident):
        raise FhirError("The resource's id must match the URL.", expression=["Appointment.id"])
    appointment = _existing(user, ident)
    status = resource.get("status")
    if not isinstance(status, str):
        raise FhirError("status is required.", expression=["Appointment.status"])
    reason = _text(resource, "cancelationReason", "text")
    changed = _change(user=user, appointment=appointment, status=status, reason=reason)
    return _loaded(user, changed.pk), 200


def appointment_patch(*, user, ident: str, body) -> tuple[dict, int]:
    """JSON Patch limited to what a cancel needs: replace /status, and add or replace
    /cancelationReason (or /cancelationReason/text)."""
    if not isinstance(body, list) or not body:
        raise FhirError("Send a JSON Patch document (a list of operations).")
    status, reason = None, ""
    for op in body:
        if not isinstance(op, dict) or op.get("op") not in ("replace", "add", "test"):
            raise FhirError("Only replace, add and test operations are supported.")
        path, value = op.get("path"), op.get("value")
        if op["op"] == "test":
            continue
        if path == "/status" and isinstance(value, str):
            status = value
        elif path == "/cancelationReason" and isinstance(value, dict) and isinstance(value.get("text", ""), str):
            reason = value.get("text", "")
        elif path == "/cancelationReason/text" and isinstance(value, str):
            reason = value
        else:
            raise FhirError(f"Unsupported patch of {str(path)[:60]!r}: only /status and /cancelationReason can be changed.")
    appointment = _existing(user, ident)
    changed = _change(user=user, appointment=appointment, status=status, reason=reason)
    return _loaded(user, changed.pk), 200


# --- IHE ITI Scheduling operations ----------------------------------------------------------
def parameters(body) -> dict[str, list]:
    """A Parameters resource as {name: [value or resource, …]}."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError("Send a Parameters resource.")
    found: dict[str, list] = {}
    for entry in body.get("parameter") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise FhirError("Each parameter needs a name.")
        values = [v for k, v in entry.items() if k.startswith("value") or k == "resource"]
        if len(values) != 1:
            raise FhirError(f"Parameter {entry['name'][:40]!r} needs exactly one value.", expression=[entry["name"][:40]])
        found.setdefault(entry["name"], []).append(values[0])
    return found


def _as_text(name: str, value) -> str:
    """A value given as a string, code, Coding, CodeableConcept or Reference, as its text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "reference" in value and isinstance(value["reference"], str):
            return value["reference"]
        if "code" in value and isinstance(value["code"], str):
            return value["code"]
        codings = value.get("coding")
        if isinstance(codings, list) and codings and isinstance(codings[0], dict) and isinstance(codings[0].get("code"), str):
            return codings[0]["code"]
    raise FhirError(f"{name}: expected a code, Coding, CodeableConcept, Reference or string.", expression=[name])


def _single(params: dict[str, list], name: str):
    values = params.get(name, [])
    if len(values) > 1:
        raise FhirError(f"Give {name} at most once.", expression=[name])
    return values[0] if values else None


def appointment_find(*, user, body) -> tuple[dict, int]:
    """ITI-115: proposed appointments (free slots with the room and equipment the server chose)."""
    params = parameters(body)
    known = {"start", "end", "specialty", "appointment-type", "visit-type", "practitioner", "location", "patient", "_count"}
    if unknown := sorted(set(params) - known):
        raise FhirError(f"Unknown $find parameters: {', '.join(u[:40] for u in unknown)}.", expression=unknown)
    now = timezone.now()
    start = _single(params, "start")
    end = _single(params, "end")
    lo = date_bound("start", _as_text("start", start)).gte if start is not None else now
    hi = date_bound("end", _as_text("end", end)).gte if end is not None else None
    if lo is None:
        raise FhirError("start: give a date or dateTime.", expression=["start"])
    lo = max(lo, now)
    hi = hi or lo + DEFAULT_WINDOW
    codes = [_as_text("appointment-type", v) for v in params.get("appointment-type", []) + params.get("visit-type", [])]
    specialties = [_as_text("specialty", v) for v in params.get("specialty", [])]
    visit_types = VisitType.objects.filter(active=True).select_related("discipline").order_by("code")
    if codes:
        visit_types = visit_types.filter(code__in=[token(c)[1] for c in codes])
    elif specialties:
        visit_types = visit_types.filter(discipline__code__in=[token(s)[1] for s in specialties])
    else:
        raise FhirError(
            "Give appointment-type (a visit type code) or specialty (a discipline code).", expression=["appointment-type", "specialty"]
        )
    if codes and specialties:
        visit_types = visit_types.filter(discipline__code__in=[token(s)[1] for s in specialties])
    provider_id = location_id = room_id = None
    if (raw := _single(params, "practitioner")) is not None:
        provider_id = int_id("practitioner", reference("practitioner", _as_text("practitioner", raw), "Practitioner"))
    if (raw := _single(params, "location")) is not None:
        ident = reference("location", _as_text("location", raw), "Location")
        if ident.startswith("room-"):
            room_id = int_id("location", ident, "room-")
        else:
            location_id = int_id("location", ident, "site-")
    patient = None
    if (raw := _single(params, "patient")) is not None:
        patient = patient_get_for_user(user=user, pk=int_id("patient", reference("patient", _as_text("patient", raw), "Patient")))
    count = DEFAULT_COUNT
    if (raw := _single(params, "_count")) is not None:
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isascii() or not str(raw).isdigit():
            raise FhirError("_count must be a whole number.", expression=["_count"])
        count = int(raw)
        if not 1 <= count <= MAX_COUNT:
            raise FhirError(f"_count must be from 1 to {MAX_COUNT}.", expression=["_count"])
    search, stream = free_slots(
        visit_types=list(visit_types),
        start=lo,
        end=hi,
        provider_id=provider_id,
        room_id=room_id,
        location_id=location_id,
        patient=patient,
        now=now,
    )
    found: list[FreeSlot] = []
    for free in stream:
        found.append(free)
        if len(found) >= count:
            break
    # Names for the participants: three small queries whatever _count is.
    providers = Provider.objects.only("id", "first_name", "last_name", "credentials").in_bulk({f.slot.provider_id for f in found})
    rooms = Room.objects.only("id", "name").in_bulk({f.slot.room_id for f in found})
    equipment: dict[int, list[Equipment]] = {}
    needs = VisitType.required_equipment.through.objects.filter(visittype_id__in={f.visit_type.pk for f in found})
    for need in needs.select_related("equipment").order_by("equipment_id"):
        equipment.setdefault(need.visittype_id, []).append(need.equipment)
    entries = []
    for free in found:
        zone = search.zone(free.slot.location_id)
        proposed = {
            "resourceType": "Appointment",
            "status": "proposed",
            **_visit_fields(free.visit_type),
            "start": instant(free.slot.start, zone),
            "end": instant(free.slot.end, zone),
            "minutesDuration": free.visit_type.duration_minutes,
            "slot": [ref("Slot", free.id)],
            "participant": _participants(
                patient_id=getattr(patient, "pk", None),
                patient_display=getattr(patient, "full_name", ""),
                provider=providers[free.slot.provider_id],
                location_id=free.slot.location_id,
                room=rooms.get(free.slot.room_id),
                equipment=equipment.get(free.visit_type.pk, []),
            ),
        }
        entries.append({"resource": proposed, "search": {"mode": "match"}})
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries} if entries else {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 0,
    }, 200


def _operation_bundle(resource: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}


def _appointment_param(body) -> dict:
    params = parameters(body)
    if unknown := sorted(set(params) - {"appointment"}):
        raise FhirError(f"Unknown parameters: {', '.join(u[:40] for u in unknown)}.", expression=unknown)
    value = _single(params, "appointment")
    if value is None:
        raise FhirError("Give the appointment (as $find proposed it) in the parameter 'appointment'.", expression=["appointment"])
    return _check_resource(value)


def appointment_hold(*, user, body) -> tuple[dict, int]:
    """ITI-116: hold the proposed appointment's slot (our held status, expiring after FHIR_HOLD_MINUTES)."""
    resource = _appointment_param(body)
    if resource.get("id"):
        raise FhirError("Hold a proposed appointment (no id); it is held by its slot.", expression=["Appointment.id"])
    appointment = book_from_slot(user=user, resource=resource, hold=True)
    return _operation_bundle(_loaded(user, appointment.pk)), 200


def appointment_book_op(*, user, body) -> tuple[dict, int]:
    """ITI-117: create (no id: book the slot), or modify/cancel an existing appointment (id)."""
    resource = _appointment_param(body)
    ident = resource.get("id")
    if ident is None:
        if resource.get("status") not in (None, "proposed", "booked"):
            raise FhirError("A new appointment is booked from a proposed one.", expression=["Appointment.status"])
        appointment = book_from_slot(user=user, resource=resource, hold=False)
        return _operation_bundle(_loaded(user, appointment.pk)), 200
    if not isinstance(ident, str):
        raise FhirError("Appointment.id must be a string.", expression=["Appointment.id"])
    appointment = _existing(user, ident)
    status = resource.get("status")
    if status is not None and not isinstance(status, str):
        raise FhirError("Appointment.status must be a code.", expression=["Appointment.status"])
    changed = _change(
        user=user, appointment=appointment, status=status, reason=_text(resource, "cancelationReason", "text"), resource=resource
    )
    return _operation_bundle(_loaded(user, changed.pk)), 200
