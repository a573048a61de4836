"""`facturier run`: everything a newcomer needs, in one process group.

Migrates the database, loads the demo organisation on first start, starts the local mail
catcher (unless FACTURIER_MAIL_CATCHER=off) with the demo organisation sending to it, the simulated
approved platform (unless FACTURIER_PA_SIMULATOR=off) with the demo organisation connected to it, a task
worker (started again whenever it dies: `facturier.config.supervise`), and serves the
application, then prints the address and the demo login.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from facturier.config import env


def served_base_url(host: str, port: int) -> str:
    """The address links in e-mails, letters and the portal name when FACTURIER_BASE_URL is unset:
    the one served. A wildcard bind (0.0.0.0, ::) names the loopback address, as it is printed."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"http://{host}:{port}"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


def follow_served_address(host: str, port: int) -> str:
    """Make this process and the worker it starts link to the address served, unless configured."""
    if not settings.FACTURIER_BASE_URL_CONFIGURED:
        settings.FACTURIER_BASE_URL = served_base_url(host, port)
        os.environ["FACTURIER_BASE_URL"] = settings.FACTURIER_BASE_URL  # the worker reads it at start
        served = settings.FACTURIER_BASE_URL.split("//", 1)[1].rsplit(":", 1)[0]  # "127.0.0.1", "[::1]", a name
        if served not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, served]
    return settings.FACTURIER_BASE_URL


class Command(BaseCommand):
    help = "Migrate, load the demo on first start, start a worker and serve Facturier."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1",
                            help="address to serve; links name it unless FACTURIER_BASE_URL is set")
        parser.add_argument("--port", type=int, default=8000,
                            help="port to serve; links name it unless FACTURIER_BASE_URL is set")
        parser.add_argument("--no-demo", action="store_true", help="do not create the demo organisation")

    def handle(self, *args, host: str, port: int, no_demo: bool, **options):
        import uvicorn

        base_url = follow_served_address(host, port)
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
        if catcher is not None and not settings.FACTURIER_IMPORT_SMTP_LISTEN:
            # The embedded setup: the worker also receives import mail on loopback (Settings → Import by e-mail).
            settings.FACTURIER_IMPORT_SMTP_LISTEN = os.environ["FACTURIER_IMPORT_SMTP_LISTEN"] = "127.0.0.1:2525"
        from facturier.platforms.demo import simulator_for_run

        simulator = simulator_for_run(slugs=() if no_demo else ("demo",))  # FACTURIER_PA_SIMULATOR
        from facturier.platforms.chorus.demo import start_for_run

        chorus = start_for_run()  # the Chorus Pro simulator, unless FACTURIER_CHORUS_SIMULATOR=off
        from facturier.config.supervise import Supervised, interrupt_on_stop_signals

        worker = Supervised([sys.executable, "-m", "facturier.config.cli", "worker"])
        url = f"{base_url}/"
        self.stdout.write(self.style.SUCCESS(f"\nFacturier is running at {url}"))
        if not no_demo:
            self.stdout.write("Demo login: demo@facturier.test / demo\n")
        if catcher is not None:
            self.stdout.write(f"Mail catcher: smtp://{catcher.host}:{catcher.port}, messages at {url}mail/\n")
        if settings.FACTURIER_IMPORT_SMTP_LISTEN:
            self.stdout.write(f"Import by e-mail: smtp://{settings.FACTURIER_IMPORT_SMTP_LISTEN}, to the address "
                              f"shown in Settings → Import by e-mail\n")
        if simulator is not None:
            self.stdout.write(f"Approved platform (PA) simulator: {simulator.url} (client demo / demo-secret)\n")
        if chorus is not None:
            self.stdout.write(f"Chorus Pro simulator: {chorus.url}\n")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}  (Ctrl+C to stop)\n")
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and raises the
        # signal again: with Python's default SIGTERM handler that kills this process before `finally`, leaving
        # the worker orphaned. Ours turn it into KeyboardInterrupt, so the children below are always stopped.
        interrupt_on_stop_signals()
        try:
            uvicorn.run("facturier.config.asgi:application", host=host, port=port, log_level="warning")
        except KeyboardInterrupt:
            pass
        finally:
            if catcher is not None:
                catcher.stop()
            if chorus is not None:
                chorus.stop()
            worker.stop()
            if simulator is not None:
                simulator.stop()
