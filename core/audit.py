"""Writing the audit trail: who looked at or changed which patients' data, when, from where, why.

Two ways in:

- `looked_at(patient_ids, obj=...)` from code that shows patient data (API pages and details,
  admin list and change pages, workspace pages). Inside a request it only notes the patients;
  `AuditTrailMiddleware` writes ONE row for the whole request when the response is sent, so a
  page showing fifty patients costs one INSERT, not fifty. Creates, changes and deletes of
  protected rows during the request are noted the same way (core.apps connects the signals) and
  turn the request's row into a create/change/delete row.
- `audit_record(user=, action=, ...)` for events that must stand on their own (break-glass,
  exports, overrides, retention). Written at once, with the request's IP, user agent and id when
  there is a request. A "view" recorded this way inside a request (a look that only an open
  urgent task allows) is kept for the end of the request and written in the same INSERT.

The table is append-only in PostgreSQL itself (core/append_only.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from core.models import AuditEvent

ACTIONS = ("view", "create", "change", "delete", "export", "break-glass", "login", "login-failed")
# When one request both reads and writes, its row is named after its first write (the record the
# request was about: the appointment booked before its reminders, the task changed before its
# transition row), a delete outranking everything.
_STRENGTH = {"view": 0, "change": 1, "create": 1, "delete": 2}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass
class RequestTrail:
    """What one request showed or changed, collected until its response is sent."""

    request_id: str
    ip: str | None
    user_agent: str
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    patients: set[int] = field(default_factory=set)
    pending: list[AuditEvent] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def note(self, action: str, obj, patient_ids: Iterable[int | None], *, model=None) -> None:
        """The row is named after the strongest action and the first object it concerned at
        that strength (a list names its model, with no id)."""
        ids = {int(pk) for pk in patient_ids if pk is not None}
        if not ids and obj is None:
            return
        ref = _object_ref(obj) if obj is not None else (_label(model), "")
        if not self.action or _STRENGTH[action] > _STRENGTH[self.action]:
            self.action = action
            self.object_type, self.object_id = ref
        elif not self.object_type:
            self.object_type, self.object_id = ref
        self.patients |= ids


_current: ContextVar[RequestTrail | None] = ContextVar("audit_request_trail", default=None)


def current_trail() -> RequestTrail | None:
    return _current.get()


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is a sane token (it ends up in logs and the trail),
    otherwise a fresh one."""
    if header and _REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def start_request(*, request_id: str, ip: str | None, user_agent: str):
    return _current.set(RequestTrail(request_id=request_id, ip=ip, user_agent=user_agent[:300]))


def finish_request(token, *, user, shown: bool) -> None:
    """Write the request's row(s) in one INSERT. `shown` is False when the response carried no
    patient data (an error page): looks are then dropped, changes (which committed) are kept."""
    trail = _current.get()
    _current.reset(token)
    if trail is None:
        return
    rows = list(trail.pending) if shown else []
    # A look already written with its reason (an alert or a break-glass) is that patient's row
    # for this request: the plain view row names only the others, or is not written at all.
    explained = {pk for row in rows if row.action == "view" for pk in row.patients}
    if trail.action == "view" and explained:
        trail.patients -= explained
        if not trail.patients:
            trail.action = ""
    if trail.action and (shown or trail.action != "view"):
        rows.append(
            _row(
                trail,
                user=user,
                action=trail.action,
                object_type=trail.object_type,
                object_id=trail.object_id,
                patient_ids=trail.patients,
                reason="; ".join(dict.fromkeys(trail.reasons)),
            )
        )
    if len(rows) == 1:
        rows[0].save(force_insert=True)  # one statement: bulk_create would bracket it in BEGIN/COMMIT
    elif rows:
        AuditEvent.objects.bulk_create(rows)


def looked_at(patient_ids: Iterable[int | None], *, user=None, obj=None, model=None) -> None:
    """Code that shows patient data calls this with the patients it showed (and the object, or
    for a list the model). Inside a request the look joins the request's one row; outside one
    (a shell, a command) it is written at once, when it names patients or an object."""
    trail = _current.get()
    if trail is not None:
        trail.note("view", obj, patient_ids, model=model)
        return
    ids = [pk for pk in patient_ids if pk is not None]
    if ids or obj is not None:
        object_type, object_id = _object_ref(obj) if obj is not None else (_label(model), "")
        _row(None, user=user, action="view", object_type=object_type, object_id=object_id, patient_ids=ids).save(force_insert=True)


def wrote(action: str, obj, patient_ids: Iterable[int | None]) -> None:
    """A protected row was created, changed or deleted. Noted only inside a request: the system's
    own writes (protocols, reminders, commands) are in the field history, with no person to name."""
    trail = _current.get()
    if trail is not None:
        trail.note(action, obj, patient_ids)


def audit_record(
    *, user, action: str, obj=None, patient_ids: Iterable[int] = (), reason: str = "", now: datetime | None = None
) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; use one of {', '.join(ACTIONS)}.")
    trail = _current.get()
    object_type, object_id = _object_ref(obj) if obj is not None else ("", "")
    row = _row(
        trail, user=user, action=action, object_type=object_type, object_id=object_id, patient_ids=patient_ids, reason=reason, now=now
    )
    if trail is not None and action == "view":
        trail.pending.append(row)
        return row
    if trail is not None and action in _STRENGTH:
        # A write inside a request is the request's own row (the model's save already noted it):
        # the reason joins that row rather than standing as a second record of the same write.
        trail.note(action, obj, patient_ids)
        if reason:
            trail.reasons.append(reason)
        return row
    row.save(force_insert=True)
    return row


def record_sign_in(*, user, object_id: str = "", failed: bool = False) -> AuditEvent:
    """A sign-in or failed sign-in. `object_id` holds the staff username that was tried (a staff
    login name, not patient data); never the password."""
    row = _row(
        _current.get(),
        user=None if failed else user,
        action="login-failed" if failed else "login",
        object_type="auth.user",
        object_id=object_id[:64],
    )
    row.save(force_insert=True)
    return row


def _label(model) -> str:
    return model._meta.label_lower[:60] if model is not None else ""


def _object_ref(obj) -> tuple[str, str]:
    return obj._meta.label_lower[:60], str(obj.pk)[:64]


def _row(trail: RequestTrail | None, *, user, action, object_type="", object_id="", patient_ids=(), reason="", now=None) -> AuditEvent:
    return AuditEvent(
        at=now or timezone.now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patients=sorted({int(p) for p in patient_ids}),
        reason=reason[:500],
        ip=trail.ip if trail else None,
        user_agent=trail.user_agent if trail else "",
        request_id=trail.request_id if trail else "",
    )
