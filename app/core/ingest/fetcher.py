"""Download one web page for the URL importer (httpx, no Qt).

Everything that can go wrong ends in a ``FetchError`` whose ``reason`` is a
sentence an annotator can act on; the importer shows it next to the URL.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import weakref
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from app.core.cancel import Cancelled, CancelToken
from app.core.ingest.fetch_options import MB, FetchOptions
from app.core.ingest.sniff import SNIFF_BYTES, sniff_binary

__all__ = ["FetchError", "FetchOptions", "FetchResult", "fetch", "make_client"]


# Web pages, feeds/sitemaps (the importer expands those) and plain text.
ACCEPTED_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml",
                            "application/rss+xml", "application/atom+xml"})

_TYPE_NAMES = {
    "application/pdf": "a PDF document", "image/png": "a PNG image", "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image", "image/webp": "a WebP image", "image/svg+xml": "an SVG image",
    "application/zip": "a ZIP archive", "application/gzip": "a gzip archive", "application/x-gzip": "a gzip archive",
    "application/json": "JSON data", "text/javascript": "a script", "application/javascript": "a script",
    "text/css": "a style sheet", "application/msword": "a Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/octet-stream": "binary data",
}
_TYPE_FAMILIES = {"image/": "an image", "video/": "a video", "audio/": "an audio file", "font/": "a font"}

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Largest piece the decompressor may emit at once, so a compression bomb can
# never allocate more than this before the size limit is checked.
_PIECE = 256 * 1024

@dataclass(frozen=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str  # media type only, lower case; "" when the server sent none
    charset: str | None  # from the Content-Type header
    body: bytes  # content-encoding undone: the real bytes
    elapsed: float  # seconds


class FetchError(Exception):
    """A download failed; ``reason`` is a sentence for the user, not for a log."""

    def __init__(self, reason: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.status = status


def make_client(options: FetchOptions = FetchOptions()) -> httpx.Client:
    """A client to share between worker threads (httpx.Client is thread-safe)."""
    limits = httpx.Limits(max_connections=max(4, options.concurrency * 2),
                          max_keepalive_connections=max(2, options.concurrency), keepalive_expiry=15.0)
    # fetch() follows redirects itself, to keep them within the deadline and spot loops.
    return httpx.Client(headers=_headers(options), timeout=options.timeout, limits=limits, follow_redirects=False)


def _headers(options: FetchOptions) -> dict[str, str]:
    return {
        "User-Agent": options.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1",
        # Only what _Decoder understands; otherwise httpx would offer br/zstd
        # when those packages happen to be installed.
        "Accept-Encoding": "gzip, deflate",
    }


def _size(n: int) -> str:
    if n >= MB:
        return f"{round(n / MB, 1):g} MB"
    if n >= 1024:
        return f"{round(n / 1024, 1):g} KB"
    return f"{n} bytes"


def _host(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


def _parse_url(url: str) -> httpx.URL:
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError(f"“{text}” is not a valid web address.") from None
    if not parsed.scheme:
        raise FetchError("The address must start with http:// or https://.")
    if parsed.scheme not in ("http", "https"):
        raise FetchError("Only http and https addresses can be imported.")
    if not parsed.host:
        raise FetchError(f"“{text}” has no host name.")
    return parsed


class _ClientSockets:
    """The open sockets of one client's connections, to cut them all on cancel.

    A request on a reused keep-alive connection does not say which socket it
    uses until its response headers arrive, so a cancel could not wake it.
    A cancel stops every download of the import, and the importer makes one
    client per import, so cutting all of that client's sockets is exactly
    right.  Idle connections cut this way look closed by the server and are
    replaced when the client is used again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def shutdown_all(self) -> None:
        with self._lock:
            for sock in list(self._sockets):
                _shutdown(sock)


_CLIENT_SOCKETS: weakref.WeakKeyDictionary[httpx.Client, _ClientSockets] = weakref.WeakKeyDictionary()
_CLIENT_SOCKETS_LOCK = threading.Lock()


