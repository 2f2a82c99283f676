"""A TCP proxy on loopback that adds a fixed delay each way, as a network between hosts would.

``LatencyProxy(upstreams, delay=0.05)`` listens on one loopback address per upstream
(``127.0.1.x``, one port number for all, as the test hosts share theirs) and relays every
connection to its upstream with ``delay`` seconds added to each direction:

* a connection's upstream side is opened ``2 * delay`` after the client connected (the
  round trip of TCP's handshake; the client's own connect returns at once, its first bytes
  wait in the proxy);
* every chunk read from one side is written to the other side ``delay`` after it was read,
  in order, without slowing the chunks behind it (a pipe with latency, not a rate limit).

It runs an asyncio loop on a daemon thread, listens on loopback only, and stops by itself
after ``lifetime`` seconds (default 15 minutes) even if ``stop()`` is never called; ``stop()``
(or leaving the ``with`` block) closes every listener and connection at once.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Dict, List, Optional, Tuple

PROXY_NET = "127.0.1."


def _free_port(addrs: List[str]) -> int:
    """One port number free on every one of ``addrs``."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((addrs[0], 0))
            port = s.getsockname()[1]
        socks = []
        try:
            for addr in addrs:
                t = socket.socket()
                socks.append(t)
                t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                t.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise RuntimeError("no port free on the proxy addresses")


class LatencyProxy:
    def __init__(self, upstreams: List[Tuple[str, int]], delay: float = 0.05,
                 lifetime: float = 900.0, first: int = 11) -> None:
        if not all(addr.startswith("127.") for addr, _port in upstreams):
            raise ValueError("the latency proxy relays to loopback addresses only")
        self.upstreams = list(upstreams)
        self.delay = float(delay)
        self.lifetime = float(lifetime)
        self.addrs = [f"{PROXY_NET}{first + i}" for i in range(len(upstreams))]
        self.port = 0
        self.connections = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._stopped: Optional[asyncio.Event] = None
        self._error: Optional[BaseException] = None

    # -- the address a client uses for each upstream ------------------------------------------
    def address(self, upstream_index: int) -> str:
        return self.addrs[upstream_index]

    def mapping(self) -> Dict[str, str]:
        """upstream address -> the proxy address that reaches it."""
        return {up[0]: addr for up, addr in zip(self.upstreams, self.addrs)}

    # -- life ------------------------------------------------------------------------------
    def start(self) -> "LatencyProxy":
        self.port = _free_port(self.addrs)
        self._thread = threading.Thread(target=self._run, name="latency-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the latency proxy did not start")
        if self._error is not None:
            raise RuntimeError(f"the latency proxy failed: {self._error}")
        return self

    def stop(self) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopped.set)
            except RuntimeError:  # the loop already ended (lifetime)
                pass
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "LatencyProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as e:  # reported to start(), never raised on this thread
            self._error = e
            self._ready.set()
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        servers = []
        tasks: set = set()
        try:
            for addr, upstream in zip(self.addrs, self.upstreams):
                async def handle(reader, writer, upstream=upstream):
                    task = asyncio.current_task()
                    tasks.add(task)
                    try:
                        await self._relay(reader, writer, upstream)
                    except asyncio.CancelledError:
                        pass  # stopping: end quietly (asyncio logs a cancelled handler)
                    finally:
                        tasks.discard(task)
                servers.append(await asyncio.start_server(handle, addr, self.port,
                                                          reuse_address=True))
            self._ready.set()
            try:
                await asyncio.wait_for(self._stopped.wait(), self.lifetime)
            except asyncio.TimeoutError:
                pass  # bounded in time: stop by ourselves
        finally:
            for server in servers:
                server.close()
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter,
                     upstream: Tuple[str, int]) -> None:
        self.connections += 1
        _nodelay(client_w)
        up_w: Optional[asyncio.StreamWriter] = None
        try:
            await asyncio.sleep(2 * self.delay)  # TCP's handshake: one round trip
            up_r, up_w = await asyncio.open_connection(*upstream)
            _nodelay(up_w)
            await asyncio.gather(self._pipe(client_r, up_w), self._pipe(up_r, client_w))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (client_w, up_w):
                if w is not None:
                    w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer``, each chunk ``delay`` after it was read."""
        queue: asyncio.Queue = asyncio.Queue()

        async def read() -> None:
            try:
                while True:
                    data = await reader.read(65536)
                    queue.put_nowait((time.monotonic() + self.delay, data))
                    if not data:
                        return
            except (OSError, asyncio.IncompleteReadError):
                queue.put_nowait((time.monotonic() + self.delay, b""))

        reading = asyncio.ensure_future(read())
        try:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except OSError:
            return
        finally:
            reading.cancel()


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
