"""Guards at the boundary: body size and time limits, security headers, write tokens.

Pure ASGI middleware (no per-request task switching), so the guards cost little on the hot path.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: the largest request body accepted (bytes)
MAX_BODY = 1_000_000
#: the longest a request may take (seconds) before a 503
MAX_SECONDS = 30.0

#: headers added to every response (scripts and styles only from this server, no framing)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
     b"base-uri 'none'; form-action 'self'"),
]


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Body limit (413; ``max_upload`` on the ``upload_paths``), time limit (503), security
    headers on every response, and a last catch-all that answers 500 with one line and never a
    stack trace."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, max_seconds: float = MAX_SECONDS,
                 max_upload: int = MAX_BODY, upload_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_body = max_body
        self.max_seconds = max_seconds
        self.max_upload = max_upload
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if scope.get("path") in self.upload_paths else self.max_body
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > limit
                except ValueError:
                    await _send_json(send, 400, "invalid Content-Length header")
                    return
                if too_big:
                    await _send_json(send, 413, f"request body over {limit} bytes / 请求体过大")
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooBig
            return msg

        async def headed_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                have = {k.lower() for k, _ in msg.get("headers", [])}
                msg["headers"] = [*msg.get("headers", []), *(h for h in SECURITY_HEADERS if h[0] not in have)]
            await send(msg)

        try:
            await asyncio.wait_for(self.app(scope, limited_receive, headed_send), self.max_seconds)
        except _TooBig:
            if not started:
                await _send_json(send, 413, f"request body over {limit} bytes / 请求体过大")
        except TimeoutError:
            if not started:
                await _send_json(send, 503, f"the request took over {self.max_seconds:g} s and was stopped / 请求超时")
        except Exception:  # the last guard: one line, no stack trace
            if not started:
                await _send_json(send, 500, "internal error / 内部错误")


class _TooBig(Exception):
    pass


def token_ok(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a bearer token (False when either is missing)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