def _client_sockets(client: httpx.Client) -> _ClientSockets:
    with _CLIENT_SOCKETS_LOCK:
        found = _CLIENT_SOCKETS.get(client)
        if found is None:
            found = _CLIENT_SOCKETS[client] = _ClientSockets()
        return found


class _Watchdog:
    """Cuts the connection at the overall deadline or when the user cancels.

    httpx timeouts apply to each socket operation and are fixed when a response
    starts, so a server trickling one byte at a time never trips them.  Shutting
    the socket down from this helper thread wakes a blocked read at once.
    Sockets are known from the moment a new connection is made (trace hook);
    a reused keep-alive connection only once its response headers arrived, so
    until then the deadline relies on the per-request timeouts, which never
    exceed the time left.  A cancel does not wait for that: it cuts every
    socket of the client (see _ClientSockets).
    """

    POLL = 0.05

    def __init__(self, deadline: float, cancel: CancelToken | None, client_sockets: _ClientSockets) -> None:
        self._deadline = deadline
        self._cancel = cancel
        self._client_sockets = client_sockets
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._sockets: list[socket.socket] = []
        self.fired: str | None = None  # "deadline" or "cancel"
        threading.Thread(target=self._run, name="fetch-watchdog", daemon=True).start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore trace hook: catch new connections before anything is sent."""
        if event == "connection.connect_tcp.complete":
            self.watch(info.get("return_value"))

    def watch(self, stream: Any) -> None:
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        self._client_sockets.add(sock)
        with self._lock:
            if self._done.is_set():
                return
            self._sockets.append(sock)
            if self.fired:
                _shutdown(sock)

    def forget(self) -> None:
        """Stop watching sockets that are about to go back to the shared pool."""
        with self._lock:
            self._sockets.clear()

    def stop(self) -> None:
        with self._lock:
            self._done.set()
            self._sockets.clear()

    def _run(self) -> None:
        while not self._done.wait(min(self.POLL, max(0.0, self._deadline - time.monotonic()))):
            if self._cancel is not None and self._cancel.cancelled:
                reason = "cancel"
            elif time.monotonic() >= self._deadline:
                reason = "deadline"
            else:
                continue
            with self._lock:
                if self._done.is_set():
                    return
                self.fired = reason
                for sock in self._sockets:
                    _shutdown(sock)
            if reason == "cancel":
                self._client_sockets.shutdown_all()
            return


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _ZStage:
    """One gzip/deflate layer, emitting at most _PIECE bytes per step."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._started = False
        self._z = zlib.decompressobj(zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16)

    def _step(self, data: bytes) -> bytes:
        try:
            return self._z.decompress(data, _PIECE)
        except zlib.error:
            if self._deflate and not self._started:
                # Some servers send raw deflate without the zlib header.
                self._started = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._step(data)
            raise FetchError("The server sent damaged compressed data.") from None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._z.eof:
            return  # trailing bytes after the end of the stream are ignored
        out = self._step(data)
        self._started = True
        while True:
            if out:
                yield out
            if self._z.eof or (not self._z.unconsumed_tail and len(out) < _PIECE):
                return
            out = self._step(self._z.unconsumed_tail)

    def flush(self) -> Iterator[bytes]:
        rest = self._z.flush() if not self._z.eof else b""
        for i in range(0, len(rest), _PIECE):
            yield rest[i : i + _PIECE]


