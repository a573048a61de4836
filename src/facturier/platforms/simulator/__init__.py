"""A simulated approved platform (PA) for the demo and the tests: the AFNOR XP Z12-013 Flow and Directory
services over HTTP, OAuth2 tokens, webhooks, asynchronous life-cycle statuses, fault injection.

Django-free. In tests: `sim = start_simulator(clients={"id": "secret"}, status_delay=0.05)`; `sim.url`,
`sim.faults.fail_next(2)`, `sim.expire_tokens()`, `sim.stop()`. Served by `facturier pa-simulator`.
"""

from facturier.platforms.simulator.seed import DIRECTORY, Company
from facturier.platforms.simulator.server import Faults, Simulator, start_simulator

__all__ = ["DIRECTORY", "Company", "Faults", "Simulator", "start_simulator"]
