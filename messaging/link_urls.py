from django.urls import path

from messaging.link_views import link_page

urlpatterns = [
    path("<str:token>/", link_page, name="messaging-link"),
]