class _Decoder:
    """Undo Content-Encoding layers (applied first-to-last, undone last-to-first)."""

    def __init__(self, header: str) -> None:
        encodings = [e.strip().lower() for e in header.split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        for enc in encodings:
            if enc not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(f"The server sent the page in a compressed format that cannot be read ({enc}).")
        self._stages = [_ZStage(e) for e in reversed(encodings)]

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        for index, stage in enumerate(self._stages):
            for piece in stage.flush():
                yield from self._through(index + 1, piece)


def _status_error(status: int, reason_phrase: str) -> FetchError:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = reason_phrase or "an unexpected status"
    text = f"The server answered {status} {phrase}"
    if status == 429:
        text += "; it limits how often pages can be downloaded, try again later"
    elif status in (401, 403):
        text += "; the page may need a login, or the site blocks automatic downloads"
    elif status >= 500:
        text += "; try again later"
    return FetchError(text + ".", status=status)


def _describe_type(media_type: str) -> str:
    family = next((name for prefix, name in _TYPE_FAMILIES.items() if media_type.startswith(prefix)), "a file")
    return _TYPE_NAMES.get(media_type, family)


def _connect_error(exc: BaseException, url: httpx.URL) -> FetchError:
    """Name the root cause (DNS, refused, TLS...) buried in the exception chain."""
    host = _host(url)
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return FetchError(f"Host name not found: {url.host}.")
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or "it is not valid"
            return FetchError(f"The secure connection to {host} failed: its certificate is not trusted ({detail}).")
        if isinstance(cause, ssl.SSLError):
            return FetchError(f"Could not set up a secure connection to {host}.")
        if isinstance(cause, ConnectionRefusedError):
            return FetchError(f"Could not connect to {host}: connection refused.")
        if isinstance(cause, OSError) and cause.strerror:
            return FetchError(f"Could not connect to {host}: {cause.strerror.lower()}.")
    return FetchError(f"Could not connect to {host}.")


def fetch(
    url: str,
    options: FetchOptions = FetchOptions(),
    cancel: CancelToken | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """Download one page; raise FetchError with a readable reason, or Cancelled.

    A cancel cuts every download of ``client``, not only this one (a request waiting on a
    reused connection can be stopped no other way): give each cancellable job, such as one
    import, a client of its own.
    """
    start = time.monotonic()
    own_client = client is None
    try:
        target = _parse_url(url)
        http = make_client(options) if client is None else client
        try:
            return _Download(url, options, cancel, start).run(http, target)
        finally:
            if own_client:
                http.close()
    except FetchError as exc:
        exc.url = exc.url or url
        raise


class _Download:
    """State of one fetch() call: options, deadline, watchdog, current phase."""

    def __init__(self, src: str, options: FetchOptions, cancel: CancelToken | None, start: float) -> None:
        self.src, self.options, self.cancel, self.start = src, options, cancel, start
        self.deadline = start + options.timeout
        self.phase = "headers"  # or "body": chooses the wording of timeout messages

    def run(self, client: httpx.Client, current: httpx.URL) -> FetchResult:
        self.dog = _Watchdog(self.deadline, self.cancel, _client_sockets(client))
        try:
            return self._follow(client, current)
        finally:
            self.dog.stop()

    def _poll(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        # A socket cut by the watchdog can look like a normal end of a
        # close-delimited body, so the deadline is checked here as well.
        if time.monotonic() >= self.deadline or self.dog.fired == "deadline":
            raise self._timeout(self.phase)

    def _timeout(self, phase: str, url: httpx.URL | None = None) -> FetchError:
        after = f"Gave up after {self.options.timeout:g} s"
        if phase == "connect" and url is not None:
            return FetchError(f"{after}: could not connect to {_host(url)} in time.")
        if phase == "body":
            return FetchError(f"{after}: the server did not send the whole page in time.")
        return FetchError(f"{after}: the server did not answer in time.")

    def _network_error(self, exc: httpx.HTTPError, url: httpx.URL) -> Exception:
        """Translate an httpx exception into a FetchError for people (or Cancelled)."""
        # Another download's watchdog may have cut this socket before this one's noticed the cancel.
        if self.dog.fired == "cancel" or (self.cancel is not None and self.cancel.cancelled):
            return Cancelled()
        if self.dog.fired == "deadline" or isinstance(exc, httpx.TimeoutException):
            return self._timeout("connect" if isinstance(exc, httpx.ConnectTimeout) else self.phase, url)
        if isinstance(exc, httpx.ConnectError):
            return _connect_error(exc, url)
        if isinstance(exc, httpx.ProxyError):
            return FetchError(f"The proxy server would not connect to {_host(url)}; check the proxy settings.")
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            if self.phase == "body":
                return FetchError("The server broke off the connection before the whole page arrived; try again later.")
            return FetchError(f"{_host(url)} closed the connection without answering; try again later.")
        return FetchError(f"The download from {_host(url)} failed because of a network error; try again later.")

    def _follow(self, client: httpx.Client, current: httpx.URL) -> FetchResult:
        visits: dict[str, int] = {}
        hops = 0
        while True:
            self._poll()
            key = str(current.copy_with(fragment=None))
            visits[key] = visits.get(key, 0) + 1
            # One revisit is allowed: some sites redirect back after setting a cookie.
            if visits[key] > 2:
                raise FetchError("The server keeps redirecting in a loop, so the page cannot be reached.")
            request = client.build_request(
                "GET", current, headers=_headers(self.options),
                timeout=httpx.Timeout(max(0.01, self.deadline - time.monotonic())),
                extensions={"trace": self.dog.trace},
            )
            try:
                response = client.send(request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise self._network_error(exc, current) from exc
            try:
                # A reused keep-alive connection was never seen by the trace hook.
                self.dog.watch(response.extensions.get("network_stream"))
                status = response.status_code
                if status in _REDIRECTS:
                    hops += 1
                    current = self._redirect_target(response, hops)
                    continue
                if not 200 <= status < 300:
                    raise _status_error(status, response.reason_phrase)
                body = self._read_body(response, current)
            finally:
                self.dog.forget()
                response.close()
            return FetchResult(
                url=self.src, final_url=str(response.url), status=status,
                content_type=response.headers.get("content-type", "").partition(";")[0].strip().lower(),
                charset=response.charset_encoding, body=body, elapsed=time.monotonic() - self.start,
            )

    def _redirect_target(self, response: httpx.Response, hops: int) -> httpx.URL:
        status = response.status_code
        location = response.headers.get("location", "").strip()
        if not location:
            raise FetchError(f"The server answered {status} but did not say where the page moved.", status=status)
        if hops > self.options.max_redirects:
            raise FetchError(f"Too many redirects (more than {self.options.max_redirects}).", status=status)
        try:
            target = response.url.join(location)
        except httpx.InvalidURL:
            raise FetchError("The server redirected to an invalid address.", status=status) from None
        if target.scheme not in ("http", "https"):
            scheme = target.scheme or "non-web"
            raise FetchError(f"The server redirected to a {scheme} address, which cannot be imported.", status=status)
        return target

    def _read_body(self, response: httpx.Response, url: httpx.URL) -> bytes:
        max_bytes = self.options.max_bytes
        media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type and media_type not in ACCEPTED_TYPES:
            raise FetchError(f"Not a web page: the server sent {_describe_type(media_type)} ({media_type}).")
        too_large = FetchError(f"The page is larger than the {_size(max_bytes)} limit.")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise too_large
        decoder = _Decoder(response.headers.get("content-encoding", ""))
        label = f"labelled {media_type}" if media_type else "with no content type"
        body = bytearray()
        sniffed = False

        def check(final: bool) -> None:
            nonlocal sniffed
            if len(body) > max_bytes:
                raise too_large
            self._poll()
            if not sniffed and (final or len(body) >= SNIFF_BYTES):
                sniffed = True  # once, early, so a big binary file is not downloaded in full
                kind = sniff_binary(bytes(body[:SNIFF_BYTES]))
                if kind is not None:
                    raise FetchError(f"Not a web page: the server sent {kind} ({label}).")

        self.phase = "body"
        try:
            for raw in response.iter_raw():
                for piece in decoder.feed(raw):
                    body += piece
                    check(False)
                check(False)
            for piece in decoder.flush():
                body += piece
                check(False)
        except httpx.HTTPError as exc:
            raise self._network_error(exc, url) from exc
        self._poll()  # a cut socket ends a close-delimited body early, maybe before any byte
        if not body or body.isspace():  # isspace() avoids copying up to max_bytes
            raise FetchError("The server sent an empty page.", status=response.status_code)
        check(True)
        return bytes(body)
