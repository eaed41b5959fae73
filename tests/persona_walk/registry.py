"""The persona walk's table: every URL of the product, how to reach it with real ids, and what
each persona may get back.

Each app registers its own rows beside its tests, in `tests/<app>/persona_rows.py`, as a list
`ROWS` of `Row` (or `pytest.param(Row(...), marks=...)` to mark a known leak). `rows()` collects
them; the walk fails when a URL pattern of the resolver, an operation of the OpenAPI schema or an
admin autocomplete field has no row.

Every persona walked is refused the seeded patient's clinical record, so none of them may ever
receive a canary. `expect` pins the status a persona gets where the policy gives one answer;
`shows` names the canaries the on-team clinician (the control) must see on that page, which
proves the canaries are rendered where they belong and the walk can fail.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

APPS = ("core", "clinic", "scheduling", "messaging", "careplans", "authorizations", "reports", "fhir")

# --- personas ---------------------------------------------------------------------------------
FRONT_DESK = "front_desk"
PT_OFF_TEAM = "physical_therapist_off_team"
ANESTHESIOLOGIST_OFF_TEAM = "anesthesiologist_off_team"
OTHER_COORDINATOR = "coordinator_of_another_plan"
CLINIC_ADMIN = "clinic_admin"
ANONYMOUS = "anonymous"
REFUSED = (FRONT_DESK, PT_OFF_TEAM, ANESTHESIOLOGIST_OFF_TEAM, OTHER_COORDINATOR, CLINIC_ADMIN, ANONYMOUS)
ON_TEAM = "on_team_clinician"  # the control: allowed, must see the canaries where `shows` says

CLINICIANS_OFF_TEAM = (PT_OFF_TEAM, ANESTHESIOLOGIST_OFF_TEAM, OTHER_COORDINATOR)
WHOLE_CLINIC_STAFF = (FRONT_DESK, CLINIC_ADMIN)
STAFF = (*WHOLE_CLINIC_STAFF, *CLINICIANS_OFF_TEAM)

# --- canaries: one distinct string per piece of clinical content of the seeded patient ---------
CANARIES = {
    "plan": "CANARY-PLAN-7f3a",
    "plan_description": "CANARY-PLANDESC-1c0e",
    "problem": "CANARY-PROBLEM-2b9c",
    "goal": "CANARY-GOAL-5e1d",
    "note": "CANARY-NOTE-8a4f",
    "activity": "CANARY-ACTIVITY-77d1",
    "task": "CANARY-TASK-3c7e",
    "task_description": "CANARY-TASKDESC-91ab",
    "answer": "CANARY-ANSWER-6d2f",
    "complication": "CANARY-COMPLICATION-4e8b",  # a recorded complication (free value)
    "procedure_note": "CANARY-PROCNOTE-b25c",
    "checklist": "CANARY-CHECKLIST-0f5a",
}


PATIENT_NAME = "Walkpatient"  # the canary patient's first name (demographics, not clinical)
NOT_GRANTED_DEMOGRAPHICS = (*CLINICIANS_OFF_TEAM, ANONYMOUS)

# Clinical values that are not free text (% relief, the anticoagulant, the diabetic flag) are
# seeded with distinctive values and found by pattern, in HTML (admin fields, workspace) and JSON.
RELIEF = 73
CANARY_PATTERNS = {
    "relief": re.compile(rf"(?<!name=\")relief_percent[^\w=%&].{{0,300}}?(?<![\d.]){RELIEF}(?![\d.])|Relief[^<]{{0,20}}{RELIEF}\s*%", re.S),
    "anticoagulant": re.compile(
        r'name="anticoagulants"[^>]*checked[^>]*>\s*Apixaban|"anticoagulants?":\s*\[?"apixaban"|Anticoagulants?:\s*(?:</label>\s*)?(?:<[^>]+>\s*)*Apixaban',
        re.S | re.I,
    ),
    "diabetic": re.compile(r'name="diabetic"[^>]*checked|field-diabetic.{0,300}?icon-yes|"diabetic":\s*true|Diabetic:\s*yes', re.S | re.I),
}


def canaries_in(text: str) -> list[str]:
    """The canaries (strings and patterns) found in a response's headers and body."""
    found = [key for key, canary in CANARIES.items() if canary in text]
    squeezed = re.sub(r"\s+", " ", text)
    return found + [key for key, pattern in CANARY_PATTERNS.items() if pattern.search(squeezed)]


@dataclass(frozen=True)
class Row:
    """One URL to walk.

    route: the resolver pattern it covers ("workspace/patients/<int:pk>/"), as `url_routes()`
      spells it; operation: the OpenAPI operation it covers ("GET /api/v1/patients/{id}/").
    url: the concrete URL, or a function of the seeded world giving it.
    data: the POST body (a dict, or a function of the world); sent as JSON when json=True.
    expect: the one status a persona gets here (personas left out: any non-5xx status).
    shows: canary keys the on-team clinician must receive here.
    forbid: further strings the refused personas must not receive here (e.g. the patient's name
      in a list filtered by a clinical field: the filter itself would tell the clinical fact);
      the on-team clinician must receive them, so the filter is shown to find the patient.
    lists_patients: a list or search of patients by name: the off-team clinicians and anonymous
      must not find the canary patient in it (demographics are theirs only through a grant), the
      on-team clinician must.
    unchanged: for writes, a snapshot of what the request would change; it must stay the same for
      every refused persona, and change for the on-team clinician (so the write is a real one).
    """

    route: str
    url: str | Callable[[Any], str]
    method: str = "GET"
    operation: str = ""
    data: Mapping | Callable[[Any], Mapping] | None = None
    json: bool = False
    expect: Mapping[str, int] = field(default_factory=dict)
    shows: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()  # more strings no refused persona may receive here
    lists_patients: bool = False  # a list of patients: the canary patient only for those who may see them
    unchanged: Callable[[Any], Any] | None = None  # a snapshot no refused persona's request may change
    label: str = ""
    autocomplete: tuple[str, str, str] | None = None  # (app_label, model_name, field_name)

    @property
    def id(self) -> str:
        return f"{self.method} {self.label or self.operation or self.route}"

    def resolve_url(self, world) -> str:
        return self.url(world) if callable(self.url) else self.url

    def resolve_data(self, world):
        return self.data(world) if callable(self.data) else self.data


