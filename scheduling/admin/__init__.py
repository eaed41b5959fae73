"""Scheduling in the admin, one module per seam; importing them registers the ModelAdmins.
The admin is a client of the services: every write goes through one, or the model is read-only.
"""

from scheduling.admin.appointments import AppointmentAdmin, AppointmentBundleAdmin, AppointmentSeriesAdmin
from scheduling.admin.catalogue import (
    AvailabilityExceptionAdmin,
    AvailabilityTemplateAdmin,
    BillingRegionAdmin,
    CalendarFeedAdmin,
    ClinicClosureAdmin,
    FrequencyRuleAdmin,
    VisitTypeAdmin,
)
from scheduling.admin.tickets import BookingTicketAdmin
from scheduling.admin.waitlist import WaitlistEntryAdmin, WaitlistEntryForm

__all__ = [
    "AppointmentAdmin",
    "AppointmentBundleAdmin",
    "AppointmentSeriesAdmin",
    "AvailabilityExceptionAdmin",
    "BookingTicketAdmin",
    "AvailabilityTemplateAdmin",
    "BillingRegionAdmin",
    "CalendarFeedAdmin",
    "ClinicClosureAdmin",
    "FrequencyRuleAdmin",
    "VisitTypeAdmin",
    "WaitlistEntryAdmin",
    "WaitlistEntryForm",
]
