"""An asyncio TCP fault proxy: put it between the app and a dependency, then break the link.

Modes (``proxy.mode = ...``, for new and existing connections alike):

* ``pass``: bytes flow both ways;
* ``refuse``: nothing listens on the port (connections are refused), existing ones are reset;
* ``blackhole``: connections are accepted and read, nothing ever comes back;
* ``reset``: the request is read, then the connection is reset (RST, not FIN);
* ``slow``: every chunk is delayed by ``latency_s``;
* ``cut``: after ``budget`` bytes have gone upstream (client → server) on a connection, it is
  reset: a request body cut in the middle;
* ``cut_down``: the same for bytes coming back (server → client): a response cut mid-stream.

The proxy runs its own event loop in a thread, so a test blocked on the app (or boto3 blocked
in a worker thread) cannot stall it.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MODES = frozenset({"pass", "refuse", "blackhole", "reset", "slow", "cut", "cut_down"})


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST: SO_LINGER 0 makes close() abort the connection."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()
    writer.close()


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; see the module docstring for modes."""

    def __init__(self, upstream_host: str, upstream_port: int, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port
        self.latency_s = 0.0
        self.budget = 0
        self.connections = 0
        self._mode = "pass"
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # -- control (from the test's thread) ---------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {sorted(MODES)}")
        self._call(self._switch(mode))

    @contextmanager
    def fault(self, mode: str, **options: float) -> Iterator[FaultProxy]:
        """``with proxy.fault("reset"):`` the link is broken inside the block, then restored."""
        for name, value in options.items():
            setattr(self, name, value)
        self.mode = mode
        try:
            yield self
        finally:
            self.mode = "pass"

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)  # type: ignore[arg-type]

    # -- inside the proxy's loop ------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self, *, listener: bool) -> None:
        for writer in list(self._open):
            _reset(writer)
        self._open.clear()
        if listener and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _shutdown(self) -> None:
        await self._close(listener=True)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # let the aborted transports finish closing

    async def _switch(self, mode: str) -> None:
        self._mode = mode
        if mode in {"refuse", "reset", "blackhole", "cut", "cut_down"}:
            # Pooled keep-alive connections must not carry on as if nothing happened.
            await self._close(listener=mode == "refuse")
        if mode != "refuse" and self._server is None:
            await self._listen()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._open.add(writer)
        mode = self._mode
        try:
            if mode == "blackhole":
                while await reader.read(65536):
                    pass
                return
            if mode == "reset":
                await reader.read(65536)
                _reset(writer)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                _reset(writer)
                return
            self._open.add(up_writer)
            try:
                await asyncio.gather(
                    self._pipe(reader, up_writer, writer, [0], upstream=True),
                    self._pipe(up_reader, writer, up_writer, [0], upstream=False),
                    return_exceptions=True,
                )
            finally:
                self._open.discard(up_writer)
                up_writer.close()
        finally:
            self._open.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        other: asyncio.StreamWriter,
        sent: list[int],
        *,
        upstream: bool,
    ) -> None:
        try:
            while chunk := await source.read(65536):
                if self._mode == "slow":
                    await asyncio.sleep(self.latency_s)
                if self._mode == ("cut" if upstream else "cut_down"):
                    room = self.budget - sent[0]
                    if room <= 0 or len(chunk) > room:
                        sink.write(chunk[: max(room, 0)])
                        sent[0] = self.budget
                        _reset(sink)
                        _reset(other)
                        return
                    sent[0] += len(chunk)
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._open.discard(sink)
            if not sink.is_closing():
                if upstream and sink.can_write_eof():
                    try:
                        sink.write_eof()
                    except OSError:
                        sink.close()
                else:
                    sink.close()
