"""`manage.py drf_create_token <username> [-r]`: issue an API token for a user (the name and
arguments of DRF's command, which this replaces). The token is printed once; the database keeps
only its digest. --reset revokes the user's other tokens first."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import tokens
from core.errors import PermissionDenied


class Command(BaseCommand):
    help = "Issue an API token for a user (printed once; expires after API_TOKEN_TTL_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("username", type=str)
        parser.add_argument(
            "-r", "--reset", action="store_true", dest="reset_token", default=False, help="Revoke the user's existing tokens first"
        )

    def handle(self, *args, username: str, reset_token: bool, **options):
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"Cannot create the token: user {username} does not exist") from None
        if reset_token:
            revoked = tokens.api_tokens_revoke(user=user, by=None)
            self.stderr.write(f"Revoked {revoked} token(s) of {username}.")
        try:
            instance, token = tokens.api_token_issue(user=user, by=None)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Generated token {token} for user {username}")
        self.stderr.write(f"Expires {instance.expiry:%Y-%m-%d %H:%M} UTC. It is not shown again: the database keeps only its digest.")
