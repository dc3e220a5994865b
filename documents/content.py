"""What an uploaded file is, by its content and never by its name: JPEG,
PNG, WebP and HEIC/HEIF photos (re-encoded by Pillow: EXIF and GPS gone,
orientation applied, HEIC stored as JPEG) and PDFs that parse. Everything
else (SVG, HTML, a renamed executable, a broken or truncated image, a
decompression bomb) is refused with a German message that names the file."""

import io
import logging
import threading
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from opticrm.lib.images import flat as _flat  # (importing it registers the HEIF opener)

logger = logging.getLogger(__name__)

# Pillow's format -> what is stored: (format to save, content type, extension).
IMAGE_FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", ".jpg"),
    "HEIF": ("JPEG", "image/jpeg", ".jpg"),
    "PNG": ("PNG", "image/png", ".png"),
    "WEBP": ("WEBP", "image/webp", ".webp"),
}
THUMBNAIL_SIZE = (320, 320)
JPEG_QUALITY = 88


@dataclass(frozen=True)
class Prepared:
    """A file ready to be stored: the bytes to keep and what they are."""

    data: bytes
    content_type: str
    extension: str
    thumbnail: bytes | None  # a small JPEG for images


def _refuse(name: str, message: str) -> ValidationError:
    return ValidationError(message, code="invalid_document", params={"name": name})


def prepare(*, name: str, data: bytes, max_bytes: int) -> Prepared:
    """The stored form of ``data`` (uploaded as ``name``), or ValidationError."""
    if not data:
        raise _refuse(name, _("“%(name)s” is empty."))
    if len(data) > max_bytes:
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s MB."),
            code="too_large",
            params={"name": name, "limit": max_bytes // (1024 * 1024)},
        )
    if data.startswith(b"%PDF-"):
        return _pdf(name, data)
    return _image(name, data)


def _pdf(name: str, data: bytes) -> Prepared:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # Only an owner password (printing or copying restricted, as doctors'
        # and scanners' software often sets): it opens without a password,
        # so it is kept; one that needs a password to open is not.
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse(
                name, _("“%(name)s” is a password-protected PDF. Please upload it without.")
            )
        if len(reader.pages) < 1:
            raise ValueError("no pages")
        reader.pages[0].mediabox  # noqa: B018  (the first page must read)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError):
        raise _refuse(
            name, _("“%(name)s” is not a readable PDF (damaged or incomplete).")
        ) from None
    return Prepared(data=data, content_type="application/pdf", extension=".pdf", thumbnail=None)


def _image(name: str, data: bytes) -> Prepared:
    unsupported = _(
        "“%(name)s” is not a supported file. Please upload a photo (JPEG, PNG, WebP, HEIC) "
        "or a PDF."
    )
    try:
        with warnings.catch_warnings():
            # Between Pillow's limit and twice it Pillow only warns: refused too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in IMAGE_FORMATS:
                    raise _refuse(name, unsupported)
                source_format = image.format
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, _("“%(name)s” has too many pixels to be processed.")) from None
    except UnidentifiedImageError:
        raise _refuse(name, unsupported) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise _refuse(name, _("“%(name)s” is damaged or incomplete and cannot be read.")) from None

    save_format, content_type, extension = IMAGE_FORMATS[source_format]
    # Nothing of the camera's metadata (EXIF with GPS, XMP, comments) goes on.
    upright.info = {}
    if save_format == "JPEG":
        upright = _flat(upright)
    elif upright.mode not in ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"):
        upright = upright.convert("RGBA")
    out = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if save_format in ("JPEG", "WEBP") else {"optimize": True}
    upright.save(out, format=save_format, **options)
    return Prepared(
        data=out.getvalue(),
        content_type=content_type,
        extension=extension,
        thumbnail=_thumbnail(upright),
    )


def _thumbnail(image: Image.Image) -> bytes:
    small = _flat(image).copy()
    small.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80)
    return out.getvalue()


# A PDF's first page is drawn this many pixels on its longer side, then made
# a thumbnail as an image's (a little larger, so that text stays sharp).
PDF_RENDER_PIXELS = 2 * max(THUMBNAIL_SIZE)


def pdf_thumbnail(data: bytes) -> bytes | None:
    """A JPEG thumbnail of the PDF's first page (PDFium), or None when it
    cannot be drawn: a PDF that parses but PDFium cannot render (damaged
    past what pypdf forgives) is still kept, and the list shows an icon."""
    try:
        return _thumbnail(_first_page(data))
    except Exception:  # PDFium raises its own errors, and MemoryError on a hostile page
        logger.warning("Could not draw the first page of a PDF", exc_info=True)
        return None


# PDFium is not thread-safe: one drawing at a time per process.
_PDFIUM = threading.Lock()


def _first_page(data: bytes) -> Image.Image:
    with _PDFIUM:
        return _draw_first_page(data)


def _draw_first_page(data: bytes) -> Image.Image:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        try:
            width, height = page.get_size()
            longer = max(width, height)
            if longer <= 0:
                raise ValueError("page without size")
            bitmap = page.render(scale=PDF_RENDER_PIXELS / longer)
            try:
                return bitmap.to_pil().copy()
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        document.close()
