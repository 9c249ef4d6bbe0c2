"""The loopback redirect of a native app's sign-in (RFC 8252 §7.3): a one-shot HTTP server
on 127.0.0.1 and an ephemeral port, waiting for the authorization server's answer."""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

PAGE = """<!doctype html><meta charset="utf-8"><title>Skillport</title>
<body style="font: 16px system-ui; max-width: 30rem; margin: 4rem auto">
<h1>{title}</h1><p>{text}</p></body>"""
CALLBACK_PATH = "/callback"


class Receiver:
    """Serves ``http://127.0.0.1:<port>/callback`` until the answer carrying ``state``
    arrives; anything else that knocks (another local process) is turned away."""

    def __init__(self, state: str) -> None:
        self.params: dict[str, str] | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                if parts.path != CALLBACK_PATH or receiver._done.is_set():
                    self.send_error(404)
                    return
                if params.get("state") != state:  # not our sign-in: keep waiting for it
                    self.send_error(400, "This answer is for another sign-in.")
                    return
                receiver.params = params
                ok = "code" in receiver.params
                title = "Signed in" if ok else "Sign-in failed"
                text = (
                    "You can close this tab and go back to your terminal."
                    if ok
                    else receiver.params.get("error_description", "The sign-in did not finish.")
                )
                body = PAGE.format(title=title, text=html.escape(text)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                receiver._done.set()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.redirect_uri = f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The redirect's query parameters, or None if none came within ``timeout`` seconds."""
        return self.params if self._done.wait(timeout) else None
