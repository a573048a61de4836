"""`facturier demo`: create or refresh the demo organisation (slug `demo`). Safe to run again."""

from django.core.management.base import BaseCommand

from facturier.config.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, demo_load


class Command(BaseCommand):
    help = "Create or refresh the demo organisation (slug 'demo') with customers and documents in every state."

    def handle(self, *args, **options):
        result = demo_load()
        documents = result.organisation.documents.count()
        customers = result.organisation.customers.count()
        self.stdout.write(self.style.SUCCESS(
            f"Demo organisation '{DEMO_SLUG}': {customers} customers, {documents} documents "
            f"({result.created_documents} created now). Login: {DEMO_EMAIL} / {DEMO_PASSWORD}"))
