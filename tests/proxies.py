"""Real HTTP and SOCKS5 proxies on 127.0.0.1 for tests, each in a background thread.

`HttpProxy` handles `CONNECT host:port` tunnels and absolute-URI forwarding of plain
http requests, optionally requiring `Proxy-Authorization: Basic ...` (407 otherwise).
`Socks5Proxy` speaks SOCKS5 (RFC 1928) with no auth or username/password (RFC 1929).

Both only ever connect onwards to loopback targets (127.0.0.0/8, ::1, "localhost"); any
other target is refused. Every relayed connection is logged in `.connections` (see
`ProxyConnection`) so tests can assert that traffic really went through the proxy.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import selectors
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import cast

__all__ = ["HttpProxy", "ProxyConnection", "Socks5Proxy", "is_loopback_host"]

_BUFSIZE = 65536
_CONNECT_TIMEOUT = 5.0


def is_loopback_host(host: str) -> bool:
    """True for "localhost" and loopback IP literals (127.0.0.0/8, ::1, mapped v4)."""
    host = host.strip("[]").split("%", 1)[0]
    if host.lower() == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped.is_loopback
    return addr.is_loopback


@dataclass
class ProxyConnection:
    """One client connection the proxy handled."""

    kind: str
    """"CONNECT", "FORWARD" (absolute-URI http request) or "SOCKS5"."""
    target: str
    """host:port the client asked for."""
    allowed: bool
    """False if the proxy refused (bad credentials, non-loopback target, unreachable)."""
    username: str | None = None
    reason: str = ""
    request_line: str = ""
    time: float = field(default_factory=time.monotonic)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    proxy: _ProxyBase


class _ProxyBase:
    """Lifecycle, socket tracking and the connection log shared by both proxies."""

    scheme = ""

    def __init__(self, *, username: str | None = None, password: str | None = None) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.username = username
        self.password = password
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._connections: list[ProxyConnection] = []
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _TCPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        raise NotImplementedError

    def start(self) -> _ProxyBase:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        server = _TCPServer(("127.0.0.1", 0), self._handler())
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every client and upstream socket. Returns quickly."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("proxy not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The proxy URL, with the configured credentials if any."""
        return self.url_with(self.username, self.password)

    def url_with(self, username: str | None, password: str | None) -> str:
        """The proxy URL with arbitrary (e.g. wrong) credentials."""
        creds = f"{username}:{password}@" if username is not None else ""
        return f"{self.scheme}://{creds}127.0.0.1:{self.port}"

    # ---- log

    @property
    def connections(self) -> list[ProxyConnection]:
        """A snapshot of every connection handled so far (allowed or refused)."""
        with self._lock:
            return list(self._connections)

    @property
    def relayed(self) -> list[ProxyConnection]:
        """Only the connections that were relayed to their target."""
        return [c for c in self.connections if c.allowed]

    @property
    def targets(self) -> list[str]:
        """host:port of every relayed connection, in order."""
        return [c.target for c in self.relayed]

    def reset(self) -> None:
        with self._lock:
            self._connections.clear()

    def wait_for_connections(self, count: int = 1, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self._connections) >= count, timeout)

    def _log(self, entry: ProxyConnection) -> None:
        with self._changed:
            self._connections.append(entry)
            self._changed.notify_all()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self._stopping.is_set():
            _close(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        _close(sock)

    def _check_credentials(self, username: str | None, password: str | None) -> bool:
        if self.username is None:
            return True
        return username == self.username and password == self.password

    def _open_upstream(self, host: str, port: int) -> socket.socket:
        """Connect to a loopback target; raises PermissionError for anything else."""
        if not is_loopback_host(host):
            raise PermissionError(f"refusing non-loopback target {host}:{port}")
        target = "127.0.0.1" if host.lower() == "localhost" else host.strip("[]")
        sock = socket.create_connection((target, port), timeout=_CONNECT_TIMEOUT)
        sock.settimeout(None)
        self._track(sock)
        return sock

    def _relay(self, a: socket.socket, b: socket.socket, initial_to_b: bytes = b"") -> None:
        """Copy bytes both ways until either side closes or the proxy stops."""
        try:
            if initial_to_b:
                b.sendall(initial_to_b)
            with selectors.DefaultSelector() as sel:
                sel.register(a, selectors.EVENT_READ, b)
                sel.register(b, selectors.EVENT_READ, a)
                while not self._stopping.is_set():
                    for key, _ in sel.select(timeout=0.1):
                        src = cast("socket.socket", key.fileobj)
                        dst: socket.socket = key.data
                        data = src.recv(_BUFSIZE)
                        if not data:
                            return
                        dst.sendall(data)
        except (OSError, ValueError):
            return


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _split_host_port(hostport: str, default_port: int) -> tuple[str, int]:
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = hostport.rpartition(":")
    if not sep:
        return hostport, default_port
    return host, int(port)


# --------------------------------------------------------------------------- HTTP


class _HttpProxyHandler(socketserver.BaseRequestHandler):
    server: _TCPServer
    request: socket.socket

    def handle(self) -> None:
        proxy = self.server.proxy
        client = self.request
        proxy._track(client)
        try:
            self._handle(proxy, client)
        except (OSError, ValueError):
            pass
        finally:
            proxy._untrack(client)

    def _handle(self, proxy: _ProxyBase, client: socket.socket) -> None:
        client.settimeout(_CONNECT_TIMEOUT)
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(_BUFSIZE)
            if not data:
                return
            head += data
            if len(head) > 65536:
                return
        client.settimeout(None)
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        request_line = lines[0]
        method, url, version = request_line.split(" ", 2)
        headers = [tuple(h.split(":", 1)) for h in lines[1:] if ":" in h]

        if method.upper() == "CONNECT":
            kind = "CONNECT"
            host, port = _split_host_port(url, 443)
            path = ""
        else:
            kind = "FORWARD"
            if not url.lower().startswith("http://"):
                self._reply(client, 400, "Bad Request", "absolute http:// URI required")
                return
            hostport, slash, path_part = url[7:].partition("/")
            host, port = _split_host_port(hostport, 80)
            path = slash + path_part or "/"
        target = f"{host}:{port}"
        entry = ProxyConnection(kind, target, False, request_line=request_line)

        user, password = None, None
        for name, value in headers:
            if name.strip().lower() == "proxy-authorization":
                scheme, _, cred = value.strip().partition(" ")
                if scheme.lower() == "basic":
                    decoded = base64.b64decode(cred.strip()).decode("utf-8", "replace")
                    user, _, password = decoded.partition(":")
        entry.username = user
        if not proxy._check_credentials(user, password):
            entry.reason = "proxy authentication required"
            proxy._log(entry)
            self._reply(
                client,
                407,
                "Proxy Authentication Required",
                "proxy authentication required",
                'Proxy-Authenticate: Basic realm="fake-proxy"\r\n',
            )
            return
        try:
            upstream = proxy._open_upstream(host, port)
        except PermissionError as exc:
            entry.reason = str(exc)
            proxy._log(entry)
            self._reply(client, 403, "Forbidden", str(exc))
            return
        except OSError as exc:
            entry.reason = f"upstream unreachable: {exc}"
            proxy._log(entry)
            self._reply(client, 502, "Bad Gateway", entry.reason)
            return
        entry.allowed = True
        proxy._log(entry)
        try:
            if kind == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                proxy._relay(client, upstream, rest)
            else:
                self._forward(proxy, client, upstream, method, path, version, headers, rest)
        finally:
            proxy._untrack(upstream)

    def _forward(
        self,
        proxy: _ProxyBase,
        client: socket.socket,
        upstream: socket.socket,
        method: str,
        path: str,
        version: str,
        headers: list[tuple[str, ...]],
        rest: bytes,
    ) -> None:
        """Forward one request in origin form with `Connection: close`, then relay.

        The response head gets `Connection: close` too, so the client does not reuse
        this connection for a request that might go to another target.
        """
        skip = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
        out = [f"{method} {path} {version}"]
        out += [f"{h[0]}:{h[1]}" for h in headers if h[0].strip().lower() not in skip]
        out.append("Connection: close")
        upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest)

        # Rewrite the response head, then copy the rest verbatim.
        head = b""
        while b"\r\n\r\n" not in head:
            sel = selectors.DefaultSelector()
            sel.register(upstream, selectors.EVENT_READ)
            sel.register(client, selectors.EVENT_READ)
            try:
                ready = {key.fileobj for key, _ in sel.select(timeout=0.1)}
            finally:
                sel.close()
            if proxy._stopping.is_set():
                return
            if client in ready:
                data = client.recv(_BUFSIZE)  # rest of a request body
                if not data:
                    return
                upstream.sendall(data)
            if upstream in ready:
                data = upstream.recv(_BUFSIZE)
                if not data:
                    if head:
                        client.sendall(head)
                    return
                head += data
        head, _, body = head.partition(b"\r\n\r\n")
        resp_lines = [
            line
            for line in head.split(b"\r\n")
            if not line.lower().startswith((b"connection:", b"keep-alive:"))
        ]
        resp_lines.append(b"Connection: close")
        client.sendall(b"\r\n".join(resp_lines) + b"\r\n\r\n" + body)
        proxy._relay(upstream, client)

    @staticmethod
    def _reply(
        client: socket.socket, status: int, reason: str, message: str, extra: str = ""
    ) -> None:
        body = (message + "\n").encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            client.sendall(head.encode("latin-1") + body)


