"""A real SMS gateway stand-in for the tests: an HTTP server on loopback (http.server in a thread) that
speaks the generic HTTPS provider's protocol (messaging/channels/http.py) and records every request.

It behaves as a careful gateway does: it checks the HMAC signature, and it recognises a message's key, so
a second request with a key it has seen answers the first id and sends nothing ("delivered" lists each
key once, in the order first sent). `mode` makes it misbehave: "ok", "fail" (HTTP 500), "reject"
(HTTP 400), "slow" (waits `delay` seconds before doing its work and answering), "noid" (200 without an id).
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "test-gateway-secret"


class Gateway:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.mode = "ok"
        self.delay = 0.0
        self.requests: list[dict] = []  # every request: {"body", "headers", "signature_ok"}
        self.delivered: list[str] = []  # keys actually "sent to phones", each once
        self.ids: dict[str, str] = {}
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                expected = "sha256=" + hmac.new(gateway.secret.encode(), raw, hashlib.sha256).hexdigest()
                body = json.loads(raw)
                with gateway.lock:
                    gateway.requests.append(
                        {
                            "body": body,
                            "headers": dict(self.headers),
                            "signature_ok": hmac.compare_digest(  # bytes: a non-ASCII str would raise TypeError
                                expected.encode(),
                                self.headers.get("X-Boomerang-Signature", "").encode("utf-8", "surrogatepass"),
                            ),
                        }
                    )
                    mode, delay = gateway.mode, gateway.delay
                if mode == "slow":
                    time.sleep(delay)
                if mode == "fail":
                    return self._answer(500, {"error": "gateway down"})
                if mode == "reject":
                    return self._answer(400, {"error": "bad number"})
                key = body["key"]
                with gateway.lock:
                    if key not in gateway.ids:
                        gateway.ids[key] = f"gw-{len(gateway.ids) + 1}"
                        gateway.delivered.append(key)
                    provider_id = gateway.ids[key]
                if mode == "noid":
                    return self._answer(200, {"ok": True})
                return self._answer(200, {"id": provider_id})

            def _answer(self, status: int, data: dict) -> None:
                payload = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): fine
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Gateway":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
