"""CPU time of reading a multipart upload in-process: the request's reader, Werkzeug's, bare.

    .venv/bin/python benchmarks/upload_cpu.py [MiB] [runs]

Each run posts one file of MiB random bytes (64 by default) and two text fields to a bare
Flask app with isms.uploads, and times `request.files` with time.process_time(): once through
the request's own multipart reader, once through Werkzeug's parser (the same request class,
reading its form as Werkzeug does), and once as the benchmark's bare upload does it (the raw
body to a file in 1 MiB blocks while hashing it). Each is run on a body read from memory and
on one read through gunicorn's own body reader (from a socket stand-in that answers each recv
with up to 256 KiB), which copies differently. Medians of the runs, in ms.
"""

import hashlib
import io
import os
import statistics
import sys
import tempfile
import time

from flask import Flask, Request, request
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader
from werkzeug.test import EnvironBuilder

from isms import uploads


def body(mib: int) -> tuple[bytes, str]:
    data = {"title": "Large export", "controls": "A.9.1.1",
            "file": (io.BytesIO(os.urandom(mib * 1024 * 1024)), "export.bin")}
    environ = EnvironBuilder(method="POST", data=data).get_environ()
    return environ["wsgi.input"].read(), environ["CONTENT_TYPE"]


class _Socket:
    """A connected socket's recv(), answered from memory."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def recv(self, size: int) -> bytes:
        return self._data.read(min(size, 256 * 1024))


def timed(app, raw: bytes, content_type: str, how: str, overhead: int, source: str) -> float:
    environ = EnvironBuilder(method="POST", input_stream=io.BytesIO(raw),
                             content_type=content_type, content_length=len(raw)).get_environ()
    if source == "gunicorn":
        environ["wsgi.input"] = Body(LengthReader(SocketUnreader(_Socket(raw)), len(raw)))
    with app.request_context(environ):
        started = time.process_time()
        if how == "reader":
            files = request.files
        elif how == "werkzeug":
            Request._load_form_data(request._get_current_object())
            files = request.files
        else:  # bare: stream the raw body to disk in 1 MiB blocks while hashing it
            digest, stream = hashlib.sha256(), request.stream
            with tempfile.TemporaryFile(dir=app.config["ISMS_UPLOAD_TMP"]) as out:
                while block := stream.read(1024 * 1024):
                    digest.update(block)
                    out.write(block)
            files = {}
        spent = time.process_time() - started
        assert how == "bare" or files["file"].stream.size == len(raw) - overhead
    return spent * 1000


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    app = Flask(__name__)
    app.config["ISMS_UPLOAD_TMP"] = tempfile.mkdtemp(prefix="upload-cpu-")
    uploads.init_app(app)
    raw, content_type = body(mib)
    overhead = len(raw) - mib * 1024 * 1024  # the fields, part headers and boundaries
    for source in ("memory", "gunicorn"):
        for how in ("reader", "werkzeug", "bare"):
            times = [timed(app, raw, content_type, how, overhead, source) for _ in range(runs)]
            print(f"{source:8} {how:9} {statistics.median(times):7.1f} ms  "
                  f"({', '.join(f'{t:.0f}' for t in times)})")


if __name__ == "__main__":
    main()
