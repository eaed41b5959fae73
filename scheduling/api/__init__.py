"""Scheduling API: thin views that validate input, call one service or selector, shape output.

Domain errors become 400/403/404/409 in core.api.exception_handler; nothing here decides a rule.
One module per seam; scheduling/api_urls.py routes to the names re-exported here (the paths,
names and fields are contracts)."""

from scheduling.api.appointments import (
    ACTIONS,
    AppointmentActionApi,
    AppointmentDetailApi,
    AppointmentInput,
    AppointmentListCreateApi,
    AppointmentQuery,
    CancelInput,
    CompleteInput,
    RescheduleInput,
)
from scheduling.api.calendar import AppointmentIcsApi
from scheduling.api.common import AppointmentOutput, VisitTypeRef, local_iso, require_perm
from scheduling.api.slots import BundleApi, BundleInput, SeriesApi, SeriesInput, SlotQuery, SlotsApi, VisitTypeListApi, VisitTypeOutput
from scheduling.api.waitlist import WaitlistClaimApi, WaitlistInput, WaitlistListCreateApi, WaitlistOutput, WaitlistRemoveApi

__all__ = [
    "ACTIONS",
    "AppointmentActionApi",
    "AppointmentDetailApi",
    "AppointmentIcsApi",
    "AppointmentInput",
    "AppointmentListCreateApi",
    "AppointmentOutput",
    "AppointmentQuery",
    "BundleApi",
    "BundleInput",
    "CancelInput",
    "CompleteInput",
    "RescheduleInput",
    "SeriesApi",
    "SeriesInput",
    "SlotQuery",
    "SlotsApi",
    "VisitTypeListApi",
    "VisitTypeOutput",
    "VisitTypeRef",
    "WaitlistClaimApi",
    "WaitlistInput",
    "WaitlistListCreateApi",
    "WaitlistOutput",
    "WaitlistRemoveApi",
    "local_iso",
    "require_perm",
]
