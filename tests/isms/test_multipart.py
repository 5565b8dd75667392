"""The request's own multipart reader gives what Werkzeug's parser gives, and keeps its limits."""

import io
import os
from urllib.parse import quote

import pytest
from flask import Flask, request
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.test import EnvironBuilder

from isms import uploads
from isms.auth.models import Role
from tests.evidence_helpers import counts, spools, upload_form

BOUNDARY_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
NAME_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"),
                    max_size=12)


@st.composite
def boundaries(draw) -> str:
    boundary = draw(st.text(BOUNDARY_CHARS, min_size=1, max_size=70))
    return boundary.rstrip(" ") or "b"


@st.composite
def file_contents(draw, boundary: str) -> bytes:
    """Random bytes with pieces of the delimiter in them (never the whole of it)."""
    delimiter = b"\r\n--" + boundary.encode()
    pieces = draw(st.lists(st.one_of(
        st.binary(max_size=80),
        st.integers(1, len(delimiter) - 1).map(lambda n: delimiter[:n]),
        st.sampled_from([b"\r", b"\n", b"\r\n", b"--", b"\r\n\r\n"])), max_size=8))
    return b"".join(pieces)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def forms(draw):
    """A boundary and a list of parts: ("field", name, text) or ("file", name, ...)."""
    boundary = draw(boundaries())
    parts = draw(st.lists(st.one_of(
        st.tuples(st.just("field"), NAME_TEXT, st.text(max_size=40)),
        st.tuples(st.just("file"), NAME_TEXT, NAME_TEXT,
                  st.sampled_from([None, "text/plain", "application/octet-stream"]),
                  file_contents(boundary), st.booleans())), max_size=6))
    preamble = draw(st.sampled_from([b"", b"ignored preamble\r\n"]))
    epilogue = draw(st.sampled_from([b"", b"\r\n", b"ignored epilogue"]))
    return boundary, parts, preamble, epilogue


def encode(boundary: str, parts, preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    out = [preamble]
    for part in parts:
        out.append(f"--{boundary}\r\n".encode())
        disposition = f"form-data; name={_quoted(part[1])}"
        if part[0] == "file":
            _, _, filename, content_type, data, extended = part
            if extended:  # RFC 2231/5987, as browsers send non-ASCII names
                disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
            else:
                disposition += f"; filename={_quoted(filename)}"
            out.append(f"Content-Disposition: {disposition}\r\n".encode())
            if content_type:
                out.append(f"Content-Type: {content_type}\r\n".encode())
            out.append(b"\r\n" + data + b"\r\n")
        else:
            out.append(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            out.append(part[2].encode() + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode() + epilogue)
    return b"".join(out)


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    app = Flask(__name__)
    app.config["ISMS_UPLOAD_TMP"] = str(tmp_path_factory.mktemp("spools"))
    uploads.init_app(app)
    return app


def _summary(form, files):
    return (list(form.items(multi=True)),
            [(key, f.name, f.filename, f.content_type, f.headers.to_wsgi_list(), f.stream.read())
             for key, f in files.items(multi=True)])


def werkzeug_reads(body: bytes, boundary: str):
    parser = FormDataParser(silent=False)
    _, form, files = parser.parse(io.BytesIO(body), "multipart/form-data", len(body),
                                  {"boundary": boundary})
    return _summary(form, files)


def _not_werkzeug(*args, **kwargs):
    raise AssertionError("the request read its form with Werkzeug's parser")


def ours_reads(app, body: bytes, boundary: str, block: int):
    environ = EnvironBuilder(method="POST", input_stream=io.BytesIO(body),
                             content_type=f"multipart/form-data; boundary={_quoted(boundary)}",
                             content_length=len(body)).get_environ()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uploads, "READ_BLOCK", block)
        patch.setattr(MultiPartParser, "parse", _not_werkzeug)
        with app.request_context(environ):
            assert isinstance(request._get_current_object(), uploads.SpoolingRequest)
            summary = _summary(request.form, request.files)
            assert all(isinstance(f.stream, uploads.HashingSpool) for f in request.files.values())
    assert os.listdir(app.config["ISMS_UPLOAD_TMP"]) == []  # the teardown removed the spools
    return summary


BLOCKS = st.one_of(st.integers(1, 64), st.just(uploads.READ_BLOCK))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=forms(), block=BLOCKS)
def test_the_reader_gives_what_werkzeug_gives(bare_app, form, block):
    boundary, parts, preamble, epilogue = form
    for part in parts:
        assume(part[0] != "file" or b"--" + boundary.encode() not in part[4])
    body = encode(boundary, parts, preamble, epilogue)
    expected = werkzeug_reads(body, boundary)
    assert ours_reads(bare_app, body, boundary, block) == expected
    # and the body was read as it was written (a MultiDict keeps the order within a name)
    assert sorted(expected[0]) == sorted((p[1], p[2]) for p in parts if p[0] == "field")
    assert sorted(f[5] for f in expected[1]) == sorted(p[4] for p in parts if p[0] == "file")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=forms(), block=BLOCKS, data=st.data())
