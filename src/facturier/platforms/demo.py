"""The demo's approved platform: `facturier run` starts the PA simulator in its own process (unless
FACTURIER_PA_SIMULATOR=off) and connects the demo organisation to it; the demo data connects it to the
default address beforehand, so the connection exists even before the first run."""

from __future__ import annotations

import logging
import os

from django.core.exceptions import ImproperlyConfigured

from facturier.config import env

log = logging.getLogger(__name__)

DEFAULT_PORT = 8790
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def wanted() -> bool:
    value = (env.raw("FACTURIER_PA_SIMULATOR") or "").strip().lower()
    if value in ("", "on", "true", "yes", "1", "auto"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ImproperlyConfigured(f"FACTURIER_PA_SIMULATOR must be on or off, not {value!r}.")


def demo_connect(organisation, base_url: str = DEFAULT_URL):
    """Connect an organisation to the simulator (cheap: two rows)."""
    from facturier.platforms.services import simulator_connect

    return simulator_connect(organisation, base_url)


def simulator_for_run(*, slugs: tuple[str, ...] = ("demo",)):
    """Start the simulator for `facturier run` (on its usual port when free), point the installation's
    simulator platform at it, connect these organisations, and let this process and the worker it starts
    reach it on loopback (FACTURIER_PA_SIMULATOR_ADDRESS: the one private address the client allows
    without the operator's switch). None when unwanted or when it cannot start."""
    if not wanted():
        return None
    from django.conf import settings

    from facturier.accounts.models import Organisation
    from facturier.platforms.services import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, simulator_platform
    from facturier.platforms.simulator.server import Simulator

    delay = float(env.raw("FACTURIER_PA_SIMULATOR_DELAY") or 3)
    options = dict(host="127.0.0.1", db_path=str(settings.DATA_DIR / "pa-simulator.sqlite3"),
                   clients={DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}, status_delay=delay, validation="schema")
    try:
        simulator = Simulator(port=DEFAULT_PORT, **options)
    except OSError:
        try:
            simulator = Simulator(port=0, **options)
        except OSError as e:
            log.warning("The PA simulator could not start (%s); set FACTURIER_PA_SIMULATOR=off to silence this.", e)
            return None
    simulator.start()
    os.environ["FACTURIER_PA_SIMULATOR_ADDRESS"] = f"{simulator.host}:{simulator.port}"
    simulator_platform(simulator.url)
    for organisation in Organisation.objects.filter(slug__in=slugs):
        demo_webhook(demo_connect(organisation, simulator.url))
    return simulator


def demo_webhook(connection, base_url: str | None = None):
    """Subscribe the demo connection's webhook at the simulator, pointing at this installation's address, as a
    real connection would: statuses then arrive signed, at once; the worker's search stays the fallback. A
    failure is logged, not fatal: the demo still works by polling."""
    from facturier.platforms.client import PlatformError
    from facturier.platforms.services import SIMULATOR_NAME, ConnectionError_, simulator_webhook

    if connection.platform.name != SIMULATOR_NAME:  # pointed elsewhere by its managers: theirs to register
        return connection
    try:
        return simulator_webhook(connection, base_url)
    except (PlatformError, ConnectionError_) as e:
        log.warning("The demo's webhook could not be registered with the PA simulator (%s): statuses will come by "
                    "polling.", e)
        return connection
