"""Pictures made on the fly for upload tests (no binary files in the repository)."""
import io
import os

from PIL import Image


def png(width=800, height=600, colour=(40, 90, 160), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, "PNG")
    return out.getvalue()


def noise_png(width, height) -> bytes:
    """A PNG that does not compress: about width × height × 3 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width=900, height=700, description="Taken at 12 Secret Lane") -> bytes:
    image = Image.new("RGB", (width, height), (200, 180, 120))
    exif = Image.Exif()
    exif[0x010E] = description  # ImageDescription
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show upright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()
