"""Not collected by the suite (no test_ prefix): tests/integration/test_clean_stops.py runs it
as a separate pytest session, waits until the four services are up, then terminates it."""

from __future__ import annotations

import time

from ocop_devstack.services import ServiceStack


def test_waits_to_be_terminated(services: ServiceStack) -> None:
    print(f"services are up: {services.url('registry')}", flush=True)
    time.sleep(600)
