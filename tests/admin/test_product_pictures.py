"""Pictures in the admin product screen: uploads are decoded, limited, re-encoded and served.

Uploads go through the real form (multipart) and land in the storage of MEDIA_STORAGE; the
storefront and the API link to them, and each link answers with an image.
"""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from shop.catalog.models import Product, ProductImage
from shop.extensions import db
from shop.media.storage import storage
from tests.media_helpers import jpeg_with_exif, noise_png, png

LIMIT = 200_000  # bytes; the request may carry twice that before a bare 413


@pytest.fixture
def web(make_app):
    return make_app(MEDIA_MAX_UPLOAD_BYTES=LIMIT, MEDIA_MAX_PIXELS=2_000_000, CATALOGUE_CACHE_SECONDS=0)


def upload(client, product, data, alt="A bottle on a table", name="bottle.png"):
    return client.post(f"/admin/products/{product.id}/pictures",
                       data={"picture": (io.BytesIO(data), name), "alt": alt},
                       content_type="multipart/form-data")


def images_of(product):
    db.session.expire_all()
    return db.session.scalars(select(ProductImage).where(ProductImage.product_id == product.id)
                              .order_by(ProductImage.position)).all()


def test_an_uploaded_picture_shows_on_the_page_and_in_the_api(staff_client, make_product, web):
    # given a product and an admin
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    # when they upload a 1600 × 1200 picture with its alt text
    response = upload(client, made, png(1600, 1200), alt="A blue bottle of Calm")
    # then it is stored in three widths, as WebP and JPEG
    assert response.status_code == 303 and response.headers["Location"].endswith("#pictures")
    [image] = images_of(made)
    assert (image.alt, image.width, image.height, image.widths, image.fallback) == \
        ("A blue bottle of Calm", 1280, 960, "320,640,1280", "jpg")
    # and the product page shows it as a responsive <picture>, eager as the first one
    html = client.get("/products/calm").get_data(as_text=True)
    [gallery] = re.findall(r'<div class="gallery">.*?</div>', html, re.S)
    assert '<source type="image/webp" srcset="/media/products/' in gallery
    assert re.search(r'srcset="[^"]*-320\.jpg 320w, [^"]*-640\.jpg 640w, [^"]*-1280\.jpg 1280w"', gallery)
    assert 'alt="A blue bottle of Calm"' in gallery and 'loading="eager"' in gallery
    # and the API lists it; its URL answers with the picture, kept for a year
    [listed] = web.test_client().get("/api/v1/products/calm").get_json()["images"]
    assert listed["alt"] == "A blue bottle of Calm" and (listed["width"], listed["height"]) == (1280, 960)
    picture = web.test_client().get(listed["url"])
    assert picture.status_code == 200 and picture.content_type == "image/jpeg"
    assert picture.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(picture.data)).size == (1280, 960)
    webp = web.test_client().get(listed["url"].replace(".jpg", ".webp"))
    assert webp.status_code == 200 and webp.content_type == "image/webp"


