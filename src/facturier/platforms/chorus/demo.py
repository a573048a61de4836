"""The demo organisation's Chorus Pro: an account on the simulator `facturier run` starts, and the rules of
its public buyer (the town hall requires a service code, as the simulator does)."""

from __future__ import annotations

import os

SIMULATOR_URL = "http://127.0.0.1:8091"


def simulator_url() -> str:
    return os.environ.get("FACTURIER_CHORUS_SIMULATOR_URL") or SIMULATOR_URL


def chorus_demo(organisation, customers) -> None:
    from facturier.platforms.chorus import simulator
    from facturier.platforms.chorus.models import ChorusAccount, ChorusBuyer, Environment
    from facturier.platforms.chorus.services import _purpose
    from facturier.secrets import seal_secret

    url = simulator_url()
    account, _ = ChorusAccount.objects.update_or_create(organisation=organisation, defaults={
        "environment": Environment.CUSTOM, "token_url": f"{url}/api/oauth/token", "api_url": url,
        "client_id": simulator.CLIENT_ID, "login": simulator.LOGIN, "enabled": True, "test_ok": True})
    account.client_secret = seal_secret(simulator.CLIENT_SECRET.encode(), purpose=_purpose("client_secret", account))
    account.password = seal_secret(simulator.PASSWORD.encode(), purpose=_purpose("password", account))
    account.save(update_fields=["client_secret", "password"])
    for customer in customers.values():
        if customer.is_public_sector:
            ChorusBuyer.objects.update_or_create(customer=customer, defaults={"service_code_required": True})


def start_for_run():
    """Start the simulator for `facturier run` (FACTURIER_CHORUS_SIMULATOR=off: not started), at
    FACTURIER_CHORUS_SIMULATOR_URL's port (default 8091), a status every FACTURIER_CHORUS_SIMULATOR_STEP
    seconds (default 20), and let this process and its worker reach it
    (it is on loopback: allowed by its exact address only). Returns it, or None."""
    from urllib.parse import urlsplit

    from facturier.platforms.chorus import simulator

    if os.environ.get("FACTURIER_CHORUS_SIMULATOR", "").lower() in ("off", "0", "false", "no"):
        return None
    parts = urlsplit(simulator_url())
    try:
        step = float(os.environ.get("FACTURIER_CHORUS_SIMULATOR_STEP") or 20.0)
        sim = simulator.start_simulator(host=parts.hostname or "127.0.0.1", port=parts.port or 8091, step_s=step)
    except OSError:
        return None  # the port is taken (another run): the demo's account simply waits
    os.environ["FACTURIER_CHORUS_SIMULATOR_URL"] = sim.url
    return sim


def is_simulator(url: str) -> bool:
    """Whether `url` is the simulator this installation started (`facturier run`): the one loopback
    address Chorus Pro calls may reach without FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS."""
    started = os.environ.get("FACTURIER_CHORUS_SIMULATOR_URL", "")
    return bool(started) and (url == started or url.startswith(started.rstrip("/") + "/"))
