"""shared/media.py: photos come out upright, small, JPEG, and without any metadata."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from shared import media
from shared.media import (BrokenImage, DecompressionBomb, MediaError, NotAnImage, TooLarge, prepare_photo,
                          prepare_photo_file)

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _phone_jpeg(size=(4000, 3000), orientation=6) -> bytes:
    """Red left half, blue right half as stored; EXIF with orientation, GPS, camera; XMP and a comment."""
    image = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1]), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 8.0, 10.0), 3: "E", 4: (117.0, 12.0, 36.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>GPSLatitude 39.13</secret></x:xmpmeta>'
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif, xmp=xmp, comment=b"GPS secret comment")
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height`."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def phone_photo() -> media.PreparedPhoto:
    return prepare_photo(_phone_jpeg())


def test_metadata_is_gone(phone_photo):
    for data in (phone_photo.data, phone_photo.thumbnail):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(GPS_IFD)
        assert "icc_profile" not in image.info and "xmp" not in image.info and "comment" not in image.info
        for marker in (b"Exif", b"GPS", b"PhoneModel", b"xmpmeta", b"ICC_PROFILE", b"secret"):
            assert marker not in data


def test_upright_and_resized(phone_photo):
    assert (phone_photo.width, phone_photo.height) == (1200, 1600)  # orientation 6: portrait
    assert (phone_photo.thumbnail_width, phone_photo.thumbnail_height) == (240, 320)
    image = Image.open(io.BytesIO(phone_photo.data))
    assert image.size == (1200, 1600)
    top, bottom = image.getpixel((600, 100)), image.getpixel((600, 1500))
    assert top[0] > 200 and top[2] < 60, "the stored left (red) half must be on top after rotating"
    assert bottom[2] > 200 and bottom[0] < 60
    assert Image.open(io.BytesIO(phone_photo.thumbnail)).size == (240, 320)


def test_result_fields(phone_photo):
    assert phone_photo.content_type == "image/jpeg"
    assert phone_photo.source_format == "JPEG"
    assert phone_photo.file_name.endswith(".jpg") and phone_photo.thumbnail_file_name.endswith("_thumb.jpg")
    assert len(phone_photo.data) < 400_000
    assert "data=" not in repr(phone_photo), "the bytes stay out of logs"


def test_same_photo_same_name():
    data = _phone_jpeg((800, 600), orientation=1)
    assert prepare_photo(data).file_name == prepare_photo(data).file_name


@pytest.mark.parametrize(("size", "orientation", "expected"), [
    ((3000, 2000), 1, (1600, 1067)), ((4001, 3001), 1, (1600, 1200)), ((3999, 2997), 8, (1199, 1600)),
    ((7000, 3500), 6, (800, 1600)),
])
def test_draft_and_full_decode_give_the_same_size(size, orientation, expected):
    data = _phone_jpeg(size, orientation=orientation)
    fast, plain = prepare_photo(data), prepare_photo(data, draft=False)
    assert (fast.width, fast.height) == (plain.width, plain.height) == expected


def test_small_photo_is_not_enlarged():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 30)).save(buffer, "WEBP")
    result = prepare_photo(buffer.getvalue())
    assert (result.width, result.height, result.source_format) == (640, 480, "WEBP")
    assert (result.thumbnail_width, result.thumbnail_height) == (320, 240)


def test_png_with_alpha_lands_on_white():
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((200, 0, 400, 200), fill=(0, 0, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    result = prepare_photo(buffer.getvalue())
    out = Image.open(io.BytesIO(result.data))
    assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (400, 200))
    assert all(c > 245 for c in out.getpixel((50, 100))), "transparent becomes white, not black"
    assert out.getpixel((350, 100))[2] > 230


def test_not_an_image_has_messages_in_both_languages():
    with pytest.raises(NotAnImage) as info:
        prepare_photo(b"%PDF-1.7 this is not a photo" * 10)
    err = info.value
    assert isinstance(err, MediaError)
    assert "图片" in err.zh and "photo" in err.en
    assert err.message("zh") == err.zh and err.message("en-US") == err.en
    assert str(err).index(err.zh) < str(err).index(err.en), "Chinese first"


@pytest.mark.parametrize("data", [b"", b"GIF89a" + b"\0" * 100], ids=["empty", "gif-not-accepted"])
def test_other_inputs_are_not_images(data):
    with pytest.raises(NotAnImage):
        prepare_photo(data)


def test_too_large_is_refused_before_decoding(monkeypatch, tmp_path):
    data = _phone_jpeg((100, 100)) + b"\0" * (21 * 1024 * 1024)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a file over the limit")

    monkeypatch.setattr(Image, "open", no_decoding)
    with pytest.raises(TooLarge) as info:
        prepare_photo(data)
    assert "21.0 MB" in info.value.zh and "20 MB" in info.value.en
    path = tmp_path / "big.jpg"
    path.write_bytes(data)
    with pytest.raises(TooLarge):
        prepare_photo_file(path)


def test_decompression_bomb_is_refused():
    data = _png_header_only(30000, 30000)
    assert len(data) < 200
    with pytest.raises(DecompressionBomb) as info:
        prepare_photo(data)
    assert info.value.zh and info.value.en


def test_over_our_pixel_limit_but_under_pillows():
    with pytest.raises(DecompressionBomb):
        prepare_photo(_png_header_only(10000, 8500))  # 85 MP: Pillow alone would only warn


def test_pillows_warning_range_is_refused_without_a_warning(recwarn):
    with pytest.raises(DecompressionBomb):
        prepare_photo(_png_header_only(12000, 10000))  # 120 MP
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_truncated_jpeg_is_a_clear_error():
    data = _phone_jpeg((1200, 900), orientation=1)
    with pytest.raises(BrokenImage) as info:
        prepare_photo(data[: len(data) // 2])
    assert "损坏" in info.value.zh and "damaged" in info.value.en


def test_cut_inside_the_header_is_refused():
    with pytest.raises(MediaError):
        prepare_photo(_phone_jpeg((200, 100))[:300])


def test_prepare_photo_file(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_phone_jpeg((2000, 1000), orientation=1))
    assert prepare_photo_file(path).width == 1600


def test_icc_profile_is_applied_then_dropped():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for icc in (srgb, b"not a profile"):
        buffer = io.BytesIO()
        Image.new("RGB", (300, 200), (200, 40, 40)).save(buffer, "JPEG", icc_profile=icc)
        result = prepare_photo(buffer.getvalue())
        out = Image.open(io.BytesIO(result.data))
        assert "icc_profile" not in out.info and b"ICC_PROFILE" not in result.data
        r, g, b = out.getpixel((150, 100))
        assert abs(r - 200) < 12 and g < 60 and b < 60


@pytest.mark.parametrize(("mode", "colour", "fmt", "grey"), [
    ("CMYK", (0, 0, 0, 0), "JPEG", 255), ("L", 128, "JPEG", 128), ("L", 128, "PNG", 128),
    ("1", 0, "PNG", 0), ("LA", (100, 255), "PNG", 100), ("I;16", 30000, "PNG", 117),
])
def test_other_modes_become_rgb(mode, colour, fmt, grey):
    buffer = io.BytesIO()
    Image.new(mode, (200, 100), colour).save(buffer, fmt)
    out = Image.open(io.BytesIO(prepare_photo(buffer.getvalue()).data))
    assert out.mode == "RGB" and out.size == (200, 100)
    assert all(abs(c - grey) <= 3 for c in out.getpixel((100, 50))), out.getpixel((100, 50))


def test_palette_png_with_transparency_lands_on_white():
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (50, 0, 100, 100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    out = Image.open(io.BytesIO(prepare_photo(buffer.getvalue()).data))
    assert all(c > 245 for c in out.getpixel((20, 50)))
    assert out.getpixel((80, 50))[0] > 230 and out.getpixel((80, 50))[1] < 30


def test_mpo_from_a_phone_is_accepted():
    frames = [Image.new("RGB", (2400, 1800), (90, 90, 90)), Image.new("RGB", (640, 480))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "MPO", save_all=True, append_images=frames[1:])
    result = prepare_photo(buffer.getvalue())
    assert (result.source_format, result.width, result.height) == ("MPO", 1600, 1200)
