"""`/storage/v1` routes, in upstream's order: specific paths before `/object/{bucket}/{name}`.

Every handler answers errors in Storage's shape; nothing else (no stack trace,
no driver text) reaches a client.
"""

from __future__ import annotations

import functools
import logging
from typing import Awaitable, Callable

import psycopg
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import buckets, errors, listing, objects, signing

log = logging.getLogger("cityloop.storage")

Handler = Callable[[Request], Awaitable[Response]]


def _answer(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except errors.StorageError as exc:
            return exc.response()
        except psycopg.Error as exc:
            error = errors.from_pg(exc)
            if error.status >= 500:
                log.error("storage request failed in the database: %s %s", exc.sqlstate, exc)
            return error.response()
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            log.exception("storage request failed")
            return errors.internal().response()
    return endpoint


def _by_method(**handlers: Handler) -> Handler:
    """One path, one handler per method (Starlette routes a path to a single endpoint)."""
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)
    return dispatch


async def _not_found(request: Request) -> Response:
    raise errors.route_not_found(request.method, request.url.path)


def storage_routes() -> list[BaseRoute]:
    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, _answer(handler), methods=methods)

    return [
        route("/bucket", _by_method(GET=buckets.list_buckets, POST=buckets.create_bucket), ["GET", "POST"]),
        route("/bucket/{bucket}/empty", buckets.empty_bucket, ["POST"]),
        route("/bucket/{bucket}", _by_method(GET=buckets.get_bucket, PUT=buckets.update_bucket,
                                             DELETE=buckets.delete_bucket), ["GET", "PUT", "DELETE"]),
        route("/object/list/{bucket}", listing.list_objects, ["POST"]),
        route("/object/list-v2/{bucket}", listing.list_objects_v2, ["POST"]),
        route("/object/move", objects.move_object, ["POST"]),
        route("/object/copy", objects.copy_object, ["POST"]),
        route("/object/sign/{bucket}", signing.sign_objects, ["POST"]),
        route("/object/sign/{bucket}/{name:path}",
              _by_method(GET=signing.signed_download, POST=signing.sign_object), ["GET", "POST"]),
        route("/object/upload/sign/{bucket}/{name:path}",
              _by_method(POST=signing.sign_upload, PUT=signing.signed_upload), ["POST", "PUT"]),
        route("/object/public/{bucket}/{name:path}", objects.download_public_object, ["GET"]),
        route("/object/authenticated/{bucket}/{name:path}", objects.download_object, ["GET"]),
        route("/object/info/public/{bucket}/{name:path}", objects.public_object_info, ["GET"]),
        route("/object/info/authenticated/{bucket}/{name:path}", objects.object_info, ["GET"]),
        route("/object/info/{bucket}/{name:path}", objects.object_info, ["GET"]),
        route("/object/{bucket}", objects.remove_objects, ["DELETE"]),
        route("/object/{bucket}/{name:path}",
              _by_method(GET=objects.download_object, POST=objects.upload_object, PUT=objects.update_object,
                         DELETE=objects.delete_object), ["GET", "POST", "PUT", "DELETE"]),
        # Anything else: a 404 in Storage's shape (storage3 cannot read the gateway's generic one).
        route("/{path:path}", _not_found, ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    ]
