"""`facturier worker`: the background task worker (django-tasks database backend), and the
periodic jobs (recovery, daily archive checkpoints, backfill and purge, bounce mailboxes,
postal fallback, the import mailbox), and the import SMTP listener when FACTURIER_IMPORT_SMTP_LISTEN is set.

The worker registers itself and keeps a heartbeat (its lease); starting, it recovers what dead
workers left (tasks left running, outbox claims, unarchived documents: `facturier.config.leases`),
and the periodic recovery job does the same while it runs.
"""

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand

from facturier.config import leases, schedule


class Command(BaseCommand):
    help = "Run the background task worker (rendering, sealing, archiving, sending) and the periodic jobs."
    # The system checks (URLs, admin, templates) are `facturier check`'s and the web server's: a worker
    # restarted after a crash should be back at work in the time it takes to import what it runs.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls of the queue")
        parser.add_argument("--batch", action="store_true", help="process the queue, then exit")
        parser.add_argument("--no-schedule", action="store_true",
                            help="do not run the periodic jobs (when another worker or cron runs them)")

    def handle(self, *args, interval: float, batch: bool, no_schedule: bool, **options):
        stop = threading.Event()
        worker_id = leases.register()
        leases.keep_alive(stop)
        leases.recover()
        if not batch and not no_schedule:
            schedule.start(stop, tick=min(schedule.TICK_S, leases.lease().total_seconds()))
        from facturier.imports.mail_intake import SmtpListener

        listener = None if batch else SmtpListener.configured()
        if listener is not None:
            try:
                listener.start()
            except OSError as e:  # another worker holds the port: it receives the mail, this one works the queue
                self.stderr.write(f"The import SMTP listener could not start on {listener.host}:{listener.port}: {e}")
                listener = None
        try:
            call_command("db_worker", interval=interval, batch=batch, worker_id=worker_id, reload=False,
                         startup_delay=False, verbosity=options.get("verbosity", 1))
        finally:
            stop.set()
            if listener is not None:
                listener.stop()
            leases.stop()
