"""The gateway's own refusals (limits), in the error shape of the service a path belongs to.

A limit is enforced in front of the services (as hosted Supabase's edge does), but
each client library reads only its own service's shape: postgrest-py
`{code, message, details, hint}`, supabase-auth `{code, error_code, msg, message}`,
storage3 `{statusCode, error, message}`. One table of codes, used both by the ASGI
layer (limits.py) and by the connection layer (connections.py), which writes raw bytes.
"""

from __future__ import annotations

import json

from ..auth.errors import API_VERSION, API_VERSION_HEADER

# status -> (REST code, Auth code, Storage code, Storage error): the gateway's codes for its limits.
_CODES = {
    400: ("PGRST100", "bad_request", "InvalidRequest", "Bad Request"),
    408: ("PGRST408", "request_timeout", "RequestTimeout", "Request Timeout"),
    413: ("PGRST413", "request_too_large", "EntityTooLarge", "Payload too large"),
    429: ("PGRST429", "over_request_rate_limit", "SlowDown", "Too Many Requests"),
    431: ("PGRST431", "request_too_large", "EntityTooLarge", "Request Header Fields Too Large"),
    503: ("PGRST503", "service_unavailable", "ServiceUnavailable", "Service Unavailable"),
}


def limit_error(path: str, status: int, message: str) -> tuple[dict, dict[str, str]]:
    """The JSON body and extra headers answering `status` for a request to `path`."""
    rest, auth, storage, storage_error = _CODES[status]
    if path.startswith("/rest/v1"):
        return {"code": rest, "details": None, "hint": None, "message": message}, {}
    if path.startswith("/storage/v1"):
        return {"statusCode": str(status), "code": storage, "error": storage_error, "message": message}, {}
    # /auth/v1 and the gateway's other routes (/health, /realtime, /payments) answer as GoTrue does.
    return ({"code": auth, "error_code": auth, "message": message, "msg": message},
            {API_VERSION_HEADER: API_VERSION, "x-error-code": auth})


_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 429: "Too Many Requests",
            431: "Request Header Fields Too Large", 503: "Service Unavailable"}


def raw_response(path: str, status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response (closing the connection), for refusals made before any ASGI app runs."""
    body, extra = limit_error(path, status, message)
    data = json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} {_REASONS[status]}", "content-type: application/json",
            f"content-length: {len(data)}", "connection: close"]
    head += [f"{k}: {v}" for k, v in extra.items()]
    if status in (429, 503):
        head.append("retry-after: 1")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data
