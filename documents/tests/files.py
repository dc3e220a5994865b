"""Files as cameras, scanners and attackers make them, for the tests."""

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(*, size=(60, 40), gps: bool = False, orientation: int | None = None) -> bytes:
    """A JPEG, wider than high, red on the left half; with GPS EXIF and an
    orientation tag if asked."""
    image = Image.new("RGB", size, "white")
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def png(size=(30, 20), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 255, 128) if mode == "RGBA" else "blue").save(out, "PNG")
    return out.getvalue()


def webp(size=(30, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "WEBP")
    return out.getvalue()


def heic(size=(40, 30)) -> bytes:
    from pillow_heif import from_pillow

    image = Image.new("RGB", size, "purple")
    out = io.BytesIO()
    from_pillow(image).save(out, quality=90)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    return out.getvalue()


def pdf(text: str = "Verordnung") -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
BROKEN_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nthis is not a pdf\n"
