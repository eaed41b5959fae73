"""Who and where: Patient, Practitioner, PractitionerRole, Location (sites and rooms), Device
(equipment) and HealthcareService (visit types)."""

from __future__ import annotations

from django.db.models import Q

from clinic.models import Equipment, Location, Patient, Provider, Room
from clinic.selectors import patient_get_for_user, patient_queryset_for_user
from core.errors import NotFound
from fhir.codes import (
    DISCIPLINE_SYSTEM,
    EQUIPMENT_SYSTEM,
    MRN_SYSTEM,
    NPI_SYSTEM,
    PHYSICAL_TYPE_SYSTEM,
    VISIT_TYPE_SYSTEM,
    billing_coding,
    coding,
    ref,
)
from fhir.paging import Result, page_list, page_queryset
from fhir.search import Param, Query, boolean, date_bounds, int_id, reference, token
from scheduling.models import VisitType


def _read_int(resource_type: str, ident: str, prefix: str = "") -> int:
    body = ident[len(prefix) :] if prefix and ident.startswith(prefix) else (None if prefix else ident)
    if body is None or not (body.isascii() and body.isdigit()) or len(body) > 12:
        raise NotFound(f"No {resource_type} with id {ident!r}.")
    return int(body)


# --- Patient ------------------------------------------------------------------------------------
PATIENT_PARAMS = (
    Param("_id", "token", "The patient's id"),
    Param("identifier", "token", f"The MRN ({MRN_SYSTEM}|MRN0000123 or MRN0000123)"),
    Param("name", "string", "Any part of the given or family name (starts with, case-insensitive)"),
    Param("birthdate", "date", "Date of birth (eq, ge, gt, le, lt)"),
)


def patient_resource(p: Patient) -> dict:
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": str(p.phone), "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    out = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "identifier": [{"use": "usual", "system": MRN_SYSTEM, "value": p.mrn}],
        "active": True,
        "name": [{"use": "official", "family": p.last_name, "given": [p.first_name]}],
        "birthDate": p.date_of_birth.isoformat(),
        "communication": [{"language": {"coding": [coding("urn:ietf:bcp:47", p.language)]}, "preferred": True}],
    }
    if telecom:
        out["telecom"] = telecom
    return out


def patient_read(*, user, ident: str) -> dict:
    return patient_resource(patient_get_for_user(user=user, pk=_read_int("Patient", ident)))


def patient_search(*, user, query: Query) -> Result:
    qs = patient_queryset_for_user(user=user)
    if ids := query.any_of("_id"):
        qs = qs.filter(pk__in=[int_id("_id", i) for i in ids])
    if idents := query.any_of("identifier"):
        qs = qs.filter(mrn__in=[token(i)[1] for i in idents])
    for name in query.values.get("name", []):
        qs = qs.filter(Q(first_name__istartswith=name) | Q(last_name__istartswith=name))
    lo, hi = date_bounds(query, "birthdate")
    if lo is not None:
        qs = qs.filter(date_of_birth__gte=lo.date())
    if hi is not None:
        qs = qs.filter(date_of_birth__lt=hi.date())
    result, _ = page_queryset(qs.order_by("last_name", "first_name", "id"), query, patient_resource, user=user)
    return result


# --- Practitioner, PractitionerRole -----------------------------------------------------------
PRACTITIONER_PARAMS = (
    Param("_id", "token", "The practitioner's id"),
    Param("identifier", "token", f"NPI ({NPI_SYSTEM}|1234567893 or the bare number)"),
    Param("name", "string", "Any part of the name (starts with, case-insensitive)"),
    Param("active", "token", "true or false"),
)


def practitioner_resource(p: Provider) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": str(p.pk),
        "identifier": [{"use": "official", "system": NPI_SYSTEM, "value": p.npi}],
        "active": p.active,
        "name": [{"use": "official", "family": p.last_name, "given": [p.first_name], "suffix": [p.credentials], "text": p.display_name}],
        "qualification": [{"code": {"text": p.credentials}}],
    }


def _providers():
    return Provider.objects.select_related("discipline").order_by("last_name", "first_name", "id")


def practitioner_read(*, user, ident: str) -> dict:
    provider = _providers().filter(pk=_read_int("Practitioner", ident)).first()
    if provider is None:
        raise NotFound(f"No Practitioner with id {ident!r}.")
    return practitioner_resource(provider)


def _provider_filters(qs, query: Query):
    if ids := query.any_of("_id"):
        qs = qs.filter(pk__in=[int_id("_id", i) for i in ids])
    if idents := query.any_of("identifier"):
        qs = qs.filter(npi__in=[token(i)[1] for i in idents])
    for name in query.values.get("name", []):
        qs = qs.filter(Q(first_name__istartswith=name) | Q(last_name__istartswith=name))
    if (active := query.one("active")) is not None:
        qs = qs.filter(active=boolean("active", active))
    return qs


