from django.urls import path

from messaging.webhooks import TwilioInboundSmsWebhook, TwilioStatusWebhook

urlpatterns = [
    path("twilio/sms/", TwilioInboundSmsWebhook.as_view(), name="webhook-twilio-sms"),
    path("twilio/status/", TwilioStatusWebhook.as_view(), name="webhook-twilio-status"),
]
