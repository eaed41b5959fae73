"""Every periodic job in one place. django-celery-beat copies these into the database at start,
where the clinic admin sees them (Periodic tasks in the admin) and may pause one."""

BEAT_SCHEDULE: dict = {
    # Lets /healthz tell that a worker is alive and consuming: beat sends, a worker writes the time.
    "worker-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 20.0},
    # Overdue care tasks: tell the assignee, then (after a grace by priority) the care coordinators.
    "careplans-escalate-overdue-tasks": {"task": "careplans.tasks.escalate_overdue_tasks", "schedule": 300.0},
    # Crisis tasks (PHQ-9 item 9, EBP red flags) nobody accepted in CRISIS_ESCALATE_MINUTES alert
    # the lead physician or the medical director; every minute, so the delay is at most one more.
    "careplans-escalate-crisis-tasks": {"task": "careplans.tasks.escalate_crisis_tasks", "schedule": 60.0},
    # Procedures within 24 h whose pre-procedure checklist is incomplete raise an urgent task.
    "careplans-raise-incomplete-checklists": {"task": "careplans.tasks.raise_incomplete_checklists", "schedule": 900.0},
    # Re-runs follow-up assembly for appointment events whose Celery task never ran (broker lost).
    "careplans-sweep-followups": {"task": "careplans.tasks.sweep_followups", "schedule": 600.0},
    # The outbox dispatcher: claims due reminders and stale claims, hands each id to a send task.
    "messaging-dispatch-due": {"task": "messaging.tasks.dispatch_due", "schedule": 60.0},
    # Lapsed waitlist holds release their time, which is then offered to the next waiting patient.
    "scheduling-expire-holds-and-offers": {"task": "scheduling.tasks.expire_holds_and_offers", "schedule": 60.0},
    # Booking tickets: expire unused ones past their last day, remind the patient once, and put
    # "follow-up not booked" in the front desk's queue before one expires. Hourly is plenty: the
    # steps are days apart, and each is a compare-and-set, so a run twice changes nothing.
    "scheduling-sweep-booking-tickets": {"task": "scheduling.tasks.tickets_sweep", "schedule": 3600.0},
    # Prior authorization: approvals past their last valid day become expired (their units stop covering).
    "authorizations-expire": {"task": "authorizations.tasks.expire_authorizations", "schedule": 3600.0},
    # Requests still with the payer past its decision deadline (72 h expedited / 7 days standard) raise a chase task.
    "authorizations-overdue-decisions": {"task": "authorizations.tasks.chase_overdue_decisions", "schedule": 900.0},
    # Approved units unused on approvals ending within PRIOR_AUTH_EXPIRING_DAYS (14) raise a task.
    "authorizations-unused-expiring": {"task": "authorizations.tasks.warn_unused_expiring", "schedule": 3600.0},
    # Each denial raises a task: appeal or reschedule?
    "authorizations-denied": {"task": "authorizations.tasks.follow_up_denials", "schedule": 900.0},
    # Medicare SCS approvals (120 days) closing within PRIOR_AUTH_SCS_WARNING_DAYS with the implant unbooked.
    "authorizations-scs-window": {"task": "authorizations.tasks.warn_scs_window", "schedule": 3600.0},
}
