"""`facturier operator grant|revoke EMAIL`, `facturier operator list`: the platform operators."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from facturier.accounts.models import User
from facturier.accounts.services import platform_operator_set


class Command(BaseCommand):
    help = "Platform operators: who sees every organisation's usage (the operator view)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("grant", "make a user a platform operator"), ("revoke", "end a user's operator role")):
            sub.add_parser(name, help=text).add_argument("email")
        sub.add_parser("list", help="list the platform operators")

    def handle(self, *args, action: str, email: str = "", **options):
        if action == "list":
            for user in User.objects.filter(is_platform_operator=True).order_by("email"):
                self.stdout.write(user.email)
            return
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {email!r}.")
        platform_operator_set(user=user, on=action == "grant")
        self.stdout.write(f"{user.email} is {'now' if action == 'grant' else 'no longer'} a platform operator.")
