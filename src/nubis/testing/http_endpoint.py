"""A tiny HTTP server that records every request, for tests of services that
call out over HTTP (SNS subscriptions, EventBridge API destinations)."""
from __future__ import annotations

import http.server
import threading
import time
from typing import Callable


class Endpoint:
    """Records each request as {"method", "path", "headers" (lower-cased), "body" (text)};
    ``statuses`` are the answers to give in turn (the last one repeats), ``answer(path)``
    the body to send with them. ``url`` ends in ``path``; ``port`` 0 takes a free one."""

    def __init__(self, port: int = 0, path: str = "", answer: Callable[[str], bytes] = lambda path: b""):
        self.requests: list[dict] = []
        self.statuses = [200]
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                with outer._lock:
                    outer.requests.append({"method": self.command, "path": self.path,
                                           "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body.decode("utf-8")})
                    status = outer.statuses[min(len(outer.requests) - 1, len(outer.statuses) - 1)]
                payload = answer(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
