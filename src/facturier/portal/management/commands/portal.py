"""`facturier portal invite --org SLUG --contact ID|EMAIL [--as EMAIL]`: invite a customer's contact."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from facturier.accounts.models import Membership, Organisation, Right, Role
from facturier.errors import FacturierError
from facturier.parties.models import Contact


class Command(BaseCommand):
    help = "Customer portal: invite a customer's contact (a one-time link by e-mail)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        invite = sub.add_parser("invite", help="invite a contact, or send it a new link")
        invite.add_argument("--org", required=True, help="organisation slug")
        invite.add_argument("--contact", required=True, help="the contact's id or e-mail address")
        invite.add_argument("--as", dest="acting", default="",
                            help="e-mail of the member who invites (default: the first owner with the right to send)")
        invite.add_argument("--print-link", action="store_true",
                            help="also print the link (it opens the account: give it to its owner only)")

    def handle(self, *args, action: str, org: str, contact: str, acting: str, print_link: bool, **options):
        try:
            organisation = Organisation.objects.get(slug=org)
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation with the slug {org!r}.") from None
        member = self._member(organisation, acting)
        target = Contact.objects.filter(customer__organisation=organisation).filter(
            Q(pk=int(contact)) if contact.isdigit() else Q(email__iexact=contact.strip())).order_by("id")
        if target.count() != 1:
            raise CommandError(f"{target.count()} contacts of {organisation.slug} match {contact!r}; "
                               "give the contact's id.")
        from facturier.portal.services import portal_invite

        try:
            invitation = portal_invite(by=member, contact_id=target.get().pk)
        except FacturierError as e:
            raise CommandError(e.message) from None
        self.stdout.write(f"Invitation sent to {invitation.account.email}, valid until "
                          f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC.")
        if print_link:
            self.stdout.write(invitation.link)

    def _member(self, organisation, acting: str) -> Membership:
        members = Membership.objects.filter(organisation=organisation, is_active=True).select_related(
            "user", "organisation")
        if acting:
            member = members.filter(user__email__iexact=acting).first()
            if member is None:
                raise CommandError(f"{acting} is not an active member of {organisation.slug}.")
            return member
        member = members.filter(role=Role.OWNER, **{Right.SEND.value: True}).order_by("id").first() or \
            members.filter(**{Right.SEND.value: True}).order_by("id").first()
        if member is None:
            raise CommandError(f"No member of {organisation.slug} may send documents; use --as.")
        return member
