"""Looking at a PDF the way a reader would: pages rendered to PNG (pypdfium2), and for each
character the font that drew it, as the PDF records it."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import Image


def pages(data: bytes, out: Path | None = None, scale: float = 1.5) -> list[Image.Image]:
    document = pdfium.PdfDocument(data)
    images = []
    for number in range(len(document)):
        image = document[number].render(scale=scale).to_pil().convert("RGB")
        if out is not None:
            image.save(out / f"page-{number + 1}.png")
        images.append(image)
    return images


def fonts_by_character(data: bytes) -> dict[str, set[str]]:
    """Each character of the text and the embedded fonts that drew it (subset prefix dropped)."""
    document = pdfium.PdfDocument(data)
    found: dict[str, set[str]] = {}
    for number in range(len(document)):
        text = document[number].get_textpage()
        for index in range(text.count_chars()):
            character = chr(pdfium_raw.FPDFText_GetUnicode(text.raw, index))
            if character.isspace():
                continue
            name = ctypes.create_string_buffer(256)
            flags = ctypes.c_int()
            pdfium_raw.FPDFText_GetFontInfo(text.raw, index, name, 256, ctypes.byref(flags))
            found.setdefault(character, set()).add(name.value.decode().split("+")[-1])
    return found


def count_colour(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """Pixels near `rgb`: a chart's bars and line are drawn in colours no text uses."""
    r0, g0, b0 = rgb
    return sum(
        1
        for r, g, b in image.get_flattened_data()
        if abs(r - r0) < tolerance and abs(g - g0) < tolerance and abs(b - b0) < tolerance
    )


def ink_width(image: Image.Image) -> int:
    """Width of what is drawn (non-white) on an image."""
    box = Image.eval(image.convert("L"), lambda v: 255 if v < 200 else 0).getbbox()
    return 0 if box is None else box[2] - box[0]
