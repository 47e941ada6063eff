"""Reading what an uploaded file really is from its bytes: Pillow decodes images; for video we read
the container's signature (ISO base media / QuickTime `ftyp`, Matroska/WebM EBML) and, for MP4, the
duration from the `mvhd` box. The file name and the browser's content type are never trusted."""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kalrav.connectors.base import MediaKind

MAX_BYTES = 500 * 1024 * 1024  # the largest video any network we support accepts is smaller
# Pixel limits, checked from the header at upload, before anything is decoded. A JPEG is decoded
# at a reduced scale for a copy (Pillow's draft), so a large one costs little; PNG, WebP and GIF
# decode whole (width x height x up to 4 bytes), so their limit keeps a copy within ~200 MB.
MAX_IMAGE_PIXELS = 100_000_000
MAX_WHOLE_DECODE_PIXELS = 16_000_000

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
QUICKTIME_BRANDS = {b"qt  "}


@dataclass(frozen=True)
class Inspected:
    kind: MediaKind
    mime_type: str
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None


def _size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


def pixel_limit(image_format: str) -> int:
    return MAX_IMAGE_PIXELS if image_format == "JPEG" else MAX_WHOLE_DECODE_PIXELS


def _too_large(limit: int, width: int | None = None, height: int | None = None) -> ValidationError:
    values = {"limit": limit // 1_000_000, "width": width, "height": height}
    if width is None:
        message = _("This image has more than %(limit)d megapixels, the most Kalrav accepts.")
    else:
        message = _(
            "This image is %(width)d×%(height)d pixels; Kalrav accepts at most %(limit)d "
            "megapixels in this format. Make it smaller (or save it as JPEG) and upload it again."
        )
    return ValidationError({"file": message % values})


def _image(handle: IO[bytes], size: int) -> Inspected | None:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; the check below refuses.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(handle)
        with image:
            image_format = image.format or ""
            width, height = image.size  # read from the header: nothing is decoded yet
            if width * height > pixel_limit(image_format):
                raise _too_large(pixel_limit(image_format), width, height)
            animated = bool(getattr(image, "is_animated", False))
            image.verify()  # reads the whole file: a truncated or forged image fails here
    except Image.DecompressionBombError:
        raise _too_large(MAX_IMAGE_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    finally:
        handle.seek(0)
    mime = IMAGE_TYPES.get(image_format)
    if mime is None:
        return None
    kind = MediaKind.GIF if mime == "image/gif" and animated else MediaKind.IMAGE
    return Inspected(kind, mime, size, width, height)


def _boxes(data: bytes, start: int, end: int):
    """(type, payload start, box end) of the ISO-BMFF boxes between start and end."""
    offset = start
    while offset + 8 <= end:
        length, box_type = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if length == 1 and offset + 16 <= end:
            length = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header = 16
        elif length == 0:
            length = end - offset
        if length < header:
            return
        yield box_type, offset + header, min(offset + length, end)
        offset += length


def _mp4_duration(handle: IO[bytes], size: int) -> float | None:
    # moov is often at the end of the file (no "fast start"); walk top-level boxes by seeking.
    offset = 0
    while offset + 8 <= size:
        handle.seek(offset)
        header = handle.read(16)
        length, box_type = struct.unpack(">I4s", header[:8])
        if length == 1:
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:
            length = size - offset
        if length < 8:
            return None
        if box_type == b"moov":
            handle.seek(offset)
            moov = handle.read(min(length, 16 * 1024 * 1024))
            for inner, payload, _end in _boxes(moov, 8, len(moov)):
                if inner != b"mvhd":
                    continue
                version = moov[payload]
                if version == 1:
                    timescale, duration = struct.unpack(">IQ", moov[payload + 20 : payload + 32])
                else:
                    timescale, duration = struct.unpack(">II", moov[payload + 12 : payload + 20])
                return round(duration / timescale, 3) if timescale else None
            return None
        offset += length
    return None


def _video(handle: IO[bytes], size: int) -> Inspected | None:
    head = handle.read(64)
    handle.seek(0)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in QUICKTIME_BRANDS:
            mime = "video/quicktime"
        elif brand.startswith((b"3g", b"M4A", b"M4B")) or brand == b"avif":
            return None  # audio-only or image containers share the signature
        else:
            mime = "video/mp4"
        try:
            duration = _mp4_duration(handle, size)
        except (struct.error, IndexError):
            duration = None
        finally:
            handle.seek(0)
        return Inspected(MediaKind.VIDEO, mime, size, duration=duration)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        mime = "video/webm" if b"webm" in head else "video/x-matroska"
        return Inspected(MediaKind.VIDEO, mime, size)
    return None


def inspect(handle: IO[bytes]) -> Inspected:
    """What the file is, or a ValidationError that says what Kalrav accepts."""
    size = _size(handle)
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > MAX_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(max)d MB.") % {"max": MAX_BYTES // 1_000_000}}
        )
    found = _image(handle, size) or _video(handle, size)
    if found is None:
        raise ValidationError(
            {
                "file": _(
                    "This file is not an image or video Kalrav can read, whatever its name says. "
                    "Upload a JPEG, PNG, WebP or GIF image, or an MP4, MOV or WebM video."
                )
            }
        )
    return found
