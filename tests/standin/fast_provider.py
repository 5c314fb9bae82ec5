"""A lean loopback provider for the benchmark: accepts every send, nothing else.

The werkzeug stand-in (:mod:`tests.standin.provider`) costs about 2 ms of CPU
per request, which on a 2-core machine would make the benchmark measure the
stand-in instead of the app (a real provider's CPU is not on our cores). This
one speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) on asyncio
to answer the stand-in API's ``POST /send`` in a few microseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import json

_ids = itertools.count(1)


async def _serve_client(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float = 0.0
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            body = await reader.readexactly(length) if length else b""
            ref = json.loads(body or b"{}").get("ref")
            if latency:
                await asyncio.sleep(latency)  # a provider across the internet
            answer = json.dumps({"id": f"fast-{next(_ids)}", "status": "queued", "ref": ref})
            data = answer.encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(data)).encode() + b"\r\n\r\n" + data
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve(port: int, latency_ms: float = 0.0) -> None:
    """Run forever on 127.0.0.1:``port`` (start it in a child process), answering
    each send after ``latency_ms`` like a provider far away would."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve_client(reader, writer, latency_ms / 1000)

    async def main() -> None:
        server = await asyncio.start_server(client, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())
