from __future__ import annotations

import io
import struct

from PIL import Image

from kalrav.channels.models import Channel, ChannelState


def channel(workspace, network="bluesky", name="Shanti on Bluesky", **extra) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        name=name,
        handle=extra.pop("handle", "shanti.example.test"),
        state=ChannelState.ACTIVE,
        **extra,
    )


def png_bytes(width=40, height=30, color=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def gif_bytes(frames=2) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (10, 10), (60 * n, 0, 255 - 60 * n)) for n in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4_bytes(seconds=12.5, timescale=1000, brand=b"isom", moov_last=True) -> bytes:
    """A minimal ISO-BMFF file: ftyp, mdat and a moov whose mvhd gives the duration."""
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2mp41")
    mvhd = _box(
        b"mvhd",
        b"\x00\x00\x00\x00"
        + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale))
        + bytes(80),
    )
    moov = _box(b"moov", mvhd)
    mdat = _box(b"mdat", bytes(256))
    return ftyp + (mdat + moov if moov_last else moov + mdat)
