"""Where evidence blobs live: a content-addressed local folder or S3-compatible storage.

Keys are SHA-256 hex digests, so identical content is stored once. Every backend offers the
same small interface: put_stream, open, exists, delete, and list_keys for the sweep.
"""

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from flask import current_app

from isms.api import HashingSpool

CHUNK = 1024 * 1024
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class StorageError(RuntimeError):
    """The storage backend failed; nothing was stored."""


class Storage(Protocol):
    name: str

    def put_stream(self, key: str, stream: BinaryIO) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def list_keys(self) -> Iterator[tuple[str, datetime]]: ...


def check_key(key: str) -> str:
    """Refuse anything but a SHA-256 hex digest, so a key can never name another path."""
    if not KEY_PATTERN.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Blobs as files under root/ab/<sha256>, written by atomic rename."""

    name = "local"

    def __init__(self, root: str, tmp: str):
        self.root, self.tmp = root, tmp

    def _path(self, key: str) -> str:
        return os.path.join(self.root, check_key(key)[:2], key)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        final = self._path(key)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        try:
            if isinstance(stream, HashingSpool) and _same_device(stream.path, self.root):
                # Already hashed and written: make it durable, as a copy would be, before
                # the record naming it can commit, then just move it.
                spooled = stream.claim()
                os.fsync(stream.fileno())
                os.replace(spooled, final)
                return
            stream.seek(0)
            os.makedirs(self.tmp, exist_ok=True)
            fd, part = tempfile.mkstemp(dir=self.tmp, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, final)
        except OSError as error:
            raise StorageError(f"could not store the file: {error.strerror or error}") from error

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return os.path.exists(self._path(key))

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key))

    def list_keys(self) -> Iterator[tuple[str, datetime]]:
        if not os.path.isdir(self.root):
            return
        for folder in os.scandir(self.root):
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for entry in os.scandir(folder.path):
                if KEY_PATTERN.match(entry.name):
                    yield entry.name, datetime.fromtimestamp(entry.stat().st_mtime, UTC)


def _same_device(path: str, folder: str) -> bool:
    os.makedirs(folder, exist_ok=True)
    return os.stat(path).st_dev == os.stat(folder).st_dev


class S3Storage:
    """Blobs as objects <prefix><sha256> in one bucket of S3-compatible storage."""

    name = "s3"

    def __init__(self, bucket: str, endpoint_url: str | None, region: str, prefix: str):
        import boto3
        from boto3.s3.transfer import TransferConfig

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)
        # Bounded memory: at most two 8 MiB parts in flight per upload.
        self.transfer = TransferConfig(multipart_chunksize=8 * CHUNK, max_concurrency=2)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        stream.seek(0)
        with self._errors("store the file"):
            self.client.upload_fileobj(stream, self.bucket, self.prefix + check_key(key),
                                       Config=self.transfer)

    def open(self, key: str) -> BinaryIO:
        with self._errors("read the file"):
            return self.client.get_object(Bucket=self.bucket,
                                          Key=self.prefix + check_key(key))["Body"]

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        with self._errors("look the file up"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.prefix + check_key(key))
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code in {"404", "NoSuchKey", "NotFound"}:
                    return False
                raise
        return True

    def delete(self, key: str) -> None:
        with self._errors("delete the file"):
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + check_key(key))

    def list_keys(self) -> Iterator[tuple[str, datetime]]:
        with self._errors("list the stored files"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if KEY_PATTERN.match(key):
                        yield key, item["LastModified"]

    @contextlib.contextmanager
    def _errors(self, doing: str):
        """Turn every boto error into a StorageError that says what failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"object storage could not {doing}: {error}") from error


def get_storage() -> Storage:
    """Return the app's storage backend, chosen by ISMS_STORAGE."""
    storage = current_app.extensions.get("evidence.storage")
    if storage is None:
        config = current_app.config
        if config["ISMS_STORAGE"] == "s3":
            if not config["ISMS_S3_BUCKET"]:
                raise StorageError("ISMS_STORAGE=s3 needs ISMS_S3_BUCKET")
            storage = S3Storage(config["ISMS_S3_BUCKET"], config["ISMS_S3_ENDPOINT_URL"],
                                config["ISMS_S3_REGION"], config["ISMS_S3_PREFIX"])
        else:
            storage = LocalStorage(config["ISMS_EVIDENCE_DIR"], config["ISMS_UPLOAD_TMP"])
        current_app.extensions["evidence.storage"] = storage
    return storage
