"""Reading the files of a checkout: regular files only, and never more than a limit.

Every source file (RDF sources, shapes, texts, queries) is read through :func:`read_capped`:
it opens the file without waiting (a FIFO with no writer does not block), refuses anything
that is not a regular file after following links (a folder, a FIFO, a device such as
``/dev/zero``) and reads at most one byte more than its limit, so a file that never ends, or
one that grows while it is read, cannot hang the command or fill the memory.

>>> decode_utf8(b"caf\\xc3\\xa9", "x.txt")
'café'
>>> decode_utf8(b"ok\\n\\xff", "x.txt")
Traceback (most recent call last):
rustbelt_kg.errors.TextEncodingError: x.txt:2:1: not UTF-8: byte 0xff at offset 3
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from rustbelt_kg.errors import SourceTooLarge, SourceUnreadable, SyntaxProblem, TextEncodingError

__all__ = [
    "MAX_SOURCE_SIZE",
    "MAX_TEXT_SIZE",
    "decode_text",
    "decode_utf8",
    "read_capped",
    "read_source",
    "read_text",
]

#: Largest RDF source file (ontology, data, shapes), in bytes.
MAX_SOURCE_SIZE = 256 * 1024 * 1024
#: Largest source text (``data/sources/*.txt``), in bytes.
MAX_TEXT_SIZE = 16 * 1024 * 1024


def read_capped(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit + 1`` of them (more than
    ``limit`` means the file is too large). Anything else raises :class:`OSError`: a folder
    (``EISDIR``), a FIFO, a device or a socket (``EINVAL``), and the usual reasons."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, a device or a socket)", str(path))
    with os.fdopen(fd, "rb", buffering=0) as file:
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = file.read(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


def read_source(path: Path | str, name: str, limit: int = MAX_SOURCE_SIZE) -> bytes:
    """The bytes of the source file ``path`` (``name`` as shown in messages): at most
    ``limit`` (:class:`SourceTooLarge` past it, exit 6); :class:`SourceUnreadable`
    (``cannot read NAME: reason``) when it cannot be read or is not a regular file."""
    try:
        data = read_capped(path, limit)
    except OSError as error:
        raise SourceUnreadable(name, error.strerror or str(error)) from error
    if len(data) > limit:
        raise SourceTooLarge(name, limit)
    return data


def decode_utf8(
    data: bytes, name: str, error: type[SyntaxProblem] = TextEncodingError
) -> str:
    """``data`` decoded as UTF-8; else ``error`` naming ``name``, the line and column of
    the first bad byte and its offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        line = data.count(b"\n", 0, problem.start) + 1
        column = problem.start - data.rfind(b"\n", 0, problem.start)
        raise error(
            f"not UTF-8: byte 0x{data[problem.start]:02x} at offset {problem.start}",
            path=name, line=line, column=column,
        ) from problem


def read_text(path: Path | str, name: str, limit: int = MAX_TEXT_SIZE) -> str:
    """The source text ``path`` as :meth:`Path.read_text` gives it (UTF-8, line ends
    ``\\r\\n`` and ``\\r`` read as ``\\n``), within ``limit`` bytes; the errors of
    :func:`read_source`, and :class:`TextEncodingError` (exit 3) when it is not UTF-8."""
    return decode_text(read_source(path, name, limit), name)


def decode_text(data: bytes, name: str) -> str:
    """``data`` as :func:`read_text` gives it: UTF-8 (:class:`TextEncodingError` if not),
    line ends ``\r\n`` and ``\r`` read as ``\n``."""
    return decode_utf8(data, name).replace("\r\n", "\n").replace("\r", "\n")
