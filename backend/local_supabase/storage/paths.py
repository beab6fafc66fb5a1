"""Bucket ids and object names, checked before anything else, and where their bytes live on disk.

Layout, as upstream's file backend: `<storage_dir>/<bucket>/<object name>/<version>`.
Each upload writes a new version file, so a row always names a complete file
and an overwrite never touches bytes a download may be reading. Names become
folders, so they are checked strictly: no `.`/`..` or empty segments, no
absolute names, no backslashes or control characters; and every path built
here is resolved and checked to be inside its bucket's folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import errors

# upstream's isValidBucketName: S3-safe characters, no slash.
_BUCKET_ID = re.compile(r"^[A-Za-z0-9_!\-.*'() &$@=;:+,?]+$")
BUCKET_ID_MAX = 100
# S3's key limit, and the file system's limit on one folder name.
KEY_MAX_BYTES = 1024
SEGMENT_MAX_BYTES = 255
# Versions are generated uuids; rows written by hand may hold anything, which is never a path.
_VERSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Control characters (upstream refuses most, and a file name is no place for any), backslash,
# and the two Unicode non-characters upstream refuses.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\\ufffe\uffff]")
# Where uploads are written before they are complete. `~` is never in a valid bucket id.
TEMP_DIR_NAME = "~tmp"
EMPTY_FOLDER_PLACEHOLDER = ".emptyFolderPlaceholder"


def bucket_id(value: object) -> str:
    if (not isinstance(value, str) or not _BUCKET_ID.match(value) or len(value) > BUCKET_ID_MAX
            or value in (".", "..")):
        raise errors.invalid_bucket_name(value if isinstance(value, str) else "")
    return value


def object_name(value: object) -> str:
    """An object name that can safely become folders under its bucket, or InvalidKey (400)."""
    if not isinstance(value, str) or not value:
        raise errors.invalid_key("" if not isinstance(value, str) else value)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates from a JSON body
        raise errors.invalid_key(value.encode("utf-8", "replace").decode()) from None
    if size > KEY_MAX_BYTES or _FORBIDDEN.search(value):
        raise errors.invalid_key(value)
    for segment in value.split("/"):
        # "" covers absolute names, "a//b" and a trailing slash.
        if segment in ("", ".", "..") or len(segment.encode("utf-8")) > SEGMENT_MAX_BYTES:
            raise errors.invalid_key(value)
    return value


def bucket_and_name(params: dict) -> tuple[str, str]:
    """A route's `{bucket}` and `{name}`, both checked: refused (400) before anything else happens."""
    return bucket_id(params["bucket"]), object_name(params["name"])


def is_placeholder(name: str) -> bool:
    return name.rsplit("/", 1)[-1] == EMPTY_FOLDER_PLACEHOLDER


class Layout:
    """Paths under the storage folder; every one is checked to stay where it belongs."""

    def __init__(self, root: Path):
        self.root = Path(os.path.realpath(root))

    @property
    def temp_dir(self) -> Path:
        return self.root / TEMP_DIR_NAME

    def bucket_dir(self, bucket: str) -> Path:
        path = self.root / bucket_id(bucket)
        _inside(path, self.root)
        return path

    def object_dir(self, bucket: str, name: str) -> Path:
        base = self.bucket_dir(bucket)
        path = base / object_name(name)
        _inside(path, base)
        return path

    def version_file(self, bucket: str, name: str, version: str | None) -> Path | None:
        """The file holding `version` of an object, or None for a version that cannot be a file name."""
        if not version or not _VERSION.match(version):
            return None
        base = self.bucket_dir(bucket)
        path = self.object_dir(bucket, name) / version
        _inside(path, base)
        return path


def _inside(path: Path, base: Path) -> None:
    """Refuse a path that, once resolved (symlinks included), is not strictly below `base`."""
    resolved = Path(os.path.realpath(path))
    real_base = Path(os.path.realpath(base))
    if resolved == real_base or not resolved.is_relative_to(real_base):
        raise errors.invalid_key(str(path.relative_to(base)) if path.is_relative_to(base) else path.name)
