"""The child process that compiles one organisation's own Typst template, under limits.

Run by path (`python template_child.py LIMITS_JSON`), not as a module of the package, so it
imports nothing but Typst: the parent (`render._compile_custom`) has already written the
template, the data and the built-in templates into a scratch folder of this render's own.
The limits are set before Typst is loaded: address space (a template building a huge
string fails to allocate, and Typst aborts) and CPU seconds (the parent's wall-clock
timeout is the main guard; this one also holds if the parent dies). The outcome goes back
as one JSON line on stdout, the PDF as a file of the scratch folder.
"""

from __future__ import annotations

import json
import resource
import sys


def _limit(kind: int, value: int) -> None:
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else hard))


def main() -> int:
    job = json.loads(sys.argv[1])
    _limit(resource.RLIMIT_AS, job["memory_bytes"])
    _limit(resource.RLIMIT_CPU, job["cpu_seconds"])
    _limit(resource.RLIMIT_CORE, 0)
    import typst

    try:
        compiler = typst.Compiler(root=job["root"], font_paths=job["fonts"], ignore_system_fonts=True)
        pdf = compiler.compile(job["main"], format="pdf", pdf_standards=["a-3b"], timestamp=job["timestamp"],
                               pdf_tags=job["tags"])
    except typst.TypstError as error:
        print(json.dumps({"message": getattr(error, "message", "") or str(error),
                          "diagnostic": getattr(error, "diagnostic", "") or str(error)}))
        return 2
    except MemoryError:
        print(json.dumps({"limit": "memory"}))
        return 3
    with open(job["output"], "wb") as out:
        out.write(pdf)
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
