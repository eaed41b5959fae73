"""Twilio webhooks. Both check X-Twilio-Signature against TWILIO_AUTH_TOKEN and the public URL
(403 otherwise) before anything else, and are rate limited (429): inbound texts per sender
number, delivery callbacks per IP."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from messaging.services.callbacks import message_status_callback
from messaging.services.inbound import inbound_sms_receive


class TwilioSignature(BasePermission):
    """Twilio signs the full public URL (with query string) plus the POSTed form fields."""

    message = "Bad or missing Twilio signature."

    def has_permission(self, request, view) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not settings.TWILIO_AUTH_TOKEN:
            return False
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST.dict(), signature)


class PerSenderThrottle(SimpleRateThrottle):
    """Limits one phone number (a looping auto-responder, a prank), not Twilio as a whole."""

    scope = "webhook"

    def get_cache_key(self, request, view):
        sender = request.POST.get("From", "") or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": sender}


class PerIpThrottle(SimpleRateThrottle):
    scope = "webhook_status"

    def get_rate(self):
        return settings.WEBHOOK_STATUS_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@extend_schema(exclude=True)  # Twilio's contract, not ours: documented in the README
class _TwilioWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [TwilioSignature]


def _twiml(reply: str) -> HttpResponse:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="text/xml")


class TwilioInboundSmsWebhook(_TwilioWebhook):
    throttle_classes = [PerSenderThrottle]

    def post(self, request):
        row = inbound_sms_receive(
            sid=request.POST.get("MessageSid", ""), from_number=request.POST.get("From", ""), body=request.POST.get("Body", "")
        )
        return _twiml(row.reply)


class TwilioStatusWebhook(_TwilioWebhook):
    throttle_classes = [PerIpThrottle]

    def post(self, request):
        raw_id = request.GET.get("m", "")
        message_status_callback(
            message_id=int(raw_id) if raw_id.isdigit() else None,
            sid=request.POST.get("MessageSid", ""),
            status=request.POST.get("MessageStatus", ""),
            error_code=request.POST.get("ErrorCode", ""),
        )
        return HttpResponse(status=204)
