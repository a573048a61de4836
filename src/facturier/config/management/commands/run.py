"""`facturier run`: everything a newcomer needs, in one process group.

Migrates the database, loads the demo organisation on first start, starts the local mail
catcher (unless FACTURIER_MAIL_CATCHER=off) with the demo organisation sending to it, a task
worker (started again whenever it dies: `facturier.config.supervise`), and serves the
application, then prints the address and the demo login.
"""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from facturier.config import env


class Command(BaseCommand):
    help = "Migrate, load the demo on first start, start a worker and serve Facturier."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="do not create the demo organisation")

    def handle(self, *args, host: str, port: int, no_demo: bool, **options):
        import uvicorn

        if env.raw("FACTURIER_MIGRATE_DATABASE_URL"):  # the tables belong to another role: migrate as it
            subprocess.run([sys.executable, "-m", "facturier.config.cli", "migrate", "--no-input", "-v0"], check=True)
        else:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            from facturier.accounts.models import Organisation

            if not Organisation.objects.filter(slug="demo").exists():
                self.stdout.write("Loading the demo organisation…")
                call_command("demo", verbosity=0)
        from facturier.delivery.catcher import catcher_for_run

        catcher = catcher_for_run(slugs=() if no_demo else ("demo",))  # FACTURIER_MAIL_CATCHER
        from facturier.config.supervise import Supervised

        worker = Supervised([sys.executable, "-m", "facturier.config.cli", "worker"])
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nFacturier is running at {url}"))
        if not no_demo:
            self.stdout.write("Demo login: demo@facturier.test / demo\n")
        if catcher is not None:
            self.stdout.write(f"Mail catcher: smtp://{catcher.host}:{catcher.port}, messages at {url}mail/\n")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}  (Ctrl+C to stop)\n")
        try:
            uvicorn.run("facturier.config.asgi:application", host=host, port=port, log_level="warning")
        finally:
            if catcher is not None:
                catcher.stop()
            worker.stop()
