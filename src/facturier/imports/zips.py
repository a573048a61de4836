"""Open a ZIP of invoices without trusting it: entry count, sizes and compression ratio capped,
no path traversal, no ZIP inside a ZIP, every entry read through a bounded stream (the sizes
the ZIP declares are never believed)."""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
CHUNK = 64 * 1024
READABLE_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
"""The compression methods zipfile decompresses: an entry compressed otherwise is refused like a corrupt one,
before anything is read."""


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_entries: int = 1000
    max_entry_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 100
    """Largest uncompressed/compressed ratio of one entry (invoices compress about 5-20×)."""


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    data: bytes | None
    refusal: str = ""
    """Why the entry was not read ("", "traversal", "nested", "too_large", "ratio", "encrypted", "bad")."""


class ZipRefused(Exception):
    """The ZIP as a whole is refused: `reason` is one of "bad", "entries", "total", "ratio"."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}")


def is_zip(data: bytes) -> bool:
    return data[:4] in (ZIP_MAGIC, EMPTY_ZIP)


def _safe_name(name: str) -> str | None:
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal.startswith("../") or normal == ".." or "/../" in f"/{normal}/":
        return None
    return normal


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """The entry's bytes, or None as soon as more than `limit` come out."""
    out = io.BytesIO()
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            if out.tell() + len(chunk) > limit:
                return None
            out.write(chunk)
    return out.getvalue()


def open_zip(data: bytes, limits: ZipLimits = ZipLimits()) -> list[ZipEntry]:
    """The files of a ZIP (folders skipped), each read or refused with its reason; raises ZipRefused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ZipRefused("bad", str(e)) from None
    if len(infos) > limits.max_entries:
        raise ZipRefused("entries", str(len(infos)))
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        raise ZipRefused("total", str(declared))
    entries: list[ZipEntry] = []
    total = 0
    for info in infos:
        name = _safe_name(info.filename)
        if name is None:
            entries.append(ZipEntry(info.filename[:255], None, "traversal"))
            continue
        if info.flag_bits & 0x1:
            entries.append(ZipEntry(name, None, "encrypted"))
            continue
        if info.compress_type not in READABLE_METHODS:
            entries.append(ZipEntry(name, None, "bad"))
            continue
        if name.lower().endswith(".zip"):
            entries.append(ZipEntry(name, None, "nested"))
            continue
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            entries.append(ZipEntry(name, None, "ratio"))
            continue
        remaining = limits.max_total_bytes - total
        by_ratio = max(info.compress_size, 1) * limits.max_ratio
        limit = min(limits.max_entry_bytes, remaining, by_ratio)
        try:
            content = _read_bounded(archive, info, limit)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            entries.append(ZipEntry(name, None, "bad"))
            continue
        if content is None:
            if limit == by_ratio:
                entries.append(ZipEntry(name, None, "ratio"))  # lied about its size: a bomb
                continue
            if limit == remaining:
                raise ZipRefused("total", name)
            entries.append(ZipEntry(name, None, "too_large"))
            continue
        if is_zip(content):
            entries.append(ZipEntry(name, None, "nested"))
            continue
        total += len(content)
        entries.append(ZipEntry(name, content))
    return entries
