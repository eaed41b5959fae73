"""The one access policy: may this user do this to this patient's data of this kind?

Every read of patient data is built from two entry points:

- `patients(user, kind, action=VIEW) -> QuerySet[Patient]`: the patients whose `kind` of data
  the user may see (or change);
- `can(user, action, patient=…, kind=…) -> bool`, and `require(...)`, which raises
  PermissionDenied (403) when the user's role never may, NotFound (404) when it may but not for
  this patient (the same answer as for a patient that does not exist).

`scope(queryset, user, kind)` narrows any queryset of a protected model (one registered with
`protect`) to the rows of those patients; the admin, the API, the workspace, feeds, exports and
task queues all use it.

The policy (shared/DESIGN.md §1, issue "One way in"):

| role | every patient | patients they have a reason to see (grants) |
|---|---|---|
| front desk, clinic admin | demographics, scheduling, messages | nothing clinical |
| provider | nothing | everything, through a grant |
| care coordinator | nothing | everything, through a grant |

Grants are what ties a user to a patient. This module knows none of them: each app registers
its own in `AppConfig.ready()` (scheduling: a provider's appointments from 30 days ago to 30
days ahead, a coordinator's procedures in the next 30 days; care plans: care teams, the
coordinator queue, open urgent and STAT tasks). A grant may be `recorded`: a look that only it
allows is written to the audit trail (crisis alerts reach clinicians outside the care team; a
break-glass opens a record for a few hours, each look recorded with its id).

Changing clinical data (recording outcomes, starting or completing procedures) needs a clinical
role (provider or coordinator) on top of a grant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import reduce
from operator import or_

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from core import audit
from core.audit import audit_record
from core.errors import NotFound, PermissionDenied
from core.roles import AUTHORIZATION_COORDINATOR, CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER, user_roles


class Kind(StrEnum):
    DEMOGRAPHICS = "demographics"  # name, birth date, contact, consent, payer
    SCHEDULING = "scheduling"  # appointments, waitlist, series, bundles (no clinical detail)
    MESSAGES = "messages"  # outbox and inbound texts
    CLINICAL = "clinical"  # plans, problems, goals, notes, tasks' clinical text, scores, relief, complications


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


ALL_KINDS = frozenset(Kind)

# Kinds a role sees for every patient of the clinic.
WHOLE_CLINIC: dict[str, frozenset[Kind]] = {
    FRONT_DESK: frozenset({Kind.DEMOGRAPHICS, Kind.SCHEDULING, Kind.MESSAGES}),
    CLINIC_ADMIN: frozenset({Kind.DEMOGRAPHICS, Kind.SCHEDULING, Kind.MESSAGES}),
    # Payer work needs who the patient is and when they are booked; the evidence pack is opened
    # through authorizations.policy, never through a clinical grant.
    AUTHORIZATION_COORDINATOR: frozenset({Kind.DEMOGRAPHICS, Kind.SCHEDULING}),
}
# Roles that may change clinical data (within their grants).
CLINICAL_ROLES = frozenset({PROVIDER, CARE_COORDINATOR})


@dataclass(frozen=True)
class Grant:
    name: str
    kinds: frozenset[Kind]
    applies: Callable[[object], bool]  # cheap: does this grant concern the user at all?
    patients: Callable[[object, datetime], Q]  # a condition on Patient rows
    recorded: bool = False
    # For a recorded grant: why it lets the user see each of these patients, as the audit row's
    # reason ({patient id: reason}; patients it does not cover are left out).
    describe: Callable[[object, set[int], datetime], dict[int, str]] | None = None


@dataclass(frozen=True)
class Protected:
    patient_path: str  # "" for the patient model itself
    kind: Kind


_grants: dict[str, Grant] = {}
_protected: dict[type[Model], Protected] = {}


def register_grant(
    name: str,
    *,
    patients: Callable[[object, datetime], Q],
    applies: Callable[[object], bool],
    kinds: frozenset[Kind] = ALL_KINDS,
    recorded: bool = False,
    describe: Callable[[object, set[int], datetime], dict[int, str]] | None = None,
) -> None:
    """Idempotent by name (ready() may run more than once)."""
    _grants[name] = Grant(name, frozenset(kinds), applies, patients, recorded, describe)


def protect(model: type[Model], *, patient_path: str, kind: Kind) -> None:
    """Declare that rows of `model` are `kind` data of the patient at `patient_path`."""
    _protected[model] = Protected(patient_path, Kind(kind))


def protected(model: type[Model]) -> Protected | None:
    return _protected.get(model)


def patient_model() -> type[Model]:
    return apps.get_model(settings.ACCESS_PATIENT_MODEL)


# --- who the user is --------------------------------------------------------------------------


def is_active_user(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def provider_of(user):
    """The user's provider row, or None (cached by Django on the user)."""
    if not is_active_user(user):
        return None
    try:
        return user.provider
    except (ObjectDoesNotExist, AttributeError):
        return None


