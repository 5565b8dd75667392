"""Read a multipart/form-data body in large blocks, writing file parts straight to their spools.

Werkzeug's decoder scans 64 KiB pieces for the boundary with a regular expression and copies
each piece several times on its way to the file. This reader fills one reusable buffer with
`readinto`, finds the boundary with `bytearray.find`, and hands the file parts' bytes to their
spools as memoryview slices. It reads bodies the way Werkzeug's decoder does, and gives the
same form and files: line breaks may be CRLF, CR or LF, spaces may follow a boundary, the
first boundary may follow a preamble, and what follows the final boundary is ignored.
"""

import re

from werkzeug.datastructures import FileStorage, Headers
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header

CR, LF = 0x0D, 0x0A
BLANK_LINE = re.compile(rb"\r\n\r\n|\r\r|\n\n")
FOLDED_LINE = re.compile(rb"(?:\r\n|\n|\r)[ \t]")
SPACES = re.compile(rb"[ \t\f\v]*")
# A part's header lines, and the spaces allowed between a boundary and its line break.
HEADERS_LIMIT = 64 * 1024
SPACES_LIMIT = 1024
# The part charsets Werkzeug honours; any other is read as UTF-8.
CHARSETS = {"ascii", "us-ascii", "utf-8", "iso-8859-1"}

PREAMBLE, HEADERS, DATA, EPILOGUE = "preamble", "headers", "data", "epilogue"
FOUND, WAIT, NONE = "found", "wait", "none"


class MalformedBody(ValueError):
    """The body is not the multipart/form-data its content type announces."""


class _Window:
    """The unread part of the body, `buf[pos:end]`, in one buffer refilled by `readinto`."""

    def __init__(self, readinto, block: int, room: int):
        self._readinto, self.block = readinto, block
        self.buf = bytearray(block + room)
        self.view = memoryview(self.buf)
        self.pos = self.end = 0
        self.eof = False

    def fill(self) -> int:
        """Move the unread bytes to the front and read a block after them; return the shift."""
        shift, kept = self.pos, self.end - self.pos
        if kept + self.block > len(self.buf):  # a long header block: a larger buffer
            grown = bytearray(kept + self.block)
            grown[:kept] = self.view[self.pos:self.end]
            self.buf, self.view = grown, memoryview(grown)
        elif kept and shift:
            self.buf[:kept] = bytes(self.view[self.pos:self.end])  # a few bytes at most
        self.pos, self.end = 0, kept
        count = self._readinto(self.view[kept:kept + self.block])
        if count:
            self.end += count
        else:
            self.eof = True
        return shift


