"""Copies of images made to a network's rules: smaller, lighter, or in a format it takes.

An upload is kept as it came; when a channel's media rules would refuse it (dimensions, pixels,
bytes, type, aspect ratio), `plan` says what a copy must change and `item_for` makes that copy
with Pillow once per asset and set of rules (MediaRendition) and hands the connector the copy
instead. The composer's check shows "will be resized to W×H for <network>" where a copy fixes
the problem, and the problem itself where it does not.

Video and animated GIFs are never converted here: Kalrav validates them and says what to change.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from dataclasses import dataclass, replace

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from PIL import Image

from kalrav.connectors.base import MediaItem, MediaKind, MediaRule, NetworkRules
from kalrav.connectors.rules import Problem
from kalrav.publishing.media.inspection import MAX_IMAGE_PIXELS
from kalrav.publishing.models import MediaAsset, MediaRendition

logger = logging.getLogger(__name__)

# Formats a copy may be written in, most widely understood first. PNG keeps transparency.
_ENCODABLE = ("image/jpeg", "image/png", "image/webp")
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_QUALITIES = (90, 82, 74, 66, 58)
_SHRINK = 0.85  # each round after the qualities are spent
_MAX_ROUNDS = 12


@dataclass(frozen=True)
class Plan:
    width: int
    height: int
    mime_type: str
    resize: bool
    convert: bool
    pad: bool
    max_bytes: int

    def describe(self, network_label: str) -> str:
        values = {
            "width": self.width,
            "height": self.height,
            "network": network_label,
            "type": self.mime_type.removeprefix("image/").upper(),
        }
        if self.pad:
            return _("Will be padded to %(width)d×%(height)d for %(network)s.") % values
        if self.resize and self.convert:
            return _("Will be resized to %(width)d×%(height)d as %(type)s for %(network)s.") % (
                values
            )
        if self.resize:
            return _("Will be resized to %(width)d×%(height)d for %(network)s.") % values
        if self.convert:
            return _("Will be converted to %(type)s for %(network)s.") % values
        return _("Will be compressed to fit %(network)s's size limit.") % values


def rule_key(network: str, rule: MediaRule) -> str:
    """Names the limits a copy was made for; different limits, different copy."""
    limits = (
        sorted(rule.mime_types),
        rule.max_bytes,
        rule.max_width,
        rule.max_height,
        rule.max_dimensions_sum,
        rule.max_pixels,
        rule.max_aspect_ratio,
    )
    digest = hashlib.sha256(repr(limits).encode()).hexdigest()[:20]
    return f"{network}:{digest}"[:64]


def _target_type(mime: str, rule: MediaRule) -> str | None:
    if mime in rule.mime_types and mime in _ENCODABLE:
        return mime
    if mime in rule.mime_types:
        return mime  # accepted but not one we write (HEIC…): only a resize would need another
    return next((candidate for candidate in _ENCODABLE if candidate in rule.mime_types), None)


def _scale_for(width: int, height: int, rule: MediaRule) -> float:
    scale = 1.0
    if rule.max_width:
        scale = min(scale, rule.max_width / width)
    if rule.max_height:
        scale = min(scale, rule.max_height / height)
    if rule.max_dimensions_sum:
        scale = min(scale, rule.max_dimensions_sum / (width + height))
    if rule.max_pixels:
        scale = min(scale, math.sqrt(rule.max_pixels / (width * height)))
    return scale


def _fits(width: int, height: int, rule: MediaRule) -> bool:
    return _scale_for(width, height, rule) >= 1.0


def _scaled(width: int, height: int, scale: float, rule: MediaRule) -> tuple[int, int]:
    if scale >= 1.0:
        return width, height
    new = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
    while not _fits(*new, rule) and min(new) > 1:  # rounding may leave one pixel over
        new = (max(1, new[0] - 1), max(1, new[1] - 1))
    return new


def _padded(width: int, height: int, rule: MediaRule) -> tuple[int, int]:
    ratio = rule.max_aspect_ratio
    if not ratio or max(width, height) / min(width, height) <= ratio:
        return width, height
    short = math.ceil(max(width, height) / ratio)
    return (width, short) if width >= height else (short, height)


def plan(item: MediaItem, rule: MediaRule | None) -> Plan | None:
    """What a copy of `item` must change to pass `rule`; None when it passes already or when a
    copy cannot help (video, animation, no format the network takes, unknown dimensions)."""
    if rule is None or item.kind != MediaKind.IMAGE or not item.width or not item.height:
        return None
    mime = _target_type(item.mime_type, rule)
    if mime is None:
        return None
    width, height = _padded(item.width, item.height, rule)
    pad = (width, height) != (item.width, item.height)
    width, height = _scaled(width, height, _scale_for(width, height, rule), rule)
    resize = (width, height) != (item.width, item.height) and not pad
    convert = mime != item.mime_type
    if (convert or resize or pad) and mime not in _ENCODABLE:
        return None
    heavy = item.size > rule.max_bytes
    if not (pad or resize or convert or heavy):
        return None
    if mime not in _ENCODABLE:
        return None  # too heavy in a format Kalrav does not write
    if pad and not _fits(width, height, rule):
        resize = True
    return Plan(width, height, mime, resize, convert, pad, rule.max_bytes)


def planned_item(item: MediaItem, found: Plan) -> MediaItem:
    """The item as the copy will be, for checking the rest of the rules against it."""
    return replace(
        item,
        mime_type=found.mime_type,
        width=found.width,
        height=found.height,
        size=min(item.size, found.max_bytes),
    )


# --- Making the copy -----------------------------------------------------------------------------


def _encode(image: Image.Image, mime: str, quality: int) -> bytes:
    out = io.BytesIO()
    if mime == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif mime == "image/webp":
        image.save(out, "WEBP", quality=quality, method=4)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _pad(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    transparent = image.mode in ("RGBA", "LA", "P")
    canvas = Image.new(
        "RGBA" if transparent else "RGB", size, (255, 255, 255, 0) if transparent else "white"
    )
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


# EXIF orientations that turn the stored image a quarter, and how to show each one upright.
_QUARTER_TURNS = (5, 6, 7, 8)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_STRIP_ROWS = 64  # output rows reduced at a time: a strip, never the whole image, is copied


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """`image` made `factor` times smaller by averaging, a strip at a time (Pillow's reduce
    copies an RGBA image whole to premultiply it)."""
    if factor < 2:
        return image
    size = (math.ceil(image.width / factor), math.ceil(image.height / factor))
    if image.mode in ("1", "P"):
        return image.resize(size, Image.Resampling.NEAREST)  # palette entries cannot average
    out = Image.new(image.mode, size)
    step = factor * _STRIP_ROWS
    try:
        for top in range(0, image.height, step):
            strip = image.crop((0, top, image.width, min(image.height, top + step)))
            out.paste(strip.reduce(factor), (0, top // factor))
    except ValueError:  # a mode reduce does not take (16-bit grey…)
        return image.resize(size, Image.Resampling.NEAREST)
    return out


def _decoded(data: bytes, rule: MediaRule) -> tuple[Image.Image, tuple[int, int]]:
    """The image upright, decoded no larger than about twice what the copy needs (a JPEG at a
    reduced scale by draft, anything else reduced right after decoding, so that Pillow never
    premultiplies or resizes a full-size copy), and its full upright size. This bounds a copy's memory by the upload's pixel limits (media.inspection)."""
    original = Image.open(io.BytesIO(data))
    orientation = original.getexif().get(0x0112, 1)  # EXIF Orientation
    turned = orientation in _QUARTER_TURNS
    upright = (original.height, original.width) if turned else original.size
    padded = _padded(*upright, rule)
    final = _scaled(*padded, _scale_for(*padded, rule), rule)
    scale = min(final[0] / padded[0], final[1] / padded[1])
    # At least the needed size (in the stored orientation): both the JPEG decoder's scaling
    # and reduce average whole blocks, and the last resize (Lanczos) covers less than 2x.
    need = [max(1, math.ceil(side * scale)) for side in original.size]
    if scale < 0.5:
        original.draft(None, (need[0], need[1]))  # JPEG: decoded at 1/2, 1/4 or 1/8 scale
    original.load()
    image = _reduced(original, min(original.width // need[0], original.height // need[1]))
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    return image, upright


def render(data: bytes, found: Plan, rule: MediaRule) -> tuple[bytes, int, int]:
    """The copy's bytes and size; ValueError when no copy within the rule could be made."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    image, upright = _decoded(data, rule)
    # The copy's size comes from the full-size image, exactly as `plan` announced it; the
    # padding is added at the reduced scale.
    padded = _padded(*upright, rule)
    size = _scaled(*padded, _scale_for(*padded, rule), rule)
    canvas = _padded(image.width, image.height, rule)
    if canvas != image.size:
        image = _pad(image, canvas)
    mime = found.mime_type
    if mime == "image/png" and "image/jpeg" in rule.mime_types and image.mode in ("RGB", "L"):
        # An opaque PNG too heavy for the network is a photo in the wrong format.
        mime = "image/png" if len(data) <= rule.max_bytes else "image/jpeg"
    for _round in range(_MAX_ROUNDS):
        current = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        for quality in _QUALITIES if mime != "image/png" else (100,):
            encoded = _encode(current, mime, quality)
            if len(encoded) <= rule.max_bytes:
                return encoded, current.width, current.height
        size = (max(1, math.floor(size[0] * _SHRINK)), max(1, math.floor(size[1] * _SHRINK)))
    raise ValueError("no copy within the size limit")


