"""Field-by-field comparison of model values, naming the first path that differs."""

from __future__ import annotations

from dataclasses import fields, is_dataclass


def first_difference(a: object, b: object, path: str = "invoice") -> str | None:
    """None when `a` and `b` are equal; otherwise "path: a != b" for the first difference."""
    if is_dataclass(a) and is_dataclass(b) and type(a) is type(b):
        for f in fields(a):
            found = first_difference(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if found:
                return found
        return None
    if isinstance(a, tuple) and isinstance(b, tuple):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        return None
    if type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str)):
        return f"{path}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"
    if a != b:
        return f"{path}: {a!r} != {b!r}"
    return None
