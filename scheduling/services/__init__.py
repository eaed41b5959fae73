"""Scheduling commands. Admin actions, API views, patient links, commands and tasks all call
these; nothing else changes appointment state."""

from scheduling.services.appointments import (  # noqa: F401
    appointment_authorization_set,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_clinical_check,
    appointment_complete,
    appointment_confirm,
    appointment_hold_book,
    appointment_no_show,
    appointment_notes_set,
    appointment_release_expired_holds,
    appointment_reschedule,
    appointment_start,
)
