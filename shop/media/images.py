"""Turning an uploaded picture into the files the shop serves, with Pillow.

An upload is trusted for nothing: it is decoded (so a file that only claims to be a picture is
refused), held to a size in bytes and in pixels (a small file can decode to a huge image), turned
upright by its EXIF orientation, re-encoded without any of its metadata (camera, GPS, comments),
and scaled to a few widths. Each width is written as WebP, which every current browser shows, and
as a fallback: JPEG, or PNG where the picture has transparency.

Files are named after the upload's content (`<digest>-<width>.<ext>`): the same picture uploaded
twice is the same files, and a name never points at different bytes, so they are served with a
one-year `Cache-Control`.
"""
import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

WIDTHS = (320, 640, 1280)
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}  # what may be uploaded, as people name it
MIN_SIDE = 50
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
# Part of every digest: a change to how files are encoded gives them new names.
ENCODING_VERSION = b"picture-v1"
FOLDER = "products"


class PictureRefused(ValueError):
    """The upload is not a picture the shop will take; the message says why, for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PictureFile:
    key: str
    width: int
    height: int
    data: bytes

    @property
    def content_type(self) -> str:
        return content_type(self.key)


@dataclass(frozen=True)
class Picture:
    digest: str
    fallback: str  # "jpg" or "png"
    widths: tuple[int, ...]  # ascending
    width: int  # of the largest file
    height: int
    files: tuple[PictureFile, ...]


def content_type(key: str) -> str:
    return CONTENT_TYPES.get(key.rpartition(".")[2], "application/octet-stream")


def file_key(digest: str, width: int, extension: str) -> str:
    return f"{FOLDER}/{digest}-{width}.{extension}"


def process_picture(data: bytes, *, max_bytes: int, max_pixels: int) -> Picture:
    """The files to store for `data`, or PictureRefused saying what is wrong with it."""
    image = _decoded(data, max_bytes, max_pixels)
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.info.clear()  # nothing of the upload's metadata (EXIF, ICC, text chunks) goes on
    fallback = "png" if has_alpha else "jpg"
    digest = hashlib.sha256(ENCODING_VERSION + data).hexdigest()[:32]

    full_width, full_height = image.size
    widths = tuple(sorted({min(width, full_width) for width in WIDTHS}))
    files = []
    for width in widths:
        height = max(1, round(full_height * width / full_width))
        scaled = image if width == full_width else image.resize((width, height), Image.Resampling.LANCZOS,
                                                                 reducing_gap=3.0)
        files.append(PictureFile(file_key(digest, width, "webp"), width, height, _encoded(scaled, "webp")))
        files.append(PictureFile(file_key(digest, width, fallback), width, height, _encoded(scaled, fallback)))
    largest = files[-1]
    return Picture(digest, fallback, widths, largest.width, largest.height, tuple(files))


def _decoded(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    if not data:
        raise PictureRefused("Choose a picture to upload")
    if len(data) > max_bytes:
        raise PictureRefused(f"The picture is {_megabytes(len(data))}; the largest allowed is {_megabytes(max_bytes)}")
    try:
        # Opening reads only the header: the format and size are checked before any decoding.
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise PictureRefused(_not_a_picture())
            width, height = probe.size
            if width * height > max_pixels:
                raise PictureRefused(f"The picture is {width} × {height} pixels; at most "
                                     f"{max_pixels / 1_000_000:g} million pixels are allowed")
            if min(width, height) < MIN_SIDE:
                raise PictureRefused(f"The picture is {width} × {height} pixels; it needs at least "
                                     f"{MIN_SIDE} pixels on each side")
            probe.verify()  # a truncated or corrupt file fails here or in load() below
        image = Image.open(io.BytesIO(data))
        image.seek(0)  # an animation keeps its first frame
        image.load()
    except PictureRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise PictureRefused("The picture has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PictureRefused(_not_a_picture()) from exc
    return image


def _not_a_picture() -> str:
    return "This file is not a picture the shop can read: upload a JPEG, PNG or WebP file"


def _encoded(image: Image.Image, extension: str) -> bytes:
    out = io.BytesIO()
    if extension == "webp":
        image.save(out, "WEBP", quality=80, method=4)
    elif extension == "png":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
