"""Where uploaded files live, behind one interface: a folder by default, an S3 bucket by setting.

Every stored file is named by its content (shop.media.images), so a key is written once and never
changes: the file behind a URL is the same forever, and browsers may keep it for a year.

- `LocalStorage` keeps files under MEDIA_ROOT (default `instance/media`), written whole to a
  temporary file and renamed into place, so a reader never sees half a picture.
- `S3Storage` keeps them in MEDIA_S3_BUCKET of an S3-compatible object store (AWS S3, MinIO,
  Cloudflare R2...), through boto3, an optional extra (`pip install 'shop[s3]'`). Credentials
  come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a role).

`storage()` is the app's one instance; code that stores or reads a file calls only its methods.
"""
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

from shop.config_types import ConfigError

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_.-]*)*$")
BACKENDS = ("local", "s3")
# Content-named files never change: browsers and CDNs may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def check_key(key: str) -> str:
    """A key is lower-case path segments; nothing that could climb out of the store (`..`)."""
    if not KEY_PATTERN.match(key) or ".." in key or len(key) > 300:
        raise ValueError(f"not a media key: {key!r}")
    return key


class Storage(Protocol):
    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (replacing what was there)."""

    def read(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None when there are none."""

    def delete(self, key: str) -> None:
        """Forget `key`; a key that is not there is fine."""


class LocalStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(draft, 0o644)
            os.replace(draft, path)
        except BaseException:
            Path(draft).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket; `client` is a boto3 S3 client (or anything with its methods)."""

    MISSING = frozenset({"NoSuchKey", "404", "NotFound"})

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                               ContentType=content_type, CacheControl=IMMUTABLE)

    def read(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:  # botocore's ClientError; only "no such key" means None
            if _error_code(exc) in self.MISSING:
                return None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else None


def storage() -> Storage:
    """The app's storage, built once from its settings."""
    built = current_app.extensions.get("media_storage")
    if built is None:
        built = current_app.extensions.setdefault("media_storage", build_storage(current_app.config))
    return built


def build_storage(config) -> Storage:
    backend = config["MEDIA_STORAGE"]
    if backend == "local":
        return LocalStorage(config["MEDIA_ROOT"])
    if backend == "s3":
        try:
            import boto3  # the optional extra: only stores on S3 need it
        except ImportError as exc:
            raise ConfigError("MEDIA_STORAGE=s3 needs boto3: pip install 'shop[s3]'") from exc
        client = boto3.client("s3", endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL") or None,
                              region_name=config.get("MEDIA_S3_REGION") or None)
        return S3Storage(client, config["MEDIA_S3_BUCKET"], config.get("MEDIA_S3_PREFIX") or "")
    raise ConfigError(f"MEDIA_STORAGE must be one of {', '.join(BACKENDS)}, got {backend!r}")


def check_settings(config: dict) -> None:
    """At start-up: a known backend, and a bucket when it is S3."""
    if config.get("MEDIA_STORAGE") not in BACKENDS:
        raise ConfigError(f"MEDIA_STORAGE must be one of {', '.join(BACKENDS)}, got {config.get('MEDIA_STORAGE')!r}")
    if config["MEDIA_STORAGE"] == "s3" and not config.get("MEDIA_S3_BUCKET"):
        raise ConfigError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET")
