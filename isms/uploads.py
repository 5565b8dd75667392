"""Uploads spool to a temporary file that hashes as it is written, never into memory.

Werkzeug's form parser writes each uploaded file to the stream this request class hands it.
The spool lives in the evidence store's temporary folder, so storing it afterwards is an
atomic rename. A spool nobody claims is deleted when the request ends; one left by a crash
is removed by the evidence sweep.
"""

import contextlib
import errno
import hashlib
import os
import tempfile

from flask import Request, current_app, g
from werkzeug.exceptions import HTTPException

from isms.core import render_error

SPOOL_PREFIX = "upload-"
SPOOL_SUFFIX = ".part"
# A full disk, a full quota, or a file size limit (RLIMIT_FSIZE) on the server process.
NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class NoRoomLeft(HTTPException):
    """507 Insufficient Storage: the upload cannot be spooled."""

    code = 507
    description = "The server has no room left to store this upload."


@contextlib.contextmanager
def refusing_when_full():
    """Turn "no room left" into a 507 answer; the request's teardown removes the spool."""
    try:
        yield
    except OSError as error:
        if error.errno not in NO_ROOM:
            raise
        raise NoRoomLeft() from error


class HashingSpool:
    """A temporary file that keeps the SHA-256 and size of what is written to it."""

    def __init__(self, directory: str):
        with refusing_when_full():
            os.makedirs(directory, exist_ok=True)
            fd, self.path = tempfile.mkstemp(dir=directory, prefix=SPOOL_PREFIX,
                                             suffix=SPOOL_SUFFIX)
        self._file = os.fdopen(fd, "w+b")
        self._hash = hashlib.sha256()
        self.size = 0
        self.is_claimed = False

    def write(self, data) -> int:
        self._hash.update(data)
        self.size += len(data)
        with refusing_when_full():
            return self._file.write(data)

    def seek(self, *args) -> int:
        with refusing_when_full():  # seeking flushes what is still buffered
            return self._file.seek(*args)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def claim(self) -> str:
        """Take over the file: the caller moves or deletes it; return its path."""
        with refusing_when_full():
            self._file.flush()
        self.is_claimed = True
        return self.path

    def discard(self) -> None:
        """Close and delete the file unless it was claimed."""
        with contextlib.suppress(OSError):  # a full disk may refuse the last buffered bytes
            self._file.close()
        if not self.is_claimed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def __getattr__(self, name):
        # read, seek, tell, flush, close, fileno... go to the real file.
        return getattr(self._file, name)


class SpoolingRequest(Request):
    """A request whose uploaded files are hashing spools in the upload folder."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        spool = HashingSpool(current_app.config["ISMS_UPLOAD_TMP"])
        g.setdefault("isms_spools", []).append(spool)
        return spool


def discard_spools(_exception=None) -> None:
    """Delete the request's unclaimed spools (registered as a teardown)."""
    for spool in g.pop("isms_spools", []):
        spool.discard()


def init_app(app) -> None:
    """Make every request spool its uploads and clean them up afterwards."""
    app.request_class = SpoolingRequest
    app.teardown_request(discard_spools)
    app.register_error_handler(NoRoomLeft, lambda error: render_error(NoRoomLeft.code))
