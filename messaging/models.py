"""The outbox: one row per message to send, the truth about what was (or was not) sent.

Status moves only through messaging.services.transitions, one function per move, each a
compare-and-set UPDATE so two workers can never both move the same row. Redis only carries ids;
losing it loses no message (the dispatcher re-claims rows whose lease expired).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.models import Channel, Patient
from scheduling.models import Appointment, BookingTicket, VisitType, WaitlistEntry


class Purpose(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation"
    REMINDER = "reminder", "Reminder"
    VIDEO_LINK = "video_link", "Video link"
    RESCHEDULED = "rescheduled", "Reschedule notice"
    CANCELLATION = "cancellation", "Cancellation notice"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"
    QUESTIONNAIRE = "questionnaire", "Questionnaire link"
    NOTICE = "notice", "Other notice"
    STAFF_ALERT = "staff_alert", "Urgent alert to staff"
    TICKET = "ticket", "Booking link"
    TICKET_REMINDER = "ticket_reminder", "Booking link reminder"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class Message(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    waitlist_entry = models.ForeignKey(WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    # For a staff alert: the patient the alert concerns (their record keeps who was told, when),
    # while the message goes to staff_recipient at to_address.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    staff_recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_alerts",
        help_text="Staff alerts only",
    )
    to_address = models.CharField(
        max_length=254, blank=True, help_text="Staff alerts only: the phone (E.164) or email the alert goes to, fixed when planned"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # Minutes before the appointment the plan asked for (0 for immediate notices); part of the
    # plan's unique key so re-applying a plan never duplicates a reminder (OpenEMR #11477).
    offset_minutes = models.IntegerField(default=0)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    status_reason = models.CharField(max_length=300, blank=True, help_text="Why it was cancelled, expired, deferred or failed")
    urgent = models.BooleanField(default=False, help_text="Clinical urgency: exempt from the SMS frequency limits and quiet hours")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(max_length=64, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    attach_ics = models.BooleanField(default=False, help_text="Email: attach the visit as a calendar (.ics) file")
    # The claim: a dispatcher run owns the row from claimed_at until lease_expires_at.
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set (and committed) just before the gateway is called: the at-most-once boundary.
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "purpose", "channel", "offset_minutes"],
                condition=Q(appointment__isnull=False),
                name="message_unique_plan_slot",
            ),
            models.CheckConstraint(
                condition=Q(purpose="staff_alert", urgent=True) & ~Q(to_address="") | (~Q(purpose="staff_alert") & Q(to_address="")),
                name="message_staff_alert_has_address",
            ),
        ]
        indexes = [
            # The dispatcher's claim query: due pending rows and stale sending rows.
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="message_pending_due_idx"),
            models.Index(fields=["lease_expires_at"], condition=Q(status="sending"), name="message_sending_lease_idx"),
            # Frequency limits count a patient's recent SMS.
            models.Index(fields=["patient", "channel", "send_started_at"], name="message_patient_recent_idx"),
            models.Index(fields=["status", "-due_at"], name="message_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.purpose} ({self.status})"


class FailedMessage(Message):
    """The front desk's worklist of failed and undeliverable messages (admin only)."""

    class Meta:
        proxy = True
        verbose_name = "failed message"


class ReminderRule(models.Model):
    """One step of a visit type's reminder plan. Rules without a visit type are the clinic's
    default plan, used for every visit type that has no active rule of its own."""

    visit_type = models.ForeignKey(
        VisitType, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_rules", help_text="Empty: the default plan"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        max_length=20, choices=[(Purpose.REMINDER, Purpose.REMINDER.label), (Purpose.VIDEO_LINK, Purpose.VIDEO_LINK.label)]
    )
    offset_minutes = models.PositiveIntegerField(help_text="Minutes before the start (1440 = 1 day; whole days keep the wall-clock time)")
    send_at_local_time = models.TimeField(
        null=True, blank=True, help_text="Optional: send at this time of the patient's day instead (e.g. 08:00 the same morning)"
    )
    include_ics = models.BooleanField(default=False, help_text="Email: attach a calendar (.ics) file")
    include_prep = models.BooleanField(default=False, help_text="Email: include the visit type's preparation text")
    ask_to_confirm = models.BooleanField(default=False, help_text="SMS: ask the patient to reply C to confirm")
    telehealth_only = models.BooleanField(default=False, help_text="Only for video visits")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["visit_type__name", "-offset_minutes", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit_type", "channel", "purpose", "offset_minutes"], name="reminder_rule_unique_step", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        days, minutes = divmod(self.offset_minutes, 1440)
        when = f"{days} d" if not minutes else f"{self.offset_minutes} min"
        if self.send_at_local_time:
            when += f" at {self.send_at_local_time:%H:%M}"
        return f"{self.get_channel_display()} {self.get_purpose_display().lower()} {when} before"


class PatientLink(models.Model):
    """A single-purpose patient link (confirm, cancel, request another time, claim a waitlist
    offer, unsubscribe, book a ticket's visits). The URL carries only `<id>.<signature>`; the signature is salted per
    purpose, so a token minted for one purpose never opens another. `used_at` makes it single-use."""

    class LinkPurpose(models.TextChoices):
        CONFIRM = "confirm", "Confirm"
        CANCEL = "cancel", "Cancel"
        RESCHEDULE = "reschedule", "Request another time"
        WAITLIST_CLAIM = "waitlist_claim", "Claim a waitlist offer"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe from email reminders"
        TICKET = "ticket", "Book the visits of a booking ticket"

    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="links")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="patient_links")
    waitlist_entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="patient_links")
    ticket = models.ForeignKey(BookingTicket, on_delete=models.CASCADE, null=True, blank=True, related_name="patient_links")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "appointment"], condition=Q(appointment__isnull=False), name="patient_link_one_per_appointment_purpose"
            ),
            models.UniqueConstraint(
                fields=["purpose", "ticket"], condition=Q(ticket__isnull=False), name="patient_link_one_per_ticket_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link #{self.pk}"


class InboundSms(models.Model):
    """Every SMS a patient sent us and what we did about it (the clinic can prove an opt-out)."""

    class Action(models.TextChoices):
        OPT_OUT = "opt_out", "Opted out"
        OPT_IN = "opt_in", "Opted in"
        HELP = "help", "Help sent"
        CONFIRMED = "confirmed", "Appointment confirmed"
        NOTHING_TO_CONFIRM = "nothing_to_confirm", "Nothing to confirm"
        TASK = "task", "Front-desk task created"
        UNKNOWN_SENDER = "unknown_sender", "Unknown sender"

    provider_message_id = models.CharField(max_length=64, unique=True)
    from_number = models.CharField(max_length=32)
    patient = models.ForeignKey(Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_sms")
    body = models.TextField()
    action = models.CharField(max_length=20, choices=Action.choices)
    reply = models.TextField(blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "inbound SMS"
        verbose_name_plural = "inbound SMS"

    def __str__(self) -> str:
        return f"Inbound SMS #{self.pk} ({self.get_action_display()})"
