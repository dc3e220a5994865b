"""Photos as the app keeps them, for every app that takes one (customer
documents, the customer photo): read by their content, never by their
name or the browser's content type; only JPEG, PNG, WebP and HEIC/HEIF;
decompression bombs refused; the camera's orientation applied and nothing
of its metadata (EXIF with GPS, XMP, comments) kept, since what is stored is
always encoded anew by Pillow."""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

# What Pillow may read here; anything else (SVG is no format of Pillow's at
# all, GIF, TIFF, BMP, ICO…) is refused.
PHOTO_FORMATS = frozenset({"JPEG", "HEIF", "PNG", "WEBP"})
# The customer photo: a square, and a small one for lists and the calendar.
PHOTO_SIZE = 512
PHOTO_THUMB_SIZE = 96
# The smallest square one may cut out: below it a face is a few pixels.
PHOTO_MIN_CROP = 32
BAD_CROP = gettext_lazy("The chosen section does not lie within the photo. Please choose it again.")


def flat(image: Image.Image) -> Image.Image:
    """RGB (or grey) for JPEG; transparency on white."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def upright_photo(data: bytes) -> Image.Image:
    """The photo in ``data``, loaded and turned as the camera held it, its
    metadata dropped; ValidationError (German) for anything else."""
    unsupported = _("This is not a supported photo. Please use a JPEG, PNG, WebP or HEIC file.")
    try:
        with warnings.catch_warnings():
            # Between Pillow's limit and twice it Pillow only warns: refused too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in PHOTO_FORMATS:
                    raise ValidationError(unsupported, code="unsupported")
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("The photo has too many pixels to be processed."), code="too_many_pixels"
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(unsupported, code="unsupported") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ValidationError(
            _("The photo is damaged or incomplete and cannot be read."), code="damaged"
        ) from None
    upright.info = {}
    return upright


@dataclass(frozen=True)
class Crop:
    """A square of the upright photo, in its pixels: left, top, side."""

    x: int
    y: int
    size: int


def square_box(width: int, height: int, crop: Crop | None) -> tuple[int, int, int, int]:
    """The box to cut: ``crop`` if it lies in the photo, else (no crop given)
    the largest square in the middle. The browser only proposes; a crop
    outside the photo, or too small, is refused."""
    if crop is None:
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        return (left, top, left + side, top + side)
    side = min(PHOTO_MIN_CROP, width, height)
    if (
        crop.x < 0
        or crop.y < 0
        or crop.size < side
        or crop.x + crop.size > width
        or crop.y + crop.size > height
    ):
        raise ValidationError(BAD_CROP, code="bad_crop")
    return (crop.x, crop.y, crop.x + crop.size, crop.y + crop.size)


def _jpeg(image: Image.Image, side: int, quality: int) -> bytes:
    out = io.BytesIO()
    image.resize((side, side), Image.Resampling.LANCZOS).save(
        out, format="JPEG", quality=quality, optimize=True
    )
    return out.getvalue()


def square_photo(data: bytes, crop: Crop | None = None) -> tuple[bytes, bytes]:
    """The customer photo made from an upload: the square cut out (or the
    middle one), as a JPEG of PHOTO_SIZE and one of PHOTO_THUMB_SIZE pixels
    (a smaller photo is enlarged: the page shows one size)."""
    upright = upright_photo(data)
    square = flat(upright).crop(square_box(upright.width, upright.height, crop))
    return _jpeg(square, PHOTO_SIZE, 85), _jpeg(square, PHOTO_THUMB_SIZE, 80)
