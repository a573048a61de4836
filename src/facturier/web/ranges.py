"""Resumable downloads of large files: HTTP Range (RFC 9110 §14) with a strong ETag, streamed.

Django's FileResponse answers every request with the whole file. `ranged_file_response` answers:
- 200 with the whole file (and `Accept-Ranges: bytes`) without a Range header, with a multi-range or
  a non-bytes Range (a server may ignore those), or when `If-Range` does not name the current ETag;
- 206 with `Content-Range: bytes first-last/size` for one satisfiable range (`a-b`, `a-`, `-n`);
- 416 with `Content-Range: bytes */size` for an unsatisfiable one;
- 304 when `If-None-Match` names the current ETag.
The body is read from disk in 64 KB blocks: memory stays flat whatever the size.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.http import HttpResponse, StreamingHttpResponse

BLOCK = 1 << 16
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _blocks(path: Path, start: int, length: int):
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            block = handle.read(min(BLOCK, length))
            if not block:
                return
            length -= len(block)
            yield block


def _range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) for one satisfiable range; None to serve the whole file; False when unsatisfiable."""
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None  # several ranges or another unit: the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        n = int(last)
        if n == 0:
            return False
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


def ranged_file_response(request, path: Path, *, sha256: str, filename: str,
                         content_type: str = "application/zip") -> HttpResponse:
    size = path.stat().st_size
    etag = f'"{sha256}"'
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Content-Disposition": f'attachment; filename="{filename}"',
               "Cache-Control": "private, no-transform"}
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponse(status=304, headers=headers)
    wanted = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    chosen = _range(wanted, size) if wanted and (if_range is None or if_range.strip() == etag) else None
    if chosen is False:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if chosen is None:
        start, length, status = 0, size, 200
    else:
        start, length, status = chosen[0], chosen[1] - chosen[0] + 1, 206
        headers["Content-Range"] = f"bytes {chosen[0]}-{chosen[1]}/{size}"
    body = [] if request.method == "HEAD" else _blocks(path, start, length)
    response = StreamingHttpResponse(body, status=status, content_type=content_type, headers=headers)
    response["Content-Length"] = str(length)
    return response