def _existing(asset: MediaAsset, key: str) -> MediaRendition | None:
    return MediaRendition.objects.filter(asset=asset, rule_key=key).first()


def rendition_for(asset: MediaAsset, network: str, rule: MediaRule) -> MediaRendition | None:
    """The copy of `asset` for `rule`, made now if it does not exist yet; None when the asset
    needs none or none can be made."""
    found = plan(asset.as_item(), rule)
    if found is None:
        return None
    key = rule_key(network, rule)
    existing = _existing(asset, key)
    if existing is not None:
        return existing
    with asset.file.open("rb") as handle:
        data = handle.read()
    try:
        encoded, width, height = render(data, found, rule)
    except (ValueError, OSError, Image.DecompressionBombError):
        logger.warning("No rendition of media %s for %s could be made", asset.pk, network)
        return None
    mime = found.mime_type
    if mime == "image/png" and encoded[:2] == b"\xff\xd8":
        mime = "image/jpeg"
    copy = MediaRendition(
        asset=asset,
        network=network,
        rule_key=key,
        mime_type=mime,
        size=len(encoded),
        width=width,
        height=height,
    )
    copy.file.save("rendition", ContentFile(encoded), save=False)
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:
        # Another worker made the same copy first: keep theirs, drop ours.
        copy.file.storage.delete(copy.file.name or "")
        return _existing(asset, key)
    return copy


