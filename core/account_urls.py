from django.urls import path

from core import account_views

urlpatterns = [
    path("two-factor/", account_views.two_factor_status, name="two-factor"),
    path("two-factor/verify/", account_views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/enrol/", account_views.two_factor_enrol, name="two-factor-enrol"),
]
