"""`facturier pa-simulator`: serve the simulated approved platform (AFNOR XP Z12-013 flow and directory
services, OAuth2 tokens, webhooks, asynchronous statuses) until Ctrl+C."""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from facturier.platforms.services import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


class Command(BaseCommand):
    help = "Serve the simulated approved platform (PA) for demos and tests."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8790)
        parser.add_argument("--db", default="", help="SQLite file to keep flows in (default: the data directory's "
                                                     "pa-simulator.sqlite3; ':memory:' keeps nothing)")
        parser.add_argument("--status-delay", type=float, default=2.0, help="seconds between life-cycle statuses")
        parser.add_argument("--validation", choices=("rules", "schema", "off"), default="schema",
                            help="what the platform checks in invoices: the XSD and official rules, the XSD, nothing")
        parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime in seconds")
        parser.add_argument("--client", action="append", default=[], metavar="ID:SECRET",
                            help="an OAuth2 client (repeatable); the demo's client is always there")

    def handle(self, *args, host, port, db, status_delay, validation, token_ttl, client, **options):
        from facturier.platforms.simulator.server import Simulator, env_clients

        clients = {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET, **env_clients()}
        for pair in client:
            client_id, _sep, secret = pair.partition(":")
            clients[client_id] = secret
        db_path = db or os.path.join(settings.DATA_DIR, "pa-simulator.sqlite3")
        simulator = Simulator(host=host, port=port, db_path=db_path, clients=clients, token_ttl=token_ttl,
                              status_delay=status_delay, validation=validation).start()
        self.stdout.write(self.style.SUCCESS(f"PA simulator at {simulator.url}"))
        self.stdout.write(f"  Flow Service:      {simulator.flow_url}\n  Directory Service: {simulator.directory_url}\n"
                          f"  Token URL:         {simulator.token_url}\n  Clients: {', '.join(clients)}\n"
                          f"  Faults: POST {simulator.url}/_admin/faults  (Ctrl+C to stop)")
        from facturier.config.supervise import interrupt_on_stop_signals

        interrupt_on_stop_signals()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()
