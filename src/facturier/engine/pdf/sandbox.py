"""Compiling an organisation's own Typst template: its own folder, a time limit, a memory limit.

Facturier's built-in templates are ours and compile in process, on the one shared compiler
(see `render._Typst`). A template an organisation writes is not: it could read what another
organisation's render left in a shared folder, loop, or build a string of gigabytes. So each
such render gets

- a scratch folder of its own, with only the built-in templates and this invoice's files,
  removed afterwards (Typst cannot read outside its root);
- a child process (`template_child.py`) with an address-space limit (RLIMIT_AS) and a CPU
  limit, killed by the parent at the wall-clock limit.

Nothing of it holds the in-process compiler's lock, so other renders go on meanwhile. A render
that exceeds a limit fails with `TemplateLimitError`; one that does not compile with
`TemplateError`, naming the line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from facturier.engine.errors import EngineError, Message

__all__ = ["TemplateError", "TemplateLimitError", "TemplateLimits", "compile_custom", "template_error"]

TEMPLATES_DIR = Path(__file__).with_name("templates")
FONTS_DIR = Path(__file__).with_name("fonts")
CHILD = Path(__file__).with_name("template_child.py")
SCRATCH_PREFIX = "facturier-typst-"
_SCRATCH_PATH = re.compile(r"[^\s]*" + SCRATCH_PREFIX + r"[^/\s]+/")
_LOCATION = re.compile(r"┌─\s*(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+)")


class TemplateError(EngineError):
    """An organisation's Typst template does not compile; `line` and `column` locate the fault."""

    def __init__(self, message: Message, *, detail: str | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message, detail=detail)
        self.line = line
        self.column = column


class TemplateLimitError(TemplateError):
    """An organisation's template took more time or memory than a render may: `limit` says which."""

    def __init__(self, message: Message, *, limit: Literal["time", "memory"], detail: str | None = None):
        super().__init__(message, detail=detail)
        self.limit = limit


@dataclass(frozen=True, slots=True)
class TemplateLimits:
    """The limits of one render of a custom template."""

    seconds: float = 20.0
    """Wall-clock time, from the child's start to its PDF (Python and Typst start in ~0.3 s)."""
    memory_mb: int = 768
    """Address space of the child process (RLIMIT_AS), Python and Typst included."""


def template_error(message: str, diagnostic: str) -> TemplateError:
    """A compile error of a custom template, located in its source when Typst says where."""
    where = _LOCATION.search(diagnostic)
    line = int(where.group("line")) if where else None
    column = int(where.group("col")) if where else None
    file = Path(where.group("file")).name if where else None
    detail = _SCRATCH_PATH.sub("", diagnostic).strip()  # the scratch folder means nothing to a user
    if file and file != "custom.typ":
        at_fr, at_en = f" (dans {file}, ligne {line})", f" (in {file}, line {line})"
        line = column = None  # the fault shows in a built-in file the custom template called
    elif line:
        at_fr, at_en = f" à la ligne {line}, colonne {column}", f" at line {line}, column {column}"
    else:
        at_fr = at_en = ""
    return TemplateError(
        Message(fr=f"Le modèle de document ne compile pas{at_fr} : {message}. Corrigez le modèle.",
                en=f"The document template does not compile{at_en}: {message}. Fix the template."),
        detail=detail, line=line, column=column)


def _time_error(limits: TemplateLimits) -> TemplateLimitError:
    seconds = f"{limits.seconds:g}"
    return TemplateLimitError(Message(
        fr=f"Le modèle de document a dépassé le temps de rendu permis ({seconds.replace('.', ',')} s) : "
           "une boucle sans fin ? Simplifiez le modèle.",
        en=f"The document template took longer than a render may ({seconds} s): an endless loop? "
           "Simplify the template."), limit="time")


def _memory_error(limits: TemplateLimits, detail: str) -> TemplateLimitError:
    return TemplateLimitError(Message(
        fr=f"Le modèle de document a dépassé la mémoire permise ({limits.memory_mb} Mio) : "
           "un texte ou un tableau démesuré ? Simplifiez le modèle.",
        en=f"The document template used more memory than a render may ({limits.memory_mb} MiB): "
           "an oversized string or array? Simplify the template."), limit="memory", detail=detail or None)


def compile_custom(source: str, files: dict[str, bytes], *, timestamp: dt.datetime, tags: bool,
                   limits: TemplateLimits) -> bytes:
    """The PDF of a custom template, compiled in a child process in a folder of its own."""
    root = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    try:
        for template in TEMPLATES_DIR.glob("*.typ"):
            shutil.copyfile(template, root / template.name)
        for name, data in files.items():
            (root / name).write_bytes(data)
        (root / "custom.typ").write_text(source, encoding="utf-8")
        output = root / "out.pdf"
        job = {"root": str(root), "main": str(root / "custom.typ"), "output": str(output),
               "fonts": [str(FONTS_DIR)] if FONTS_DIR.is_dir() else [], "timestamp": int(timestamp.timestamp()),
               "tags": tags, "memory_bytes": limits.memory_mb * 1024 * 1024,
               "cpu_seconds": max(1, int(limits.seconds) + 1)}
        child = subprocess.Popen([sys.executable, str(CHILD), json.dumps(job)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=root,
                                 env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"})
        try:
            out, err = child.communicate(timeout=limits.seconds)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise _time_error(limits) from None
        stderr = err.decode("utf-8", "replace")[-2000:]
        answer = next((json.loads(x) for x in out.decode("utf-8", "replace").splitlines() if x.startswith("{")), {})
        if child.returncode == 0 and answer.get("ok"):
            return output.read_bytes()
        if "message" in answer:
            raise template_error(answer["message"], answer["diagnostic"])
        if child.returncode == -signal.SIGXCPU:
            raise _time_error(limits)
        if answer.get("limit") == "memory" or "memory allocation" in stderr or child.returncode == -signal.SIGABRT:
            raise _memory_error(limits, stderr)
        raise TemplateError(Message(
            fr=f"Le rendu du modèle de document a échoué (code {child.returncode}). Simplifiez le modèle.",
            en=f"The document template's render failed (code {child.returncode}). Simplify the template."),
            detail=stderr or None)
    finally:
        shutil.rmtree(root, ignore_errors=True)
