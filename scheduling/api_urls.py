from django.urls import path

from scheduling import api
from scheduling.api import tickets

urlpatterns = [
    path("visit-types/", api.VisitTypeListApi.as_view(), name="api-visit-types"),
    path("slots/", api.SlotsApi.as_view(), name="api-slots"),
    path("appointments/", api.AppointmentListCreateApi.as_view(), name="api-appointments"),
    path("appointments/<int:pk>/", api.AppointmentDetailApi.as_view(), name="api-appointment"),
    *[path(f"appointments/<int:pk>/{name}/", view.as_view(), name=f"api-appointment-{name}") for name, view in api.ACTIONS.items()],
    path("appointments/<int:pk>/ics/", api.AppointmentIcsApi.as_view(), name="api-appointment-ics"),
    path("bundles/", api.BundleApi.as_view(), name="api-bundles"),
    path("series/", api.SeriesApi.as_view(), name="api-series"),
    path("waitlist/", api.WaitlistListCreateApi.as_view(), name="api-waitlist"),
    path("waitlist/<int:pk>/claim/", api.WaitlistClaimApi.as_view(), name="api-waitlist-claim"),
    path("waitlist/<int:pk>/remove/", api.WaitlistRemoveApi.as_view(), name="api-waitlist-remove"),
    path("tickets/", tickets.TicketListCreateApi.as_view(), name="api-tickets"),
    path("tickets/<int:pk>/extend/", tickets.TicketExtendApi.as_view(), name="api-ticket-extend"),
    path("tickets/<int:pk>/cancel/", tickets.TicketCancelApi.as_view(), name="api-ticket-cancel"),
]
