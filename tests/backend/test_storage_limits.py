"""Upload limits: a bucket's file_size_limit and allowed_mime_types, and the global maximum.

A refused upload leaves nothing behind: no row, no file, no temporary file.
The limits bind every caller, the service role included.
"""

from __future__ import annotations

import pytest

from tests.backend.storage_support import (
    api_error, assert_absent, assert_error, assert_settled, raw, tag, temp_files,
)
from tests.conftest import STORAGE_MAX_BYTES


@pytest.fixture()
def limited(service):
    """A bucket taking at most 1000 bytes of images or PDFs."""
    name = f"lim-{tag()}"
    service.storage.create_bucket(name, options={"file_size_limit": 1000,
                                                 "allowed_mime_types": ["image/*", "application/pdf"]})
    yield name
    service.storage.empty_bucket(name)
    service.storage.delete_bucket(name)


@pytest.fixture()
def open_bucket(service):
    name = f"open-{tag()}"
    service.storage.create_bucket(name)
    yield name
    service.storage.empty_bucket(name)
    service.storage.delete_bucket(name)


def test_bucket_size_limit(service, limited, stack, db) -> None:
    bucket = service.storage.from_(limited)
    bucket.upload("fits.png", b"x" * 1000, {"content-type": "image/png"})
    assert_settled(stack, db, limited, "fits.png", b"x" * 1000)
    err = api_error(lambda: bucket.upload("big.png", b"x" * 1001, {"content-type": "image/png"}),
                    413, "Payload too large")
    assert err.message == "The object exceeded the maximum allowed size"
    assert_absent(stack, db, limited, "big.png")
    # Overwriting with something too big keeps the old bytes.
    api_error(lambda: bucket.upload("fits.png", b"y" * 5000, {"content-type": "image/png", "upsert": "true"}),
              413, "Payload too large")
    assert_settled(stack, db, limited, "fits.png", b"x" * 1000)


def test_a_body_far_over_the_limit_is_dropped_not_stored(service, limited, stack, db) -> None:
    # Raw bodies too, whether their length is declared or not.
    r = raw(stack, "POST", f"/object/{limited}/raw.png", key="service", content=b"z" * (3 * 1024 * 1024),
            headers={"Content-Type": "image/png"})
    assert_error(r, 413, "Payload too large")
    assert_absent(stack, db, limited, "raw.png")
    chunks = (b"z" * 65536 for _ in range(16))  # 1 MiB, sent chunked
    r = raw(stack, "POST", f"/object/{limited}/chunked.png", key="service", content=chunks,
            headers={"Content-Type": "image/png"})
    assert_error(r, 413, "Payload too large")
    assert_absent(stack, db, limited, "chunked.png")


def test_global_limit_binds_buckets_without_one(service, open_bucket, stack, db) -> None:
    bucket = service.storage.from_(open_bucket)
    exactly = b"m" * STORAGE_MAX_BYTES
    bucket.upload("max.bin", exactly)
    assert_settled(stack, db, open_bucket, "max.bin", exactly)
    api_error(lambda: bucket.upload("over.bin", exactly + b"!"), 413, "Payload too large")
    assert_absent(stack, db, open_bucket, "over.bin")


def test_mime_types(service, limited, stack, db) -> None:
    bucket = service.storage.from_(limited)
    bucket.upload("a.png", b"png", {"content-type": "image/png"})
    bucket.upload("b.svg", b"svg", {"content-type": "IMAGE/svg+xml"})  # image/* and any case
    bucket.upload("c.pdf", b"pdf", {"content-type": "application/pdf; charset=binary"})  # parameters ignored
    for name, content in (("a.png", b"png"), ("b.svg", b"svg"), ("c.pdf", b"pdf")):
        assert_settled(stack, db, limited, name, content)
    for name, content_type in (("d.txt", "text/plain"), ("e.html", "text/html"), ("f", "imagepng"),
                               ("g.json", "application/json")):
        err = api_error(lambda: bucket.upload(name, b"nope", {"content-type": content_type}),
                        415, "invalid_mime_type")
        assert err.message == f"mime type {content_type} is not supported"
        assert_absent(stack, db, limited, name)
    # storage3's default type is text/plain;charset=UTF-8: refused here too.
    api_error(lambda: bucket.upload("h.txt", b"nope"), 415, "invalid_mime_type")
    r = raw(stack, "POST", f"/object/{limited}/raw.txt", key="service", content=b"nope",
            headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "invalid_mime_type")
    assert_absent(stack, db, limited, "raw.txt")


def test_changed_limits_apply_to_the_next_upload(service, limited, stack, db) -> None:
    service.storage.update_bucket(limited, {"file_size_limit": 10, "allowed_mime_types": ["text/plain"]})
    bucket = service.storage.from_(limited)
    api_error(lambda: bucket.upload("a.png", b"png", {"content-type": "image/png"}), 415, "invalid_mime_type")
    api_error(lambda: bucket.upload("b.txt", b"eleven byte", {"content-type": "text/plain"}), 413)
    bucket.upload("c.txt", b"ten bytes!", {"content-type": "text/plain"})
    assert_settled(stack, db, limited, "c.txt", b"ten bytes!")
    assert temp_files(stack) == []


def test_malformed_uploads(service, open_bucket, stack, db) -> None:
    boundary = "xyz"
    no_file = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"cacheControl\"\r\n\r\n3600\r\n"
               f"--{boundary}--\r\n").encode()
    r = raw(stack, "POST", f"/object/{open_bucket}/nofile.txt", key="service", content=no_file,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert_error(r, 400)
    assert r.json()["message"] == "No content provided"
    r = raw(stack, "POST", f"/object/{open_bucket}/noboundary.txt", key="service", content=b"x",
            headers={"Content-Type": "multipart/form-data"})
    assert_error(r, 400)
    assert_absent(stack, db, open_bucket, "nofile.txt")
    assert_absent(stack, db, open_bucket, "noboundary.txt")
    api_error(lambda: service.storage.from_(f"missing-{tag()}").upload("a.txt", b"a"), 404, "Bucket not found")
    assert temp_files(stack) == []
