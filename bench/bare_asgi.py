"""The raw floor's peer: a bare ASGI app on uvicorn's own stack.

nubis ran on this stack until it got its own HTTP/1.1 protocol
(``gateway/http1.py``); the pair now shows what that protocol saves. uvicorn with ``http="httptools"``, ``loop="uvloop"``, ``log_level="warning"``,
no access log, and the same header settings as nubis's server. Every request,
whatever its method or path, gets ``200 text/plain`` ``pong`` (with a
Content-Length). The request body, if any, is not read.

    python bench/bare_asgi.py --port 8000 [--host 127.0.0.1]
"""
from __future__ import annotations

import argparse

_START = {"type": "http.response.start", "status": 200,
          "headers": [(b"content-type", b"text/plain"), (b"content-length", b"4")]}
_BODY = {"type": "http.response.body", "body": b"pong"}


async def app(scope, receive, send):
    kind = scope["type"]
    if kind == "http":
        await send(_START)
        await send(_BODY)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    args = p.parse_args(argv)
    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, http="httptools", loop="uvloop",
                log_level="warning", access_log=False, lifespan="on",
                server_header=False, date_header=True, timeout_keep_alive=75)


if __name__ == "__main__":
    main()
