"""A real HTTP receiver on loopback (http.server in a thread) that checks each POST's signature, for the
webhook tests (tests/api) and the webhook screens' tests (tests/web)."""

from __future__ import annotations

import http.server
import json
import threading
import time
import types


class Receiver:
    """Answers each POST with the next planned answer (status, delay), 200 when none is left, and keeps
    what it received: headers, body and whether the signature was valid for `secret`."""

    def __init__(self, context=None):
        self.requests: list[types.SimpleNamespace] = []
        self.plan: list[tuple[int, float]] = []
        self.secret = ""
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                from facturier.api.webhook_sender import verify

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status, delay = receiver.plan.pop(0) if receiver.plan else (200, 0.0)
                    receiver.requests.append(types.SimpleNamespace(
                        path=self.path, headers=dict(self.headers), body=body, json=json.loads(body),
                        signed=verify(receiver.secret, self.headers.get("Facturier-Signature", ""), body)))
                if delay:
                    time.sleep(delay)
                answer = json.dumps({"received": True, "status": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if context is not None:  # HTTPS: the TLS handshake happens in each request's thread
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True,
                                                     do_handshake_on_connect=False)
        scheme = "https" if context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/hooks/facturier"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
