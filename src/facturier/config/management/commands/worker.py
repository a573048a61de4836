"""`facturier worker`: the background task worker (django-tasks database backend), and the
periodic jobs (daily archive checkpoints and purge, bounce mailboxes, postal fallback)."""

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand

from facturier.config import schedule


class Command(BaseCommand):
    help = "Run the background task worker (rendering, sealing, archiving, sending) and the periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls of the queue")
        parser.add_argument("--batch", action="store_true", help="process the queue, then exit")
        parser.add_argument("--no-schedule", action="store_true",
                            help="do not run the periodic jobs (when another worker or cron runs them)")

    def handle(self, *args, interval: float, batch: bool, no_schedule: bool, **options):
        stop = threading.Event()
        if not batch and not no_schedule:
            schedule.start(stop)
        try:
            call_command("db_worker", interval=interval, batch=batch)
        finally:
            stop.set()
