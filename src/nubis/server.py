"""Build the app and serve it: uvicorn runs the server (sockets, signals,
lifespan, graceful stop) on uvloop; each connection is nubis's own HTTP/1.1
protocol (``gateway/http1.py``, with HTTP/2 beside it in ``gateway/http2.py``)."""
from __future__ import annotations

import logging
import signal
import sys

from .config import Config
from .gateway.app import Gateway


def build_app(config: Config) -> Gateway:
    return Gateway(config)


def uvicorn_config(config: Config, app=None):
    import uvicorn

    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # noqa: F401
        # nubis's HTTP/1.1 protocol, with HTTP/2 (h2c, prior knowledge) beside it on the same port.
        from .gateway.http2 import HttpOrH2Protocol
        http = HttpOrH2Protocol
    except ImportError:
        http = "h11"
    return uvicorn.Config(
        app or build_app(config), host=config.host, port=config.port, loop=loop, http=http,
        lifespan="on", access_log=False, log_level=config.log_level, log_config=None,
        server_header=False, date_header=True, proxy_headers=False, timeout_keep_alive=75, timeout_graceful_shutdown=30,
        # Large uploads arrive in pieces; keep the default flow control.
    )


def _banner(config: Config, data_dir: str) -> str:
    where = "ephemeral (nothing kept after exit)" if config.ephemeral else data_dir
    return (f"nubis {_version()} ready at {config.endpoint}  data: {where}  "
            f"— point clients at it: AWS_ENDPOINT_URL={config.endpoint} "
            f"(boto3, AWS CLI: --endpoint-url {config.endpoint}). Ready.")


def _version() -> str:
    from . import __version__

    return __version__


def serve(config: Config) -> None:
    import uvicorn

    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ucfg = uvicorn_config(config)
    # uvicorn's own start-up chatter is replaced by the one banner line below.
    logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, logging.getLogger().level))
    app: Gateway = ucfg.app

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            # A graceful stop on SIGTERM / Ctrl-C is a normal exit (status 0);
            # uvicorn would re-raise the signal after shutting down. A second
            # Ctrl-C still forces the exit.
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:
                print(_banner(config, app.runtime.data_dir), flush=True)

    server = Server(ucfg)
    server.run()
    if not server.started:
        sys.exit(1)