def test_a_damaged_body_is_refused_or_read_as_werkzeug_reads_it(bare_app, form, block, data):
    boundary, parts, preamble, epilogue = form
    body = bytearray(encode(boundary, parts, preamble, epilogue))
    cut = data.draw(st.integers(0, len(body)))
    damage = data.draw(st.sampled_from(["truncate", "flip", "insert"]))
    if damage == "truncate":
        del body[cut:]
    elif damage == "flip" and cut < len(body):
        body[cut] ^= data.draw(st.integers(1, 255))
    else:
        body[cut:cut] = data.draw(st.sampled_from([b"\r", b"\n", b"-", b" ", b"\r\n\r\n"]))
    body = bytes(body)
    try:
        expected = werkzeug_reads(body, boundary)
    except ValueError:
        expected = "refused"
    try:
        found = ours_reads(bare_app, body, boundary, block)
    except BadRequest:
        found = "refused"
    assert found == expected, body


# Through the real app: each limit and each malformed body gets its status, and no spool or
# evidence is left behind.

def _body(parts, boundary="lim1t") -> tuple[bytes, str]:
    return encode(boundary, parts), f"multipart/form-data; boundary={boundary}"


def _post(client, body: bytes, content_type: str, **kwargs):
    return client.post("/evidence/new", input_stream=io.BytesIO(body), csrf=False,
                       content_type=content_type, content_length=len(body), **kwargs)


def _fields(client, **overrides) -> list:
    form = {**upload_form(), "csrf_token": client.csrf_token(), **overrides}
    form.pop("file")
    return [("field", key, value) for key, value in form.items()]


def _file(size: int):
    return ("file", "file", "policy.bin", "application/octet-stream", os.urandom(size), False)


def test_a_valid_upload_through_the_reader_is_stored(app, client, login_as):
    login_as(Role.LEAD)
    body, content_type = _body([_file(3000), *_fields(client)])
    response = _post(client, body, content_type)
    assert response.status_code == 302
    assert counts(app) == (1, 1, 1)
    assert spools(app) == []


@pytest.mark.parametrize("limit, parts, status", [
    ("MAX_CONTENT_LENGTH", lambda client: [_file(5000), *_fields(client)], 413),
    ("MAX_FORM_MEMORY_SIZE", lambda client: [_file(5000), *_fields(client),
                                             ("field", "description", "d" * 3000)], 413),
    ("MAX_FORM_PARTS", lambda client: [_file(100), *_fields(client),
                                       *[("field", f"x{i}", "1") for i in range(30)]], 413),
])
def test_a_body_over_a_limit_gets_413_and_leaves_nothing(app, client, login_as, limit, parts,
                                                         status):
    login_as(Role.LEAD)
    app.config[limit] = {"MAX_CONTENT_LENGTH": 4000, "MAX_FORM_MEMORY_SIZE": 2000,
                         "MAX_FORM_PARTS": 20}[limit]
    body, content_type = _body(parts(client))
    response = _post(client, body, content_type)
    assert response.status_code == status
    assert "larger than this tracker accepts" in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)
    assert spools(app) == []


def test_a_file_larger_than_the_form_memory_limit_is_fine(app, client, login_as):
    login_as(Role.LEAD)
    app.config["MAX_FORM_MEMORY_SIZE"] = 2000
    body, content_type = _body([_file(50_000), *_fields(client)])
    assert _post(client, body, content_type).status_code == 302
    assert counts(app) == (1, 1, 1) and spools(app) == []


MALFORMED = {
    "no final boundary": lambda body: body[:body.rindex(b"\r\n--lim1t--")],
    "no boundary line at all": lambda body: body.replace(b"--lim1t", b"--other"),
    "a part without Content-Disposition": lambda body: body.replace(
        b"Content-Disposition: form-data; name=\"title\"", b"X-Other: 1", 1),
    "headers too long": lambda body: body.replace(
        b"Content-Type: application/octet-stream",
        b"Content-Type: application/octet-stream\r\nX-Long: " + b"h" * 70_000, 1),
    "a header that is not UTF-8": lambda body: body.replace(
        b"Content-Type: application/octet-stream", b"Content-Type: application/\xff", 1),
    "ends in a part's headers": lambda body: body[:body.index(b"Content-Type:")],
}


@pytest.mark.parametrize("damage", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_body_gets_400_and_leaves_nothing(app, client, login_as, damage):
    login_as(Role.LEAD)
    body, content_type = _body([_file(20_000), *_fields(client)])
    response = _post(client, damage(body), content_type)
    assert response.status_code == 400
    assert counts(app) == (0, 0, 0)
    assert spools(app) == []


@pytest.mark.parametrize("content_type", [
    "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=é"])
def test_a_multipart_body_without_a_usable_boundary_gets_400(app, client, login_as,
                                                             content_type):
    login_as(Role.LEAD)
    body, _ = _body([_file(100), *_fields(client)])
    assert _post(client, body, content_type).status_code == 400
    assert counts(app) == (0, 0, 0) and spools(app) == []


def test_a_body_shorter_than_its_length_gets_400(app, client, login_as):
    login_as(Role.LEAD)
    body, content_type = _body([_file(20_000), *_fields(client)])
    response = client.post("/evidence/new", input_stream=io.BytesIO(body[:12_000]), csrf=False,
                           content_type=content_type, content_length=len(body))
    assert response.status_code == 400
    assert counts(app) == (0, 0, 0) and spools(app) == []