class HttpProxy(_ProxyBase):
    """An HTTP proxy (CONNECT + absolute-URI forwarding) on 127.0.0.1, random port.

    With username/password set, requests without matching `Proxy-Authorization: Basic`
    credentials get 407.
    """

    scheme = "http"

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        return _HttpProxyHandler

    def start(self) -> HttpProxy:
        super().start()
        return self

    def __enter__(self) -> HttpProxy:
        return self.start()


# --------------------------------------------------------------------------- SOCKS5

_SOCKS_OK = 0x00
_SOCKS_NOT_ALLOWED = 0x02
_SOCKS_REFUSED = 0x05
_SOCKS_BAD_COMMAND = 0x07
_SOCKS_BAD_ADDRESS = 0x08


class _Socks5Handler(socketserver.BaseRequestHandler):
    server: _TCPServer
    request: socket.socket

    def handle(self) -> None:
        proxy = self.server.proxy
        client = self.request
        proxy._track(client)
        try:
            client.settimeout(_CONNECT_TIMEOUT)
            self._handle(proxy, client)
        except (OSError, ValueError, struct.error):
            pass
        finally:
            proxy._untrack(client)

    @staticmethod
    def _recv_exact(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = sock.recv(n - len(data))
            if not part:
                raise ConnectionError("client closed during SOCKS handshake")
            data += part
        return data

    def _handle(self, proxy: _ProxyBase, client: socket.socket) -> None:
        recv = self._recv_exact
        version, nmethods = recv(client, 2)
        if version != 5:
            return
        methods = recv(client, nmethods)
        wanted = 0x02 if proxy.username is not None else 0x00
        if wanted not in methods:
            proxy._log(ProxyConnection("SOCKS5", "", False, reason="no acceptable auth method"))
            client.sendall(b"\x05\xff")
            return
        client.sendall(bytes([5, wanted]))
        user: str | None = None
        if wanted == 0x02:
            auth_version, ulen = recv(client, 2)
            user = recv(client, ulen).decode("utf-8", "replace")
            (plen,) = recv(client, 1)
            password = recv(client, plen).decode("utf-8", "replace")
            if auth_version != 1 or not proxy._check_credentials(user, password):
                proxy._log(
                    ProxyConnection("SOCKS5", "", False, username=user, reason="bad credentials")
                )
                client.sendall(b"\x01\x01")
                return
            client.sendall(b"\x01\x00")

        _, cmd, _, atyp = recv(client, 4)
        if atyp == 0x01:
            host = socket.inet_ntop(socket.AF_INET, recv(client, 4))
        elif atyp == 0x04:
            host = socket.inet_ntop(socket.AF_INET6, recv(client, 16))
        elif atyp == 0x03:
            (length,) = recv(client, 1)
            host = recv(client, length).decode("idna")
        else:
            self._answer(client, _SOCKS_BAD_ADDRESS)
            return
        (port,) = struct.unpack("!H", recv(client, 2))
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        entry = ProxyConnection("SOCKS5", target, False, username=user)
        if cmd != 0x01:
            entry.reason = f"unsupported command {cmd}"
            proxy._log(entry)
            self._answer(client, _SOCKS_BAD_COMMAND)
            return
        try:
            upstream = proxy._open_upstream(host, port)
        except PermissionError as exc:
            entry.reason = str(exc)
            proxy._log(entry)
            self._answer(client, _SOCKS_NOT_ALLOWED)
            return
        except OSError as exc:
            entry.reason = f"upstream unreachable: {exc}"
            proxy._log(entry)
            self._answer(client, _SOCKS_REFUSED)
            return
        entry.allowed = True
        proxy._log(entry)
        try:
            bound_host, bound_port = upstream.getsockname()[:2]
            self._answer(client, _SOCKS_OK, bound_host, bound_port)
            client.settimeout(None)
            proxy._relay(client, upstream)
        finally:
            proxy._untrack(upstream)

    @staticmethod
    def _answer(client: socket.socket, code: int, host: str = "0.0.0.0", port: int = 0) -> None:
        if ":" in host:
            addr = b"\x04" + socket.inet_pton(socket.AF_INET6, host)
        else:
            addr = b"\x01" + socket.inet_pton(socket.AF_INET, host)
        with contextlib.suppress(OSError):
            client.sendall(bytes([5, code, 0]) + addr + struct.pack("!H", port))


class Socks5Proxy(_ProxyBase):
    """A SOCKS5 proxy (CONNECT only) on 127.0.0.1, random port.

    With username/password set it requires RFC 1929 auth and rejects wrong credentials;
    otherwise it offers "no authentication".
    """

    scheme = "socks5"

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        return _Socks5Handler

    def start(self) -> Socks5Proxy:
        super().start()
        return self

    def __enter__(self) -> Socks5Proxy:
        return self.start()