class MultipartReader:
    """One body's parts, read into `fields` (name, text) and `files` (name, FileStorage)."""

    def __init__(self, readinto, boundary: bytes, new_file, *, block: int,
                 max_field_size: int | None, max_parts: int | None):
        self.marker = b"--" + boundary
        self.new_file = new_file
        self.max_field_size, self.max_parts = max_field_size, max_parts
        self.window = _Window(readinto, block, len(self.marker) + SPACES_LIMIT + 8)
        self.fields, self.files = [], []
        self.state, self.parts = PREAMBLE, 0
        self.data_start = 0
        self.part = None  # (name, headers, filename) of the part being read
        self.sink = None  # its spool, or the list of its text's pieces
        self.field_size = 0

    def read(self):
        """Read the whole body; raise MalformedBody or RequestEntityTooLarge when it is bad."""
        window = self.window
        steps = {PREAMBLE: self._preamble, HEADERS: self._headers, DATA: self._data}
        while self.state != EPILOGUE:
            if steps[self.state]():  # it needs more of the body
                if window.eof:
                    raise MalformedBody(f"the body ends in its {self.state}")
                self.data_start = max(0, self.data_start - window.fill())
        while not window.eof:  # the epilogue: read and ignored
            window.pos = window.end
            window.fill()
        return self.fields, self.files

    def _delimiter(self, need_break: bool):
        """Find the next boundary line in the window.

        Return (FOUND, start, after, is_last), (WAIT, start) when more of the body must be
        read to tell whether a boundary starts at `start`, or (NONE, safe) when none starts
        before `safe`.
        """
        w = self.window
        buf, lo, end, marker = w.buf, w.pos, w.end, self.marker
        q = buf.find(marker, lo, end)
        while q != -1:
            start = q
            if q > lo and buf[q - 1] == LF:
                start = q - 2 if q - 1 > lo and buf[q - 2] == CR else q - 1
            elif q > lo and buf[q - 1] == CR:
                start = q - 1
            if start == q and need_break:  # a boundary starts on a new line
                q = buf.find(marker, q + 1, end)
                continue
            i = q + len(marker)
            if end - i < 2 and not w.eof:
                return WAIT, start
            if i + 2 <= end and buf[i:i + 2] == b"--":  # the buffer holds old bytes past end
                return FOUND, start, i + 2, True
            j = SPACES.match(buf, i, min(end, i + SPACES_LIMIT + 1)).end()
            if j - i > SPACES_LIMIT:
                raise MalformedBody("too many spaces after a boundary")
            if j == end and not w.eof:
                return WAIT, start
            if j < end and buf[j] == LF:
                return FOUND, start, j + 1, False
            if j < end and buf[j] == CR:
                if j + 1 < end:
                    return FOUND, start, j + 2 if buf[j + 1] == LF else j + 1, False
                if w.eof:
                    return FOUND, start, j + 1, False
                return WAIT, start
            q = buf.find(marker, q + 1, end)
        return NONE, max(lo, end - len(marker) - 1)

    def _preamble(self) -> bool:
        found = self._delimiter(need_break=False)
        if found[0] == FOUND:
            self.window.pos = found[2]
            self.state = EPILOGUE if found[3] else HEADERS
            return False
        self.window.pos = found[1]  # the preamble is dropped
        return True

    def _headers(self) -> bool:
        w = self.window
        match = BLANK_LINE.search(w.buf, w.pos, min(w.end, w.pos + HEADERS_LIMIT + 4))
        if match is None:
            if w.end - w.pos >= HEADERS_LIMIT + 4:
                self._check_field_size(w.end - w.pos)  # Werkzeug answers 413 beyond its limit
                raise MalformedBody("a part's headers are too long")
            return True
        # The part's data starts after the line break that ends the blank line's first half.
        middle = (match.start() + match.end()) // 2
        if w.buf[middle] == LF:
            data_start = middle + 1
        elif middle + 1 < w.end:
            data_start = middle + 2 if w.buf[middle + 1] == LF else middle + 1
        elif w.eof:
            data_start = middle + 1
        else:
            return True
        headers = _parse_headers(bytes(w.view[w.pos:match.start()]))
        self.parts += 1
        if self.max_parts is not None and self.parts > self.max_parts:
            raise RequestEntityTooLarge()
        if "content-disposition" not in headers:
            raise MalformedBody("a part has no Content-Disposition header")
        options = parse_options_header(headers["content-disposition"])[1]
        name, filename = options.get("name"), options.get("filename")
        self.part = (name, headers, filename)
        if filename is None:
            self.sink, self.field_size = [], 0
        else:
            self.sink = self.new_file(
                filename=filename, content_type=headers.get("content-type"),
                content_length=_declared_length(headers.get("content-length")))
        w.pos, self.data_start, self.state = middle, data_start, DATA
        return False

    def _data(self) -> bool:
        w = self.window
        found = self._delimiter(need_break=True)
        self._take(found[1])
        if found[0] != FOUND:
            w.pos = found[1]
            return True
        self._finish_part()
        w.pos = found[2]
        self.state = EPILOGUE if found[3] else HEADERS
        return False

    def _take(self, stop: int) -> None:
        begin = max(self.window.pos, self.data_start)
        if stop <= begin:
            return
        if isinstance(self.sink, list):
            self._check_field_size(self.field_size + stop - begin)
            self.field_size += stop - begin
            self.sink.append(bytes(self.window.view[begin:stop]))
        else:
            self.sink.write(self.window.view[begin:stop])

    def _check_field_size(self, size: int) -> None:
        if self.max_field_size is not None and size > self.max_field_size:
            raise RequestEntityTooLarge()

    def _finish_part(self) -> None:
        name, headers, filename = self.part
        if isinstance(self.sink, list):
            self.fields.append((name, b"".join(self.sink).decode(_charset(headers), "replace")))
        else:
            self.sink.seek(0)
            self.files.append((name, FileStorage(self.sink, filename, name, headers=headers)))
        self.part = self.sink = None


def _parse_headers(block: bytes) -> Headers:
    """Header lines as Werkzeug reads them: folded lines joined, UTF-8, names and values trimmed."""
    pairs = []
    for line in FOLDED_LINE.sub(b" ", block).splitlines():
        line = line.strip(b" \t")
        if line:
            try:
                name, _, value = line.decode().partition(":")
            except UnicodeDecodeError as error:
                raise MalformedBody("a part header is not UTF-8") from error
            pairs.append((name.strip(" \t"), value.strip(" \t")))
    return Headers(pairs)


def _charset(headers: Headers) -> str:
    content_type = headers.get("content-type")
    if content_type:
        charset = parse_options_header(content_type)[1].get("charset", "").lower()
        if charset in CHARSETS:
            return charset
    return "utf-8"


def _declared_length(value: str | None) -> int:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() else 0
