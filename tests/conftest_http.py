"""Pytest plugin: a session-wide local HTTP server (see tests/http_server.py).

Registered from tests/conftest.py with ``pytest_plugins = ["tests.conftest_http"]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.http_server import LocalServer


def _bypass_proxy_for_localhost() -> None:
    # httpx honours HTTP(S)_PROXY from the environment; the local server must
    # be reached directly even on machines that route everything via a proxy.
    for var in ("NO_PROXY", "no_proxy"):
        hosts = [h.strip() for h in os.environ.get(var, "").split(",") if h.strip()]
        for host in ("127.0.0.1", "localhost"):
            if host not in hosts:
                hosts.append(host)
        os.environ[var] = ",".join(hosts)


@pytest.fixture(scope="session")
def http_server() -> Iterator[LocalServer]:
    _bypass_proxy_for_localhost()
    with LocalServer() as server:
        yield server
