"""A local stand-in for the 企业微信 and 钉钉 group-robot webhooks, for tests.

``RobotServer("wecom")`` / ``RobotServer("dingtalk", secret="SEC…")`` listens on 127.0.0.1 on a
random port in a thread, records every request, and answers like the real service:
``{"errcode": 0, "errmsg": "ok"}`` for a message in the documented format, an errcode for a
malformed one, 310000 for a 钉钉 signature that does not match the shared secret (or a
timestamp more than an hour off). ``fail_next(n)`` makes the next n requests answer HTTP 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WECOM_MARKDOWN_MAX_BYTES = 4096


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: object = None
    answer: dict = field(default_factory=dict)
    status: int = 200


def wecom_errors(message) -> tuple[int, str] | None:
    """None when ``message`` is a valid 企业微信 markdown message, else (errcode, errmsg)."""
    if not isinstance(message, dict) or message.get("msgtype") != "markdown":
        return 40008, "invalid message type"
    markdown = message.get("markdown")
    if set(message) != {"msgtype", "markdown"} or not isinstance(markdown, dict):
        return 40008, "invalid message type"
    content = markdown.get("content")
    if set(markdown) != {"content"} or not isinstance(content, str) or not content:
        return 44004, "content is empty"
    if len(content.encode()) > WECOM_MARKDOWN_MAX_BYTES:
        return 40058, "markdown.content exceed max length 4096"
    return None


def dingtalk_errors(message) -> tuple[int, str] | None:
    """None when ``message`` is a valid 钉钉 markdown message, else (errcode, errmsg)."""
    if not isinstance(message, dict) or message.get("msgtype") != "markdown":
        return 40035, "msgtype is missing or not supported"
    markdown = message.get("markdown")
    if not isinstance(markdown, dict):
        return 40035, "markdown is missing"
    for key in ("title", "text"):
        if not isinstance(markdown.get(key), str) or not markdown[key]:
            return 40035, f"markdown.{key} is missing"
    return None


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    """The signature as 钉钉 computes it (base64 of HMAC-SHA256), before URL encoding."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class RobotServer:
    def __init__(self, kind: str, *, secret: str = ""):
        assert kind in ("wecom", "dingtalk")
        self.kind, self.secret = kind, secret
        self.requests: list[Received] = []
        self._fail_remaining = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- control ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        if self.kind == "wecom":
            return f"http://{host}:{port}/cgi-bin/webhook/send?key=test-key"
        return f"http://{host}:{port}/robot/send?access_token=test-token"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._fail_remaining = count

    def start(self) -> RobotServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RobotServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- answering --------------------------------------------------------------------------

    def answer(self, received: Received) -> tuple[int, dict]:
        with self._lock:
            if self._fail_remaining > 0:
                self._fail_remaining -= 1
                return 500, {"error": "internal error"}
        if received.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 200, {"errcode": 40035, "errmsg": "content-type must be application/json"}
        try:
            received.json = json.loads(received.body.decode())
        except (UnicodeDecodeError, ValueError):
            return 200, {"errcode": 40035, "errmsg": "invalid json"}
        if self.kind == "wecom":
            if received.query.get("key") != "test-key":
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            error = wecom_errors(received.json)
        else:
            if received.query.get("access_token") != "test-token":
                return 200, {"errcode": 300001, "errmsg": "token is not exist"}
            error = self._signature_error(received.query) or dingtalk_errors(received.json)
        if error:
            return 200, {"errcode": error[0], "errmsg": error[1]}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _signature_error(self, query: dict[str, str]) -> tuple[int, str] | None:
        if not self.secret:
            return None
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
            return 310000, "invalid timestamp"
        if not hmac.compare_digest(sign, dingtalk_expected_sign(self.secret, timestamp)):
            return 310000, "sign not match"
        return None

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urllib.parse.urlsplit(self.path)
                # parse_qs decodes the URL encoding (sign is sent quote_plus-encoded)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    path=parts.path,
                    query=query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                status, answer = server.answer(received)
                received.status, received.answer = status, answer
                with server._lock:
                    server.requests.append(received)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # keep test output quiet
                pass

        return Handler