def expect_all(status: int, personas=REFUSED, **overrides: int) -> dict[str, int]:
    """{persona: status} for the given personas, with per-persona overrides."""
    table = dict.fromkeys(personas, status)
    table.update(overrides)
    return table


# The policy's answers where it gives one (core.access.require): a role that never may is refused
# with 403, a role that may but not for this patient gets 404 (as for a patient that does not
# exist), and an anonymous API caller 401.
CLINICAL_WRITE_REFUSED = {**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401}
NOT_YOUR_PATIENT = {**expect_all(200, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401}


# --- admin rows -------------------------------------------------------------------------------


def admin_model_rows(
    model,
    obj: Callable[[Any], Any],
    *,
    shows: tuple[str, ...] = (),
    list_shows: tuple[str, ...] = (),
    expect_change: Mapping[str, int] | None = None,
) -> list[Row]:
    """Changelist, add form, change page, history, delete confirmation and the bare-id redirect of
    one model registered in the admin. `obj(world)` is the seeded object whose pages are walked;
    the on-team clinician must see `shows` on its change page and `list_shows` in the changelist."""
    app, name = model._meta.app_label, model._meta.model_name
    base = f"admin/{app}/{name}/"

    def page(suffix: str) -> Callable[[Any], str]:
        return lambda world: f"/{base}{_pk(obj(world))}/{suffix}"

    return [
        Row(route=base, url=f"/{base}", label=f"admin {app}.{name} changelist", shows=list_shows),
        Row(route=f"{base}add/", url=f"/{base}add/", label=f"admin {app}.{name} add"),
        Row(
            route=f"{base}<path:object_id>/change/",
            url=page("change/"),
            label=f"admin {app}.{name} change",
            shows=shows,
            expect=expect_change or {},
        ),
        Row(route=f"{base}<path:object_id>/history/", url=page("history/"), label=f"admin {app}.{name} history"),
        Row(route=f"{base}<path:object_id>/delete/", url=page("delete/"), label=f"admin {app}.{name} delete"),
        Row(route=f"{base}<path:object_id>/", url=page(""), label=f"admin {app}.{name} bare id"),
    ]


def admin_app_index_row(app_label: str) -> Row:
    route = next(route for route in url_routes() if route.startswith("admin/^(?P<app_label>"))
    return Row(route=route, url=f"/admin/{app_label}/", label=f"admin {app_label} app index")


def autocomplete_row(model, field_name: str, term: str = "", *, lists_patients: bool = False) -> Row:
    """The admin autocomplete endpoint as a widget on `model.field_name` calls it (term empty:
    every choice the persona is offered)."""
    app, name = model._meta.app_label, model._meta.model_name
    return Row(
        route="admin/autocomplete/",
        url=f"/admin/autocomplete/?app_label={app}&model_name={name}&field_name={field_name}&term={term}",
        label=f"admin autocomplete {app}.{name}.{field_name}",
        autocomplete=(app, name, field_name),
        lists_patients=lists_patients,
    )


def _pk(obj) -> str:
    return str(getattr(obj, "pk", obj) or 0)


# --- collection -------------------------------------------------------------------------------


def rows() -> list:
    """Every app's rows, as pytest params with readable ids (known leaks keep their xfail)."""
    collected = []
    for app in APPS:
        module = importlib.import_module(f"tests.{app}.persona_rows")
        for entry in module.ROWS:
            if isinstance(entry, Row):
                collected.append(pytest.param(entry, id=f"{app}: {entry.id}"))
            else:  # a pytest.param(Row, marks=...)
                (row,) = entry.values
                collected.append(pytest.param(row, marks=entry.marks, id=f"{app}: {row.id}"))
    return collected


def plain_rows() -> list[Row]:
    return [param.values[0] for param in rows()]


def url_routes() -> list[str]:
    """Every pattern of the URL resolver, as the concatenated route string (admin included)."""
    return sorted(set(_walk(get_resolver().url_patterns, "")))


def _walk(patterns, prefix: str) -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def openapi_operations() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(f"{method.upper()} {path}" for path, operations in schema["paths"].items() for method in operations)


def autocomplete_fields() -> list[tuple[str, str, str]]:
    """(app_label, model_name, field_name) of every autocomplete widget in the admin, inlines
    included: each is an endpoint of its own for the walk."""
    found = set()
    for model, model_admin in admin.site._registry.items():
        holders = [(model, model_admin)] + [(inline.model, inline) for inline in model_admin.inlines]
        for holder_model, holder in holders:
            for field_name in getattr(holder, "autocomplete_fields", ()):
                found.add((holder_model._meta.app_label, holder_model._meta.model_name, field_name))
    return sorted(found)
