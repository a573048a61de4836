"""Saxon's GraalVM isolate, started with a bounded young generation.

saxonche is SaxonC, a GraalVM native image. Its C glue starts the image's isolate itself,
with ``graal_create_isolate(NULL, …)``: no runtime option, so the native image's serial
collector sizes its young generation from the machine's memory alone. On a 24 GB machine a
process that compiled the three rule sets of a French Factur-X invoice and then validated a
few hundred of them held 100–130 MB more than the rules need, young-generation chunks kept
between collections (measured: 209 MB after compiling, 300–309 MB after 300 validations,
against 178 → 190–203 MB with a young generation of at most 64 MB, for the same CPU time per
validation). SaxonC has no option for it: nothing in its Python API, its configuration
properties or the environment reaches the isolate's creation.

GraalVM's C API does take runtime options when an isolate is created: the argument vector of
``graal_create_isolate_params_t`` (version 3 onwards; its header names those fields
``_reserved_1``/``_reserved_2``, and GraalVM's launchers pass ``-XX:`` options through them).
`start` creates the isolate so, with ``-XX:MaxNewSize=<n>m``, and hands it to SaxonC through
the two globals SaxonC's own start-up fills before its first processor
(``SaxonProcessor::sxn_environ``, ``SaxonProcessor::jvmCreatedCPP``): SaxonC then attaches to
it as to its own. The old generation is not bounded: a very large invoice still gets the
memory it needs.

This reaches into two libraries' internals, so it is done only for the SaxonC build it was
written and measured against (`SAXONCHE_VERSION`, the symbols present, SaxonC not started
yet); otherwise SaxonC starts its own isolate as it always did, and the reason is logged. The
rules, their results and every failure path are Saxon's own either way
(tests/engine/validation runs with this isolate). One thing SaxonC's own start-up does is
left out: wiring Python extension functions (``register_user_function``), which Facturier
does not use (the callback is a private symbol of the glue library).
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_YOUNG_GENERATION_MB", "SAXONCHE_VERSION", "SaxonNotStarted", "configure", "start", "started_here"]

SAXONCHE_VERSION = "13.1.1"
"""The saxonche release whose glue library's globals and GraalVM's parameter layout were checked."""

DEFAULT_YOUNG_GENERATION_MB = 64
"""Measured on the import bench: 32 MB saves 30 MB more but costs CPU in collections; above 64 MB
the CPU time per validation does not fall any further."""

_SXN_ENVIRON = "_ZN14SaxonProcessor11sxn_environE"
_JVM_CREATED = "_ZN14SaxonProcessor13jvmCreatedCPPE"

class SaxonNotStarted(RuntimeError):
    """The isolate could not be created: Saxon cannot run in this process."""


_lock = threading.Lock()
_state: dict[str, object] = {"young_mb": DEFAULT_YOUNG_GENERATION_MB, "done": False, "ours": False}


class _CreateIsolateParams(ctypes.Structure):
    """``graal_create_isolate_params_t``, version 4 (GraalVM for JDK 25, as in SaxonC 13.1.1)."""

    _fields_ = [
        ("version", ctypes.c_int),
        ("reserved_address_space_size", ctypes.c_size_t),
        ("auxiliary_image_path", ctypes.c_char_p),
        ("auxiliary_image_reserved_space_size", ctypes.c_size_t),
        ("argc", ctypes.c_int),  # _reserved_1
        ("argv", ctypes.POINTER(ctypes.c_char_p)),  # _reserved_2
        ("pkey", ctypes.c_int),
        ("ignore_unrecognized_arguments", ctypes.c_char),  # _reserved_3
        ("exit_when_argument_parsing_fails", ctypes.c_char),  # _reserved_4
    ]


def configure(young_generation_mb: int | None) -> None:
    """The young generation's bound, in MB, for the isolate `start` will create (None or 0: SaxonC's own
    isolate, unbounded). Takes effect only before Saxon has started in this process."""
    with _lock:
        _state["young_mb"] = young_generation_mb or 0


def started_here() -> bool:
    """True when Saxon runs in the isolate `start` created (with the bound), False when SaxonC made its own."""
    return bool(_state["ours"])


def _never_freed(*objects: object) -> None:
    """Keep `objects` alive until the process ends, through the interpreter's shutdown."""
    for obj in objects:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _libraries() -> tuple[Path, Path] | str:
    """SaxonC's glue library and native image, or why they are not the ones this module knows."""
    try:
        version = importlib.metadata.version("saxonche")
    except importlib.metadata.PackageNotFoundError:
        return "saxonche is not installed"
    if version != SAXONCHE_VERSION:
        return f"saxonche {version} is not {SAXONCHE_VERSION}"
    spec = importlib.util.find_spec("saxonche")
    if spec is None or not spec.origin:
        return "saxonche has no library file"
    libs = Path(spec.origin).parent / "saxonche.libs"
    glue = sorted(libs.glob("libsaxonc-he-*.so*"))
    core = sorted(libs.glob("libsaxonc-core-he-*.so*"))
    if len(glue) != 1 or len(core) != 1:
        return f"SaxonC's libraries are not where expected in {libs}"
    return glue[0], core[0]


