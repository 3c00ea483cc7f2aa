"""Reading a terminal screen the way a phone reads it: the QR text art back into pixels, then decoded.

`qrcode.QRCode.print_ascii(invert=True)` (what `runbook_lib.mfa.qr_text` prints) draws two module rows
per text line with the CP437 half blocks: '█' (both halves), '▀' (top half), '▄' (bottom half) and
U+00A0 (neither). With `invert=True` the drawn part is a *light* module, which is how it looks on a
terminal with light text on a dark background; the border is drawn too, as the quiet zone.
"""

from __future__ import annotations

from PIL import Image

HALF_BLOCKS = {"█": (True, True), "▀": (True, False), "▄": (False, True), "\xa0": (False, False), " ": (False, False)}
"""Each character: whether its (top, bottom) half is drawn."""


def qr_lines(screen: str, after: str) -> list[str]:
    """The block of half-block lines that follows `after` on the screen, as printed (no other stripping:
    `str.strip` would eat U+00A0, which is a part of the code)."""
    tail = screen[screen.index(after) + len(after) :].replace("\r\n", "\n")
    lines: list[str] = []
    for line in tail.split("\n"):
        if line and set(line) <= set(HALF_BLOCKS) and set(line) & {"█", "▀", "▄"}:
            lines.append(line)
        elif lines:
            break
    return lines


def render(lines: list[str], scale: int = 8, margin: int = 4) -> Image.Image:
    """Pixels as a dark terminal shows the art: drawn halves light, the rest dark, on a light margin."""
    width = max(len(line) for line in lines)
    height = 2 * len(lines)
    image = Image.new("L", ((width + 2 * margin) * scale, (height + 2 * margin) * scale), 255)
    for row, line in enumerate(lines):
        for col, char in enumerate(line.ljust(width, "\xa0")):
            for half, drawn in enumerate(HALF_BLOCKS[char]):
                if not drawn:
                    x, y = (col + margin) * scale, (2 * row + half + margin) * scale
                    image.paste(0, (x, y, x + scale, y + scale))
    return image


def decode(lines: list[str]) -> str:
    """The text the QR code holds, read with zxing-cpp without its colour-inversion fallback."""
    import zxingcpp

    found = zxingcpp.read_barcodes(render(lines), try_invert=False)
    if not found:
        raise AssertionError("no QR code could be read off the screen")
    return str(found[0].text)