def practitioner_search(*, user, query: Query) -> Result:
    result, _ = page_queryset(_provider_filters(_providers(), query), query, practitioner_resource, user=user)
    return result


ROLE_PARAMS = (
    Param("practitioner", "reference", "Practitioner/<id>"),
    Param("specialty", "token", f"Discipline code ({DISCIPLINE_SYSTEM})"),
    Param("active", "token", "true or false"),
)


def _discipline_services() -> dict[int, list[VisitType]]:
    services: dict[int, list[VisitType]] = {}
    for vt in VisitType.objects.filter(active=True).order_by("name", "id"):
        services.setdefault(vt.discipline_id, []).append(vt)
    return services


def role_resource(p: Provider, services: dict[int, list[VisitType]]) -> dict:
    out = {
        "resourceType": "PractitionerRole",
        "id": str(p.pk),
        "active": p.active,
        "practitioner": ref("Practitioner", p.pk, p.display_name),
        "specialty": [{"coding": [coding(DISCIPLINE_SYSTEM, p.discipline.code, p.discipline.name)]}],
    }
    if p.home_location_id:
        out["location"] = [ref("Location", f"site-{p.home_location_id}")]
    if vts := services.get(p.discipline_id):
        out["healthcareService"] = [ref("HealthcareService", vt.pk, vt.name) for vt in vts]
    return out


def role_read(*, user, ident: str) -> dict:
    provider = _providers().filter(pk=_read_int("PractitionerRole", ident)).first()
    if provider is None:
        raise NotFound(f"No PractitionerRole with id {ident!r}.")
    return role_resource(provider, _discipline_services())


def role_search(*, user, query: Query) -> Result:
    qs = _providers()
    if refs := query.any_of("practitioner"):
        qs = qs.filter(pk__in=[int_id("practitioner", reference("practitioner", r, "Practitioner")) for r in refs])
    if codes := query.any_of("specialty"):
        qs = qs.filter(discipline__code__in=[token(c)[1] for c in codes])
    if (active := query.one("active")) is not None:
        qs = qs.filter(active=boolean("active", active))
    services = _discipline_services()
    result, _ = page_queryset(qs, query, lambda p: role_resource(p, services), user=user)
    return result


# --- Location: sites and rooms ------------------------------------------------------------------
LOCATION_PARAMS = (
    Param("_id", "token", "site-<id> for a clinic site, room-<id> for a room"),
    Param("name", "string", "Name (starts with, case-insensitive)"),
    Param("partof", "reference", "Location/site-<id>: the rooms of a site"),
    Param("status", "token", "active or inactive"),
)


def site_resource(loc: Location) -> dict:
    out = {
        "resourceType": "Location",
        "id": f"site-{loc.pk}",
        "status": "active" if loc.active else "inactive",
        "name": loc.name,
        "mode": "instance",
        "physicalType": {"coding": [coding(PHYSICAL_TYPE_SYSTEM, "si", "Site")]},
        "address": {
            "line": [line for line in (loc.address_line1, loc.address_line2) if line],
            "city": loc.city,
            "state": loc.state,
            "postalCode": loc.postal_code,
        },
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": loc.time_zone}],
    }
    if loc.phone:
        out["telecom"] = [{"system": "phone", "value": str(loc.phone)}]
    return out


def room_resource(room: Room) -> dict:
    out = {
        "resourceType": "Location",
        "id": f"room-{room.pk}",
        "status": "active" if room.active else "inactive",
        "name": room.name,
        "mode": "instance",
        "type": [{"text": room.get_kind_display()}],
        "physicalType": {"coding": [coding(PHYSICAL_TYPE_SYSTEM, "ro", "Room")]},
        "partOf": ref("Location", f"site-{room.location_id}"),
    }
    return out


def location_read(*, user, ident: str) -> dict:
    if ident.startswith("room-"):
        room = Room.objects.filter(pk=_read_int("Location", ident, "room-")).first()
        if room is not None:
            return room_resource(room)
    elif ident.startswith("site-"):
        site = Location.objects.filter(pk=_read_int("Location", ident, "site-")).first()
        if site is not None:
            return site_resource(site)
    raise NotFound(f"No Location with id {ident!r}.")


