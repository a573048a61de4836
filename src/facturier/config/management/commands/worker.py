"""`facturier worker`: the background task worker (django-tasks database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker (rendering, sealing, archiving, sending)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls of the queue")
        parser.add_argument("--batch", action="store_true", help="process the queue, then exit")

    def handle(self, *args, interval: float, batch: bool, **options):
        call_command("db_worker", interval=interval, batch=batch)
