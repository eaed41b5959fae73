"""The API's sign-in: POST /api/v1/auth/login/ issues a knox token, shown once, to a fully
signed-in browser session, or for a username and password (throttled by django-axes like the
admin's sign-in page) plus `otp_code` for accounts with a second factor.
/api/v1/auth/logout/ revokes the calling token, /api/v1/auth/logoutall/ all of the caller's."""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import extend_schema
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tokens, two_factor
from core.api_auth import VerifiedSessionAuthentication


class LoginInput(serializers.Serializer):
    # Bounded as the user model's username (django-axes records a failed username in 255 characters).
    username = serializers.CharField(required=False, max_length=150)
    password = serializers.CharField(required=False, style={"input_type": "password"}, trim_whitespace=False, max_length=4096)
    otp_code = serializers.CharField(
        required=False, max_length=16, help_text="The authenticator app's code, for accounts with two-factor sign-in."
    )


class LoginOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once; send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField()


LOCKED_OUT = "Too many failed sign-ins for this username from this address: locked for 15 minutes, or until a clinic admin unlocks it."


class ApiLoginView(APIView):
    authentication_classes = [VerifiedSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(request=LoginInput, responses={200: LoginOutput}, auth=[{"cookieAuth": []}, {}])
    def post(self, request):
        user = request.user if request.user.is_authenticated else None
        if user is None:
            data = LoginInput(data=request.data)
            data.is_valid(raise_exception=True)
            username, password = data.validated_data.get("username", ""), data.validated_data.get("password", "")
            if not username or not password:
                return Response({"detail": "Send username and password, or sign in first."}, status=status.HTTP_400_BAD_REQUEST)
            http_request = request._request
            user = authenticate(http_request, username=username, password=password)
            if getattr(http_request, "axes_locked_out", False):
                # Answered here in JSON; axes' middleware would otherwise swap in its HTML page.
                http_request.axes_locked_out = False
                return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            if user is None:
                return Response({"detail": "Wrong username or password."}, status=status.HTTP_401_UNAUTHORIZED)
            refusal = _second_factor_refusal(user, data.validated_data.get("otp_code", ""))
            if refusal is not None:
                return refusal
        instance, token = tokens.api_token_issue(user=user, by=user)
        request._request.issues_api_token = True  # core.sessions: not a browser sign-in
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(LoginOutput({"token": token, "expiry": instance.expiry}).data)


def _second_factor_refusal(user, code: str) -> Response | None:
    if two_factor.second_factor_state_at_sign_in(user) != two_factor.PENDING:
        return None
    if not any(True for _ in two_factor.devices_for_user(user, confirmed=True)):
        return Response(
            {"detail": "This account needs two-factor sign-in: set it up in the browser first (/account/two-factor/enrol/)."},
            status=status.HTTP_403_FORBIDDEN,
        )
    if two_factor.code_check(user=user, code=code) is None:
        return Response({"otp_code": ["A current code from your authenticator app is required."]}, status=status.HTTP_400_BAD_REQUEST)
    return None


class ApiLogoutView(KnoxLogoutView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)


class ApiLogoutAllView(KnoxLogoutAllView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)
