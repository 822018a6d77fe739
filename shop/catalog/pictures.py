"""A product's pictures (the admin product screen): add, describe, reorder, remove.

The files go through the one storage interface (shop.media.storage) before the row that names
them is flushed; a rolled-back request leaves only unreferenced files behind (named by content,
they are harmless, and the same upload later reuses them). Files of a removed picture are deleted
only once the removal commits, and only when no other picture uses the same upload.
"""
import logging

from flask import current_app
from sqlalchemy import func, select

from shop.catalog.models import Product, ProductImage
from shop.db import after_commit
from shop.errors import NotFound, ShopError, Unprocessable
from shop.extensions import db
from shop.media.images import PictureRefused, file_key, process_picture
from shop.media.storage import storage

log = logging.getLogger(__name__)

MAX_ALT = 300
MAX_PICTURES = 12
ALT_REQUIRED = "Describe the picture for people who cannot see it (alt text)"
STORE_UNAVAILABLE = "The picture could not be stored just now; nothing was added. Please try again."


def add_picture(product: Product, data: bytes, alt: str) -> ProductImage:
    """Store an uploaded picture of `product`, last in its order; refuses what is not a picture."""
    errors: dict[str, list[str]] = {}
    alt = _checked_alt(alt, errors)
    if len(product.images) >= MAX_PICTURES:
        errors.setdefault("picture", []).append(f"A product has at most {MAX_PICTURES} pictures; remove one first")
    picture = None
    if not errors.get("picture"):
        try:
            picture = process_picture(data, max_bytes=current_app.config["MEDIA_MAX_UPLOAD_BYTES"],
                                      max_pixels=current_app.config["MEDIA_MAX_PIXELS"])
        except PictureRefused as refused:
            errors.setdefault("picture", []).append(refused.message)
    if errors:
        raise Unprocessable("The picture was not added", errors=errors)
    store = storage()
    try:
        for stored in picture.files:
            store.save(stored.key, stored.data, stored.content_type)
    except Exception as exc:  # a full disk, an unreachable bucket: say so, keep nothing
        log.warning("Storing a picture of product %s failed: %s", product.id, exc)
        raise ShopError(STORE_UNAVAILABLE, errors={"picture": [STORE_UNAVAILABLE]}, code=503) from exc
    image = ProductImage(position=len(product.images), alt=alt, digest=picture.digest, fallback=picture.fallback,
                         widths=",".join(str(w) for w in picture.widths), width=picture.width,
                         height=picture.height)
    product.images.append(image)
    db.session.flush()
    return image


def describe_picture(product: Product, image_id: int, alt: str) -> None:
    errors: dict[str, list[str]] = {}
    alt = _checked_alt(alt, errors)
    if errors:
        raise Unprocessable("The description was not saved", errors=errors)
    _picture(product, image_id).alt = alt
    db.session.flush()


def move_picture(product: Product, image_id: int, offset: int) -> None:
    """Move a picture earlier (-1) or later (+1); the first one is the product's main picture."""
    images = list(product.images)
    index = images.index(_picture(product, image_id))
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(images):
        images[index], images[target] = images[target], images[index]
        for position, image in enumerate(images):
            image.position = position
        product.images.sort(key=lambda image: image.position)
        db.session.flush()


def remove_picture(product: Product, image_id: int) -> None:
    image = _picture(product, image_id)
    product.images.remove(image)
    for position, other in enumerate(product.images):
        other.position = position
    db.session.flush()
    still_used = db.session.scalar(select(func.count()).select_from(ProductImage)
                                   .where(ProductImage.digest == image.digest))
    if not still_used:
        keys = [file_key(image.digest, int(width), extension) for width in image.widths.split(",")
                for extension in ("webp", image.fallback)]
        store = storage()
        after_commit(db.session(), lambda: [store.delete(key) for key in keys])


def _picture(product: Product, image_id: int) -> ProductImage:
    image = next((image for image in product.images if image.id == image_id), None)
    if image is None:
        raise NotFound("Picture not found")
    return image


def _checked_alt(alt: str | None, errors: dict) -> str:
    alt = " ".join((alt or "").split())
    if not alt:
        errors.setdefault("alt", []).append(ALT_REQUIRED)
    elif len(alt) > MAX_ALT:
        errors.setdefault("alt", []).append(f"At most {MAX_ALT} characters")
    return alt