def item_for(asset: MediaAsset, rules: NetworkRules, network: str = "") -> MediaItem:
    """What the connector should send for `asset` on a network with `rules`: a copy made to the
    rules where one is needed and possible, else the asset itself (and the network's own check
    says what is wrong)."""
    item = asset.as_item()
    rule = rules.media.rule_for(item.kind)
    if rule is None or plan(item, rule) is None:
        return item
    copy = rendition_for(asset, network or "network", rule)
    return copy.as_item() if copy is not None else item


# --- What the composer's check shows -------------------------------------------------------------


def checked_items(
    media: list, rules: NetworkRules, network: str, label: str
) -> tuple[list[MediaItem], list[Problem]]:
    """The items to check the rules against (a planned or made copy in place of an asset that
    needs one) and a note for each copy: "will be resized to W×H for Bluesky"."""
    items: list[MediaItem] = []
    notes: list[Problem] = []
    for index, entry in enumerate(media):
        item = entry.as_item() if hasattr(entry, "as_item") else entry
        rule = rules.media.rule_for(item.kind)
        found = plan(item, rule)
        if found is None or rule is None:
            if item.kind == MediaKind.VIDEO and rule is not None and _video_breaks(item, rule):
                notes.append(
                    Problem(
                        "video_not_converted",
                        _(
                            "Kalrav does not convert video: export it again within "
                            "%(network)s's limits."
                        )
                        % {"network": label},
                        target=f"media[{index}]",
                    )
                )
            items.append(item)
            continue
        made = _existing(entry, rule_key(network, rule)) if isinstance(entry, MediaAsset) else None
        if made is not None:
            found = replace(found, width=made.width, height=made.height)
            items.append(made.as_item())
        else:
            items.append(planned_item(item, found))
        notes.append(Problem("rendition", found.describe(label), target=f"media[{index}]"))
    return items, notes


def _video_breaks(item: MediaItem, rule: MediaRule) -> bool:
    return item.mime_type not in rule.mime_types or item.size > rule.max_bytes