def start() -> None:
    """Create Saxon's isolate with the configured young-generation bound, once per process, before the first
    `PySaxonProcessor`; leave it to SaxonC when the bound is off or this SaxonC is not the known one."""
    with _lock:
        if isinstance(_state.get("failed"), SaxonNotStarted):
            raise _state["failed"]
        if _state["done"]:
            return
        _state["done"] = True
        young_mb = int(_state["young_mb"] or 0)
        if young_mb <= 0:
            return
        found = _libraries()
        if isinstance(found, str):
            log.warning("Saxon starts with its own unbounded heap: %s", found)
            return
        try:
            _state["ours"] = _create(*found, young_mb)
        except SaxonNotStarted as exc:
            _state["failed"] = exc
            raise
        except (OSError, AttributeError, ValueError) as exc:  # a library or symbol missing: SaxonC's own way
            log.warning("Saxon starts with its own unbounded heap: %s", exc)


def _create(glue_path: Path, core_path: Path, young_mb: int) -> bool:
    # The same files saxonche's extension links to: the loader returns these handles to it.
    core = ctypes.CDLL(str(core_path))
    glue = ctypes.CDLL(str(glue_path))
    environ = ctypes.c_void_p.in_dll(glue, _SXN_ENVIRON)
    created = ctypes.c_int.in_dll(glue, _JVM_CREATED)
    if created.value or environ.value:
        log.warning("Saxon was started before its heap could be bounded: it keeps SaxonC's own")
        return False
    args = [b"facturier", f"-XX:MaxNewSize={young_mb}m".encode()]
    argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
    # An option this GraalVM would not know is ignored rather than refused: a refused creation leaves the
    # native image unable to start any isolate (measured: SaxonC's own start then hangs).
    params = _CreateIsolateParams(version=4, argc=len(args), argv=argv,
                                  ignore_unrecognized_arguments=b"\x01", exit_when_argument_parsing_fails=b"\x00")
    isolate, thread = ctypes.c_void_p(), ctypes.c_void_p()
    create = core.graal_create_isolate
    create.argtypes = [ctypes.POINTER(_CreateIsolateParams), ctypes.POINTER(ctypes.c_void_p),
                       ctypes.POINTER(ctypes.c_void_p)]
    create.restype = ctypes.c_int
    code = create(ctypes.byref(params), ctypes.byref(isolate), ctypes.byref(thread))
    if code != 0:
        # No way back to SaxonC's own start (see above): Saxon is unavailable in this process, and every
        # validation says its rules could not run (RuleSetUnavailable), never a pass.
        raise SaxonNotStarted(f"GraalVM could not create Saxon's isolate with {args[1:]} (error {code}); "
                              "set FACTURIER_SAXON_YOUNG_GENERATION_MB=0 to let SaxonC start it")
    # SaxonC's `sxnc_environment`: the isolate, the current thread, the main thread. SaxonC reads it until the
    # very end of the process (its processor's destructor runs while the interpreter shuts down), so, like
    # SaxonC's own (malloc'ed, never freed), it is never freed: a Python-owned one was freed first, and the
    # process then crashed on exit.
    env = (ctypes.c_void_p * 3)(isolate.value, thread.value, thread.value)
    _never_freed(env, argv, *args)
    environ.value = ctypes.addressof(env)
    created.value = 1
    return True
