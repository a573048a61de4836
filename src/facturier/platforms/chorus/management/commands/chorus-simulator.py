"""`facturier chorus-simulator --port N`: serve the Chorus Pro simulator (see `chorus.simulator`)."""

from __future__ import annotations

import threading

from django.core.management.base import BaseCommand

from facturier.platforms.chorus import simulator


class Command(BaseCommand):
    help = "Serve the Chorus Pro simulator (PISTE token, deposer/flux, statuses) for the demo and tests."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8091)
        parser.add_argument("--step", type=float, default=20.0, help="seconds between two invoice statuses")
        parser.add_argument("--structures", default=str(simulator.STRUCTURES_FILE),
                            help="the seeded public structures (JSON, see chorus/structures.json)")

    def handle(self, *args, host: str, port: int, step: float, structures: str, **options):
        from pathlib import Path

        sim = simulator.start_simulator(host=host, port=port, step_s=step,
                                        buyers=simulator.load_structures(Path(structures)))
        self.stdout.write(f"Chorus Pro simulator at {sim.url} (token URL {sim.token_url}); client "
                          f"{simulator.CLIENT_ID} / {simulator.CLIENT_SECRET}, technical account "
                          f"{simulator.LOGIN} / {simulator.PASSWORD}")
        self.stdout.flush()
        from facturier.config.supervise import interrupt_on_stop_signals

        interrupt_on_stop_signals()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            sim.stop()
