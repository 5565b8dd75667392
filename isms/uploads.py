"""Uploads spool to a temporary file that hashes as it is written, never into memory.

A multipart body of known length is read by isms.multipart, which writes each uploaded file
to the spool this request class hands it; any other form goes to Werkzeug's parser, which
does the same.
The spool lives in the evidence store's temporary folder, so storing it afterwards is an
atomic rename. A spool nobody claims is deleted when the request ends; one left by a crash
is removed by the evidence sweep.
"""

import contextlib
import errno
import hashlib
import io
import os
import tempfile

from flask import Request, current_app, g
from werkzeug.exceptions import BadRequest, HTTPException

from isms.core import render_error
from isms.multipart import MalformedBody, MultipartReader

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


# Read the body from the server in blocks this large. The form parser asks for 64 KiB at a
# time; gunicorn answers each small read by copying whatever it has read ahead, so a 200 MiB
# upload read in 64 KiB steps spent most of its time in that copying.
READ_BLOCK = 1024 * 1024


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


class _RawInput(io.RawIOBase):
    """The server's input stream as a raw stream, never read past the body's length."""

    def __init__(self, source, length: int | None):
        self._source, self._left = source, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer) if self._left is None else min(len(buffer), self._left)
        if size == 0:
            return 0
        data = self._source.read(size)
        if self._left is not None:
            self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _body_length(environ) -> int | None:
    try:
        return int(environ["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None


class SpoolingRequest(Request):
    """A request whose uploaded files are hashing spools in the upload folder."""

    def __init__(self, environ, *args, **kwargs):
        length = _body_length(environ)
        # Reading past the body would wait on a kept-alive connection: wrap only a body whose
        # end is known (its length, or a server that ends the stream itself).
        if environ.get("CONTENT_TYPE", "").startswith("multipart/form-data") and (
                length is not None or environ.get("wsgi.input_terminated")):
            environ["wsgi.input"] = io.BufferedReader(
                _RawInput(environ["wsgi.input"], length), READ_BLOCK)
        super().__init__(environ, *args, **kwargs)

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        spools = g.setdefault("isms_spools", [])
        spool = HashingSpool(current_app.config["ISMS_UPLOAD_TMP"])
        spools.append(spool)
        return spool

    def _load_form_data(self) -> None:
        """Read a multipart body of known length with isms.multipart; leave others to Werkzeug.

        The form and files are what Werkzeug's parser gives. A malformed body is a 400 (where
        Werkzeug would give an empty form), a body over a limit a 413; either way the form
        and files are left empty, and the teardown deletes the spools already written.
        """
        if "form" in self.__dict__:
            return
        if not (self.want_form_data_parsed and self.mimetype == "multipart/form-data"
                and self.content_length is not None):
            super()._load_form_data()
            return
        loaded = self.__dict__
        try:
            stream = loaded["stream"] = self.stream  # 413 when the length is over the limit
            boundary = self.mimetype_params.get("boundary", "")
            if not boundary or not boundary.isascii():
                raise MalformedBody("the content type names no boundary in ASCII")
            reader = MultipartReader(
                stream.readinto, boundary.encode("ascii"),
                lambda **part: self._get_file_stream(self.content_length, **part),
                block=READ_BLOCK, max_field_size=self.max_form_memory_size,
                max_parts=self.max_form_parts)
            fields, files = reader.read()
        except MalformedBody as error:
            self._no_form()
            raise BadRequest(f"The form data cannot be read: {error}.") from error
        except BaseException:
            self._no_form()
            raise
        loaded["form"] = self.parameter_storage_class(fields)
        loaded["files"] = self.parameter_storage_class(files)

    def _no_form(self) -> None:
        self.__dict__["form"] = self.parameter_storage_class()
        self.__dict__["files"] = self.parameter_storage_class()


def discard_spools(_exception=None) -> None:
    """Delete the request's unclaimed spools (registered as a teardown)."""
    for spool in g.pop("isms_spools", []):
        spool.discard()


def init_app(app) -> None:
    """Make every request spool its uploads and clean them up afterwards."""
    app.request_class = SpoolingRequest
    app.teardown_request(discard_spools)
    app.register_error_handler(NoRoomLeft, lambda error: render_error(NoRoomLeft.code))