def sees_whole_clinic(user, kind: Kind) -> bool:
    if not is_active_user(user):
        return False
    return bool(user.is_superuser or any(kind in WHOLE_CLINIC.get(role, ()) for role in user_roles(user)))


def may_ever(user, kind: Kind, action: Action = Action.VIEW) -> bool:
    """Whether the user's roles allow this kind and action for any patient at all: False means
    403 whatever the patient."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    roles = user_roles(user)
    if kind == Kind.CLINICAL:
        return bool(roles & CLINICAL_ROLES)
    if sees_whole_clinic(user, kind):
        return True
    return bool(roles & CLINICAL_ROLES)


# --- the two entry points ---------------------------------------------------------------------


def _condition(user, kind: Kind, now: datetime, *, recorded: bool) -> Q | None:
    # Grants whose looks are recorded (an open urgent task) let a clinician look, not change:
    # callers ask for CHANGE with recorded=False.
    parts = [g.patients(user, now) for g in _grants.values() if kind in g.kinds and (recorded or not g.recorded) and g.applies(user)]
    return reduce(or_, parts) if parts else None


def patients(user, kind: Kind, *, action: Action = Action.VIEW, now: datetime | None = None, recorded: bool = True) -> QuerySet:
    """The patients whose `kind` data `user` may see (VIEW) or change (CHANGE). Grants whose
    looks are recorded count for VIEW only; recorded=False leaves them out of VIEW too."""
    Patient = patient_model()
    if not may_ever(user, kind, action):
        return Patient.objects.none()
    if user.is_superuser or sees_whole_clinic(user, kind):
        return Patient.objects.all()
    # An alert lets its assignee look at the chart while it is open; it does not let them change it.
    recorded = recorded and action == Action.VIEW
    condition = _condition(user, kind, now or timezone.now(), recorded=recorded)
    return Patient.objects.filter(condition) if condition is not None else Patient.objects.none()


def can(user, action: Action, *, patient, kind: Kind, now: datetime | None = None) -> bool:
    pk = getattr(patient, "pk", patient)
    if pk is None or not may_ever(user, kind, action):
        return False
    return patients(user, kind, action=action, now=now).filter(pk=pk).exists()


def require(user, action: Action, *, patient, kind: Kind, now: datetime | None = None, record_object=None) -> None:
    """403 when the role never may; 404 when it may, but not for this patient. A look allowed
    only by a recorded grant is written to the audit trail (with `record_object` named)."""
    if not may_ever(user, kind, action):
        if kind == Kind.CLINICAL:
            raise PermissionDenied("Clinical information is for clinicians and care coordinators.")
        raise PermissionDenied("You do not have access to this patient's information.")
    if not can(user, action, patient=patient, kind=kind, now=now):
        if action == Action.CHANGE and can(user, Action.VIEW, patient=patient, kind=kind, now=now):
            # They see it (through an open urgent task or a break-glass), so "not found" would be untrue.
            raise PermissionDenied("An open urgent task or a break-glass lets you look at this record, not change it.")
        raise NotFound("No such patient, or not one of yours.")
    if action == Action.VIEW:
        # Every look is noted; one that only an open urgent task allows also says so.
        if not record_if_only_granted_by_alert(user, patient=patient, kind=kind, now=now, obj=record_object):
            audit.looked_at([getattr(patient, "pk", patient)], user=user, obj=record_object)


def require_change(by, *, patient, kind: Kind, now: datetime | None = None) -> None:
    """The check a service makes before a staff member (`by`) changes a patient's data of this
    kind; `by=None` is the system acting (protocols, commands, demo data, the patient's own
    link), which the service's own rules govern."""
    if by is not None:
        require(by, Action.CHANGE, patient=patient, kind=kind, now=now)


