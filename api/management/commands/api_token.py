"""Make a personal access token for a member from the command line (demos, scripts)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.actions.tokens import create_token


class Command(BaseCommand):
    help = "Make a personal access token for the member with this email; print it once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--scopes", default="read,write", help="comma-separated")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, email: str, name: str, scopes: str, days: int | None, **options):
        try:
            member = get_user_model().objects.get(email=email)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No member with the email {email}.") from None
        try:
            _token, plaintext = create_token(
                member=member,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                expires_in_days=days,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(plaintext)