def test_later_pictures_load_lazily(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    upload(client, made, png(700, 700, (10, 10, 10)), alt="First")
    upload(client, made, png(700, 700, (250, 250, 250)), alt="Second")
    html = client.get("/products/calm").get_data(as_text=True)
    tags = re.findall(r"<img [^>]*>", html.split('<div class="gallery">')[1].split("</div>")[0])
    assert ['loading="eager"' in tag for tag in tags] == [True, False]
    assert 'loading="lazy"' in tags[1]


def test_a_file_that_is_not_a_picture_is_refused_on_the_form(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    response = upload(client, made, b"%PDF-1.4 not a picture at all", name="label.png")
    assert response.status_code == 422
    assert "This file is not a picture the shop can read" in response.get_data(as_text=True)
    assert images_of(made) == []


def test_a_truncated_picture_is_refused(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    whole = png(800, 600)
    response = upload(client, made, whole[: len(whole) // 2])
    assert response.status_code == 422 and images_of(made) == []


def test_a_picture_over_the_size_limit_is_refused_on_the_form(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    heavy = noise_png(300, 300)  # about 270 kB: over the 200 kB limit, under the request's 400 kB
    assert LIMIT < len(heavy) < 2 * LIMIT
    response = upload(client, made, heavy)
    assert response.status_code == 422
    assert "the largest allowed is 0.2 MB" in response.get_data(as_text=True)
    assert images_of(made) == []


def test_a_picture_with_too_many_pixels_is_refused_even_when_small_on_disk(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    response = upload(client, made, png(2000, 1500))  # 3 million pixels, a few kB
    assert response.status_code == 422
    assert "at most 2 million pixels are allowed" in response.get_data(as_text=True)
    assert images_of(made) == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    response = upload(client, made, b"\0" * (2 * LIMIT + 1))
    assert response.status_code == 413 and images_of(made) == []


def test_alt_text_is_required(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    response = upload(client, made, png(), alt="   ")
    assert response.status_code == 422
    assert "Describe the picture for people who cannot see it" in response.get_data(as_text=True)
    assert images_of(made) == []


def test_metadata_is_stripped_and_the_picture_turned_upright(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    original = jpeg_with_exif(900, 700)
    assert b"12 Secret Lane" in original
    assert upload(client, made, original, name="photo.jpg").status_code == 303
    [image] = images_of(made)
    # EXIF said "rotate": the stored picture is 700 wide, 900 high
    assert (image.width, image.height) == (700, 900)
    for width in image.widths.split(","):
        for extension in ("jpg", "webp"):
            stored = storage().read(f"products/{image.digest}-{width}.{extension}")
            assert b"12 Secret Lane" not in stored
            assert not Image.open(io.BytesIO(stored)).getexif()


def test_a_transparent_picture_falls_back_to_png(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    upload(client, made, png(400, 400, (0, 0, 0, 0), mode="RGBA"))
    [image] = images_of(made)
    assert (image.fallback, image.widths) == ("png", "320,400")
    assert storage().read(f"products/{image.digest}-400.png").startswith(b"\x89PNG")


def test_pictures_are_reordered_described_and_removed(staff_client, make_product, web):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    upload(client, made, png(700, 700, (10, 10, 10)), alt="Dark")
    upload(client, made, png(700, 700, (250, 250, 250)), alt="Light")
    dark, light = images_of(made)
    # move the second up: it becomes the main picture
    assert client.post(f"/admin/products/{made.id}/pictures/{light.id}/move",
                       data={"direction": "up"}).status_code == 303
    assert [i.alt for i in images_of(made)] == ["Light", "Dark"]
    # describe it better
    client.post(f"/admin/products/{made.id}/pictures/{light.id}/alt", data={"alt": "A white bottle"})
    assert images_of(made)[0].alt == "A white bottle"
    refused = client.post(f"/admin/products/{made.id}/pictures/{light.id}/alt", data={"alt": ""})
    assert refused.status_code == 422 and images_of(made)[0].alt == "A white bottle"
    # remove the dark one: its row and, once committed, its files are gone
    key = f"products/{dark.digest}-640.webp"
    assert storage().read(key) is not None
    assert client.post(f"/admin/products/{made.id}/pictures/{dark.id}/remove").status_code == 303
    assert [i.alt for i in images_of(made)] == ["A white bottle"]
    assert storage().read(key) is None
    assert web.test_client().get(f"/media/{key}").status_code == 404


def test_a_removed_picture_keeps_files_another_picture_uses(staff_client, make_product):
    first, second = make_product(slug="one"), make_product(slug="two")
    client, _ = staff_client("admin")
    same = png(500, 500)
    upload(client, first, same)
    upload(client, second, same)
    [image] = images_of(first)
    client.post(f"/admin/products/{first.id}/pictures/{image.id}/remove")
    assert storage().read(f"products/{image.digest}-500.jpg") is not None


def test_media_urls_outside_the_store_answer_404(web):
    client = web.test_client()
    for path in ("/media/products/missing-320.jpg", "/media/../secret_key", "/media/products/x.txt",
                 "/media/%2e%2e/secret_key"):
        assert client.get(path).status_code == 404, path


def test_only_admins_upload(staff_client, make_product):
    made = make_product(slug="calm")
    client, _ = staff_client("support")
    assert upload(client, made, png()).status_code == 403
    assert images_of(made) == []
    assert db.session.scalar(select(Product.id).where(Product.slug == "calm")) == made.id
