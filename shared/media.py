"""Prepare a resident's photo for upload: upright, no metadata, small.

The location of a report travels as a field, never hidden in the file, so every
piece of metadata (EXIF with GPS, XMP, comments, ICC) is dropped: the pixels are
re-encoded as a plain sRGB JPEG. Accepted: JPEG (also MPO, the multi-picture
JPEG some phones write), PNG, WebP and AVIF (built into Pillow's wheels), and
HEIC/HEIF (iPhones' own format) through the pinned `pillow-heif` package, whose
wheel carries libheif: Pillow alone cannot read HEIC. Safari on iOS usually hands
a web upload over as JPEG anyway; Chrome on a computer sends the .heic file as is.

Limits are checked before the expensive work: the byte size before decoding,
the pixel count from the header before loading the pixels.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from typing import Literal

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError, features
from pydantic import BaseModel, ConfigDict, Field

try:  # HEIC/HEIF: an opener registered with Pillow (pyproject pins the package)
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF: tuple[str, ...] = ("HEIF",)
except ImportError:  # pragma: no cover - an install without it refuses HEIC as not a photo
    _HEIF = ()

MAX_BYTES = 20 * 1024 * 1024
# Covers full-resolution 50 and 64 MP phone photos; below Pillow's own warning
# threshold (~89.5 MP), whose warning we turn into the same refusal anyway.
MAX_PIXELS = 80_000_000
LONG_EDGE = 1600
THUMB_LONG_EDGE = 320
JPEG_QUALITY = 80
# The JPEG opener also returns MPO files (JPEG with extra images, as some phones write).
FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP") + (("AVIF",) if features.check("avif") else ()) + _HEIF
# What a chosen file's name may end with to be taken for a photo (checked before any byte is sent).
PHOTO_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".jpe", ".png", ".webp") + \
    ((".avif",) if "AVIF" in FORMATS else ()) + ((".heic", ".heif") if _HEIF else ())
_JPEG_FAMILY = ("JPEG", "MPO")
_ORIENTATION = 0x0112  # EXIF tag
_MB = 1024 * 1024


class MediaError(ValueError):
    """A photo we refuse; `zh` and `en` are messages a user can read."""

    zh = "无法处理这张图片。"
    en = "This photo cannot be used."

    def __init__(self, zh: str | None = None, en: str | None = None) -> None:
        if zh is not None:
            self.zh = zh
        if en is not None:
            self.en = en
        super().__init__(f"{self.zh} / {self.en}")

    def message(self, locale: str = "zh") -> str:
        return self.en if locale.lower().startswith("en") else self.zh


class NotAnImage(MediaError):
    zh = "这不是可识别的图片，请选择 JPG、PNG 或 HEIC 图片。"
    en = "This is not a photo we can read. Please choose a JPG, PNG or HEIC image."


class TooLarge(MediaError):
    def __init__(self, size: int) -> None:
        super().__init__(f"图片太大（{size / _MB:.1f} MB），上限为 {MAX_BYTES // _MB} MB。",
                         f"The photo is too large ({size / _MB:.1f} MB); the limit is {MAX_BYTES // _MB} MB.")


class NotAPhotoFile(MediaError):
    """A chosen file that is not a photo, named, so the person knows which one."""

    def __init__(self, name: str) -> None:
        super().__init__(f"「{name}」不是照片，请选择 JPG、PNG 或 HEIC 图片",
                         f"“{name}” is not a photo. Please choose a JPG, PNG or HEIC image.")


class DecompressionBomb(MediaError):
    zh = "图片像素过多，无法处理。请用相机的普通模式拍照后再上传。"
    en = "The photo has too many pixels. Please take it in the camera's normal mode and try again."


class BrokenImage(MediaError):
    """Truncated or corrupt: the header was readable, the pixels were not."""

    zh = "图片不完整或已损坏，请重新拍照或选择其他图片。"
    en = "The photo is incomplete or damaged. Please take it again or choose another one."


class PreparedPhoto(BaseModel):
    """What goes to Storage: the photo and its thumbnail, both JPEG without metadata."""

    model_config = ConfigDict(frozen=True)

    data: bytes = Field(repr=False)
    width: int
    height: int
    thumbnail: bytes = Field(repr=False)
    thumbnail_width: int
    thumbnail_height: int
    content_type: Literal["image/jpeg"] = "image/jpeg"
    # Named by content: no user data in the name, and a retried upload reuses it.
    file_name: str
    thumbnail_file_name: str
    source_format: str


PhotoInput = bytes | PreparedPhoto  # what the client uploads: raw bytes, or a photo already prepared


def refusal_for_file(name: str, size: int) -> MediaError | None:
    """What is wrong with a chosen file from its name and size alone, or None: asked before it is sent."""
    if not name.lower().endswith(PHOTO_EXTENSIONS):
        return NotAPhotoFile(name)
    if size > MAX_BYTES:
        return named(TooLarge(size), name)
    return None


def named(error: MediaError, name: str) -> MediaError:
    """`error` about the file `name`, saying which file it is."""
    if isinstance(error, NotAnImage):
        return NotAPhotoFile(name)
    if isinstance(error, NotAPhotoFile):
        return error
    return MediaError(f"「{name}」{error.zh}", f"“{name}”: {error.en}")


def prepare_photo(data: bytes, *, draft: bool = True) -> PreparedPhoto:
    """Re-encode `data` for upload, or raise a `MediaError`.

    `draft=False` decodes JPEGs at full size; it exists only for bench/media.py.
    """
    if len(data) > MAX_BYTES:
        raise TooLarge(len(data))
    image = _open(data)
    source_format = image.format or ""
    # From the full size, so the draft and the plain path give the same output size.
    target = _fit(image.size, LONG_EDGE)
    try:
        if image.getexif().get(_ORIENTATION) in (5, 6, 7, 8):  # shown turned by 90 degrees
            target = target[::-1]
        if draft and source_format in _JPEG_FAMILY:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below the target:
            # far less work and memory, and the final resize keeps the quality.
            image.draft("RGB", _fit(image.size, LONG_EDGE))
        image.load()
        upright = _resizable(ImageOps.exif_transpose(image))
        resized = upright.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        # Colour conversion after the resize: a few times fewer pixels to convert.
        photo = _to_srgb(resized, image.info.get("icc_profile"))
    except Image.DecompressionBombError as exc:
        raise DecompressionBomb() from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise BrokenImage() from exc
    thumb = photo.resize(_fit(photo.size, THUMB_LONG_EDGE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    photo_bytes, thumb_bytes = _jpeg(photo), _jpeg(thumb)
    stem = hashlib.sha256(photo_bytes).hexdigest()[:20]
    return PreparedPhoto(data=photo_bytes, width=photo.width, height=photo.height,
                         thumbnail=thumb_bytes, thumbnail_width=thumb.width, thumbnail_height=thumb.height,
                         file_name=f"{stem}.jpg", thumbnail_file_name=f"{stem}_thumb.jpg",
                         source_format=source_format)


def quick_thumbnail(data: bytes) -> bytes:
    """The 320 px thumbnail alone, in a fraction of `prepare_photo`'s time (a 12 MP JPEG: libjpeg
    decodes it at 1/8 scale, 500x375): the form shows it while the full photo is prepared.
    Refuses what `prepare_photo` refuses (a MediaError)."""
    if len(data) > MAX_BYTES:
        raise TooLarge(len(data))
    image = _open(data)
    target = _fit(image.size, THUMB_LONG_EDGE)
    try:
        if image.getexif().get(_ORIENTATION) in (5, 6, 7, 8):
            target = target[::-1]
        if (image.format or "") in _JPEG_FAMILY:
            image.draft("RGB", _fit(image.size, THUMB_LONG_EDGE))
        image.load()
        upright = _resizable(ImageOps.exif_transpose(image))
        thumb = upright.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        return _jpeg(_to_srgb(thumb, image.info.get("icc_profile")))
    except Image.DecompressionBombError as exc:
        raise DecompressionBomb() from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise BrokenImage() from exc


def prepare_photo_file(path: str | os.PathLike[str]) -> PreparedPhoto:
    """Like `prepare_photo`, refusing an oversized file before reading it."""
    size = os.stat(path).st_size
    if size > MAX_BYTES:
        raise TooLarge(size)
    with open(path, "rb") as f:
        return prepare_photo(f.read())


def _open(data: bytes) -> Image.Image:
    """Read the header only; refuse unknown formats and too many pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBomb() from exc
    except UnidentifiedImageError as exc:
        raise NotAnImage() from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # header recognised, then cut off
        raise BrokenImage() from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise BrokenImage()
    if width * height > MAX_PIXELS:
        raise DecompressionBomb()
    return image


def _fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """`size` scaled so its long edge is at most `long_edge` (never enlarged)."""
    width, height = size
    scale = min(1.0, long_edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resizable(image: Image.Image) -> Image.Image:
    """Transparency flattened onto white; modes LANCZOS cannot resize made RGB."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("RGB", "L", "CMYK"):  # kept: an ICC profile describes these
        return image
    if image.mode.startswith("I"):  # 16-bit grey (PNG): a plain convert would clip to white
        return image.convert("I").point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB pixels in sRGB, so the file needs no profile."""
    if icc:
        # iPhones tag photos Display P3: dropping the profile without converting
        # would dull the colours. A profile we cannot use is ignored.
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                                  outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    # A fresh image with empty info: Pillow copies a JPEG comment from `info`
    # when saving, and nothing from the source may reach the file.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()
