"""The one storage interface: a folder by default, an S3-compatible bucket by setting.

The S3 backend is exercised through the same interface with a stand-in for boto3's client (no
network): the shop's uploads and /media/ answers work the same over either backend.
"""
import io

import pytest

from shop.config_types import ConfigError
from shop.media.storage import IMMUTABLE, LocalStorage, S3Storage, build_storage, check_key
from tests.media_helpers import png


class MissingKey(Exception):
    """What botocore raises for a key that is not there (a ClientError with code NoSuchKey)."""

    def __init__(self):
        super().__init__("NoSuchKey")
        self.response = {"Error": {"Code": "NoSuchKey"}}


class FakeS3:
    """The part of boto3's S3 client the shop uses, keeping objects in memory."""

    def __init__(self):
        self.objects: dict[tuple[str, str], dict] = {}

    def put_object(self, *, Bucket, Key, Body, ContentType, CacheControl):
        self.objects[(Bucket, Key)] = {"Body": bytes(Body), "ContentType": ContentType, "CacheControl": CacheControl}

    def get_object(self, *, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise MissingKey()
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)]["Body"])}

    def delete_object(self, *, Bucket, Key):
        self.objects.pop((Bucket, Key), None)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_save_read_replace_and_delete(backend, tmp_path):
    store = LocalStorage(tmp_path) if backend == "local" else S3Storage(FakeS3(), "shop-media", prefix="live")
    assert store.read("products/a-320.webp") is None
    store.save("products/a-320.webp", b"first", "image/webp")
    store.save("products/a-320.webp", b"second", "image/webp")
    assert store.read("products/a-320.webp") == b"second"
    store.delete("products/a-320.webp")
    store.delete("products/a-320.webp")  # gone already: fine
    assert store.read("products/a-320.webp") is None


def test_s3_objects_carry_their_type_a_long_cache_life_and_the_prefix():
    client = FakeS3()
    S3Storage(client, "shop-media", prefix="/live/").save("products/a-320.jpg", b"x", "image/jpeg")
    assert client.objects[("shop-media", "live/products/a-320.jpg")] == {
        "Body": b"x", "ContentType": "image/jpeg", "CacheControl": IMMUTABLE}


def test_an_s3_failure_other_than_a_missing_key_is_not_hidden():
    class Broken(FakeS3):
        def get_object(self, **kwargs):
            raise ConnectionError("endpoint unreachable")

    with pytest.raises(ConnectionError):
        S3Storage(Broken(), "b").read("products/a-320.jpg")


@pytest.mark.parametrize("key", ["../secret_key", "products/../../x", "/etc/passwd", "Products/A.jpg", "", "a//b"])
def test_keys_cannot_leave_the_store(key, tmp_path):
    with pytest.raises(ValueError):
        check_key(key)
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).save(key, b"x", "image/jpeg")


def test_the_local_store_writes_whole_files_only(tmp_path):
    store = LocalStorage(tmp_path)
    store.save("products/a-320.jpg", b"picture", "image/jpeg")
    assert sorted(p.name for p in (tmp_path / "products").iterdir()) == ["a-320.jpg"]  # no draft left


def test_settings_choose_the_backend(tmp_path):
    assert isinstance(build_storage({"MEDIA_STORAGE": "local", "MEDIA_ROOT": str(tmp_path)}), LocalStorage)
    with pytest.raises(ConfigError, match="MEDIA_STORAGE must be one of local, s3"):
        build_storage({"MEDIA_STORAGE": "ftp"})


def test_an_s3_store_needs_a_bucket(make_app):
    with pytest.raises(ConfigError, match="MEDIA_S3_BUCKET"):
        make_app(MEDIA_STORAGE="s3")


def test_uploads_and_media_answers_go_through_an_s3_store(make_app, make_staff, make_product):
    # given a store whose pictures live in an S3 bucket (boto3's client stood in for)
    web = make_app(MEDIA_STORAGE="s3", MEDIA_S3_BUCKET="shop-media")
    bucket = FakeS3()
    web.extensions["media_storage"] = S3Storage(bucket, "shop-media")
    product = make_product(slug="calm")
    staff, _ = make_staff("admin")
    client = web.test_client()
    client.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"})
    # when an admin uploads a picture
    response = client.post(f"/admin/products/{product.id}/pictures", content_type="multipart/form-data",
                           data={"picture": (io.BytesIO(png(700, 500)), "p.png"), "alt": "A bottle"})
    assert response.status_code == 303
    # then its files are in the bucket, and the shop serves them from there
    keys = sorted(key for _, key in bucket.objects)
    assert len(keys) == 6 and all(key.startswith("products/") for key in keys)  # 320, 640, 700; WebP, JPEG
    url = client.get("/api/v1/products/calm").get_json()["images"][0]["url"]
    answer = client.get(url)
    assert answer.status_code == 200 and answer.content_type == "image/jpeg"
    assert answer.data == bucket.objects[("shop-media", url.split("/media/")[1])]["Body"]


def test_media_public_url_points_pages_at_a_cdn(make_app, make_product):
    from shop.catalog.pictures import add_picture
    from shop.extensions import db

    add_picture(make_product(slug="calm"), png(400, 400), "A bottle")
    db.session.commit()
    web = make_app(MEDIA_PUBLIC_URL="https://cdn.example.com/shop")
    html = web.test_client().get("/products/calm").get_data(as_text=True)
    assert 'srcset="https://cdn.example.com/shop/products/' in html
    # and the browser is allowed to load them from there
    csp = web.test_client().get("/products/calm").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example.com" in csp


def test_a_store_that_fails_refuses_the_upload_cleanly_and_media_answers_503(make_app, make_staff, make_product):
    class Down(FakeS3):
        def put_object(self, **kwargs):
            raise ConnectionError("endpoint unreachable")

        def get_object(self, **kwargs):
            raise ConnectionError("endpoint unreachable")

    web = make_app(MEDIA_STORAGE="s3", MEDIA_S3_BUCKET="shop-media")
    web.extensions["media_storage"] = S3Storage(Down(), "shop-media")
    product = make_product(slug="calm")
    staff, _ = make_staff("admin")
    client = web.test_client()
    client.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"})
    response = client.post(f"/admin/products/{product.id}/pictures", content_type="multipart/form-data",
                           data={"picture": (io.BytesIO(png(700, 500)), "p.png"), "alt": "A bottle"})
    assert response.status_code == 503
    assert "could not be stored just now; nothing was added" in response.get_data(as_text=True)
    assert client.get("/api/v1/products/calm").get_json()["images"] == []
    answer = client.get("/media/products/abc-320.jpg")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