def record_if_only_granted_by_alert(user, *, patient, kind: Kind, now: datetime | None = None, obj=None) -> bool:
    """When the user sees this patient only through a recorded grant (an open urgent task),
    write an audit row. Returns whether it did."""
    return record_alert_looks(user, patient_ids=[getattr(patient, "pk", patient)], kind=kind, now=now, obj=obj)


def record_alert_looks(user, *, patient_ids, kind: Kind, now: datetime | None = None, obj=None) -> bool:
    """One audit row naming every patient in `patient_ids` whom the user sees only through a
    recorded grant (a list showing many patients writes one row, not one per patient); a grant
    that describes its looks (a break-glass names its id and reason) gets rows of its own."""
    ids = {int(pk) for pk in patient_ids if pk is not None}
    if not ids or not any(g.recorded for g in _grants.values()) or user.is_superuser or sees_whole_clinic(user, kind):
        return False
    now = now or timezone.now()
    if not may_ever(user, kind):  # the front desk on a patient page saw no clinical data at all
        return False
    ordinary = set(patients(user, kind, now=now, recorded=False).filter(pk__in=ids).values_list("pk", flat=True))
    recorded_only = ids - ordinary
    if not recorded_only:
        return False
    reasons: dict[int, str] = {}
    for grant in _grants.values():
        if grant.recorded and grant.describe is not None and kind in grant.kinds and grant.applies(user):
            for pk, why in grant.describe(user, recorded_only - reasons.keys(), now).items():
                reasons.setdefault(pk, why)
    by_reason: dict[str, set[int]] = {}
    for pk in recorded_only:
        by_reason.setdefault(reasons.get(pk, "open urgent task (alert access)"), set()).add(pk)
    for reason, pks in sorted(by_reason.items()):
        audit_record(user=user, action="view", obj=obj, patient_ids=pks, reason=reason, now=now)
    return True


def scope(queryset: QuerySet, user, kind: Kind | None = None, *, action: Action = Action.VIEW, now: datetime | None = None) -> QuerySet:
    """Narrow a queryset of a protected model to the rows the user may see."""
    rule = protected(queryset.model)
    if rule is None:
        raise LookupError(f"{queryset.model.__name__} is not registered with core.access.protect")
    kind = kind or rule.kind
    if not may_ever(user, kind, action):
        return queryset.none()
    if user.is_superuser or sees_whole_clinic(user, kind):
        return queryset
    allowed = patients(user, kind, action=action, now=now)
    if not rule.patient_path:
        return queryset.filter(pk__in=allowed.values("pk"))
    return queryset.filter(**{f"{rule.patient_path}__in": allowed.values("pk")})


def patient_of(obj) -> int | None:
    """The patient id a protected row belongs to (following its patient_path)."""
    rule = protected(type(obj))
    if rule is None:
        return None
    if not rule.patient_path:
        return obj.pk
    *hops, last = rule.patient_path.split("__")
    value = obj
    for part in hops:
        value = getattr(value, part, None)
        if value is None:
            return None
    # The last hop reads the foreign key's id column: no query for the patient row itself.
    return getattr(value, f"{last}_id", None) or getattr(getattr(value, last, None), "pk", None)


def patients_of(rows) -> set[int]:
    """The patient ids of rows of one protected model, read from the loaded rows when the path is
    one foreign key (no query), otherwise in one query over their primary keys."""
    rows = list(rows)
    if not rows:
        return set()
    model = type(rows[0])
    rule = protected(model)
    if rule is None:
        return set()
    if "__" not in rule.patient_path:
        return {pk for pk in (patient_of(row) for row in rows) if pk is not None}
    return set(model._default_manager.filter(pk__in=[row.pk for row in rows]).values_list(rule.patient_path, flat=True)) - {None}


def looked_at_rows(rows, *, user=None) -> None:
    """A list of protected rows was shown: one audit note naming all their patients."""
    rows = list(rows)
    if rows:
        looked_at_patients(patients_of(rows), user=user, model=type(rows[0]))


def looked_at_patients(patient_ids: set[int], *, user=None, model) -> None:
    """A list of `model` rows (read as plain values, not instances) showed these patients: the
    same audit note as looked_at_rows."""
    rule = protected(model)
    if user is not None and rule is not None:
        # Patients seen only through a break-glass or an open urgent task get their reasoned
        # row; the request's plain row then names only the others (audit.finish_request).
        record_alert_looks(user, patient_ids=patient_ids, kind=rule.kind)
    audit.looked_at(patient_ids, user=user, model=model)
