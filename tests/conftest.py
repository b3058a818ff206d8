"""Shared test fixtures: environment isolation, a loopback-only network guard, a fake
OpenAI server and real HTTP / SOCKS5 proxies.

Autouse:
  isolated_env   CHATTUI_HOME, HOME and XDG_* point into a fresh temp dir; OPENAI_*,
                 CHATTUI_* and *_PROXY variables are removed.
  network_guard  socket connects to anything but loopback / AF_UNIX raise
                 `NonLoopbackConnectionError`; a test that made such an attempt fails at
                 teardown even if the error was swallowed (clear `network_guard.violations`
                 in tests that provoke it on purpose).

On request: fake_server (FakeOpenAI), http_proxy (HttpProxy), socks5_proxy (Socks5Proxy).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakeserver import FakeOpenAI
from tests.proxies import HttpProxy, Socks5Proxy

_PROXY_VARS = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}


# --------------------------------------------------------------------------- isolation


@dataclass(frozen=True)
class IsolatedEnv:
    """Where the isolated environment points."""

    root: Path
    chattui_home: Path
    home: Path
    config: Path
    data: Path
    cache: Path
    state: Path


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> IsolatedEnv:
    """A fresh CHATTUI_HOME / HOME / XDG_* and no OPENAI_*, CHATTUI_*, proxy variables."""
    for name in list(os.environ):
        upper = name.upper()
        if upper.startswith(("OPENAI_", "CHATTUI_")) or upper in _PROXY_VARS:
            monkeypatch.delenv(name, raising=False)
    root = tmp_path_factory.mktemp("env")
    env = IsolatedEnv(
        root=root,
        chattui_home=root / "chattui",
        home=root / "home",
        config=root / "xdg-config",
        data=root / "xdg-data",
        cache=root / "xdg-cache",
        state=root / "xdg-state",
    )
    for path in (env.chattui_home, env.home, env.config, env.data, env.cache, env.state):
        path.mkdir()
    runtime = root / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("CHATTUI_HOME", str(env.chattui_home))
    monkeypatch.setenv("HOME", str(env.home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(env.config))
    monkeypatch.setenv("XDG_DATA_HOME", str(env.data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(env.cache))
    monkeypatch.setenv("XDG_STATE_HOME", str(env.state))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return env


# --------------------------------------------------------------------------- network guard


class NonLoopbackConnectionError(ConnectionRefusedError):
    """Raised by the test network guard for a connect to a non-loopback address."""


def _is_loopback_address(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True  # netlink & co: not the internet
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.split("%", 1)[0]
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a hostname other than localhost would need DNS
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass
class NetworkGuard:
    """Records refused connection attempts (as "family address" strings)."""

    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, sock: socket.socket, address: Any) -> None:
        if _is_loopback_address(sock.family, address):
            return
        with self.lock:
            family = getattr(sock.family, "name", sock.family)
            self.violations.append(f"{family} {address!r}")
        raise NonLoopbackConnectionError(
            errno.ECONNREFUSED, f"test network guard: non-loopback connect to {address!r}"
        )


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Refuse socket connects to anything but loopback / AF_UNIX for the whole test.

    Patches `socket.socket.connect` / `connect_ex`, which also covers
    `socket.create_connection` and asyncio's `loop.sock_connect` (both call the Python
    method on non-blocking `socket.socket` objects).
    """
    guard = NetworkGuard()
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        guard.check(self, address)
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard.check(self, address)
        return original_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield guard
    if guard.violations:
        pytest.fail(f"test tried non-loopback connections: {guard.violations}", pytrace=False)


# --------------------------------------------------------------------------- servers


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI (any API key accepted); stopped after the test."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def http_proxy() -> Iterator[HttpProxy]:
    """A started HTTP proxy without authentication."""
    with HttpProxy() as proxy:
        yield proxy


@pytest.fixture
def socks5_proxy() -> Iterator[Socks5Proxy]:
    """A started SOCKS5 proxy without authentication."""
    with Socks5Proxy() as proxy:
        yield proxy