def location_search(*, user, query: Query) -> Result:
    sites = Location.objects.order_by("name", "id")
    rooms = Room.objects.order_by("location__name", "name", "id")
    if ids := query.any_of("_id"):
        site_ids = [int_id("_id", i, "site-") for i in ids if i.startswith("site-")]
        room_ids = [int_id("_id", i, "room-") for i in ids if not i.startswith("site-")]
        sites, rooms = sites.filter(pk__in=site_ids), rooms.filter(pk__in=room_ids)
    for name in query.values.get("name", []):
        sites, rooms = sites.filter(name__istartswith=name), rooms.filter(name__istartswith=name)
    if refs := query.any_of("partof"):
        parents = [int_id("partof", reference("partof", r, "Location"), "site-") for r in refs]
        sites, rooms = sites.none(), rooms.filter(location_id__in=parents)
    if statuses := query.any_of("status"):
        wanted = {token(s)[1] for s in statuses}
        active = [flag for flag, code in ((True, "active"), (False, "inactive")) if code in wanted]
        sites, rooms = sites.filter(active__in=active), rooms.filter(active__in=active)
    items = [site_resource(s) for s in sites] + [room_resource(r) for r in rooms]
    return page_list(items, query, lambda item: item)


# --- Device (equipment) -------------------------------------------------------------------------
DEVICE_PARAMS = (
    Param("_id", "token", "The equipment's id"),
    Param("device-name", "string", "Name (starts with, case-insensitive)"),
    Param("type", "token", f"Equipment code ({EQUIPMENT_SYSTEM})"),
)


def device_resource(e: Equipment) -> dict:
    return {
        "resourceType": "Device",
        "id": str(e.pk),
        "identifier": [{"system": EQUIPMENT_SYSTEM, "value": e.code}],
        "status": "active",
        "deviceName": [{"name": e.name, "type": "user-friendly-name"}],
        "type": {"coding": [coding(EQUIPMENT_SYSTEM, e.code, e.name)]},
    }


def device_read(*, user, ident: str) -> dict:
    equipment = Equipment.objects.filter(pk=_read_int("Device", ident)).first()
    if equipment is None:
        raise NotFound(f"No Device with id {ident!r}.")
    return device_resource(equipment)


def device_search(*, user, query: Query) -> Result:
    qs = Equipment.objects.order_by("name", "id")
    if ids := query.any_of("_id"):
        qs = qs.filter(pk__in=[int_id("_id", i) for i in ids])
    for name in query.values.get("device-name", []):
        qs = qs.filter(name__istartswith=name)
    if codes := query.any_of("type"):
        qs = qs.filter(code__in=[token(c)[1] for c in codes])
    result, _ = page_queryset(qs, query, device_resource, user=user)
    return result


# --- HealthcareService (visit types) ------------------------------------------------------------
SERVICE_PARAMS = (
    Param("_id", "token", "The visit type's id"),
    Param("service-type", "token", f"Visit type code ({VISIT_TYPE_SYSTEM})"),
    Param("specialty", "token", f"Discipline code ({DISCIPLINE_SYSTEM})"),
    Param("active", "token", "true or false"),
)


def visit_type_concept(vt: VisitType) -> dict:
    """Our visit type code, with the CPT/HCPCS codes the clinic bills it with where it entered them."""
    return {"coding": [coding(VISIT_TYPE_SYSTEM, vt.code, vt.name), *(billing_coding(c) for c in vt.billing_codes)], "text": vt.name}


def service_resource(vt: VisitType) -> dict:
    out = {
        "resourceType": "HealthcareService",
        "id": str(vt.pk),
        "active": vt.active,
        "name": vt.name,
        "type": [visit_type_concept(vt)],
        "specialty": [{"coding": [coding(DISCIPLINE_SYSTEM, vt.discipline.code, vt.discipline.name)]}],
        "comment": f"{vt.duration_minutes} minutes" + (", procedure" if vt.is_procedure else "") + (", by video" if vt.telehealth else ""),
        "appointmentRequired": True,
    }
    return out


def _visit_types():
    return VisitType.objects.select_related("discipline").order_by("discipline__name", "name", "id")


def service_read(*, user, ident: str) -> dict:
    vt = _visit_types().filter(pk=_read_int("HealthcareService", ident)).first()
    if vt is None:
        raise NotFound(f"No HealthcareService with id {ident!r}.")
    return service_resource(vt)


def service_search(*, user, query: Query) -> Result:
    qs = _visit_types()
    if ids := query.any_of("_id"):
        qs = qs.filter(pk__in=[int_id("_id", i) for i in ids])
    if codes := query.any_of("service-type"):
        qs = qs.filter(code__in=[token(c)[1] for c in codes])
    if codes := query.any_of("specialty"):
        qs = qs.filter(discipline__code__in=[token(c)[1] for c in codes])
    if (active := query.one("active")) is not None:
        qs = qs.filter(active=boolean("active", active))
    result, _ = page_queryset(qs, query, service_resource, user=user)
    return result
