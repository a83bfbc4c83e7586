"""Reading the project's TOML files: scenarios, exercises and walkthroughs.

A file is read within a size limit, validated with pydantic, and every error names the file,
the field and, as best it can, the line; a folder of such files is loaded by id.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Callable, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from engine.errors import Mistake, ModelError


def read_toml(path: Path, max_bytes: int, what: str, error: type[ModelError]) -> tuple[dict, bytes]:
    """The table and the bytes of the TOML file ``path`` (a ``what`` file, at most
    ``max_bytes``); an ``error`` naming the file and what is wrong with it otherwise."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _failed(error, path, f"the file is {size // 1024} KiB; {what} file is at most {max_bytes // 1024} KiB")
        raw = path.read_bytes()
    except OSError as e:
        raise error(f"{path}: cannot read the file ({e.strerror})") from None
    return parse_toml(raw, path, max_bytes, what, error), raw


def parse_toml(raw: bytes, path: Path, max_bytes: int, what: str, error: type[ModelError]) -> dict:
    """The table of the TOML text ``raw``, read from ``path`` or given as text under that
    name (an editor's, a link's); an ``error`` naming it, with the line, otherwise."""
    if len(raw) > max_bytes:
        raise _failed(error, path, f"the text is {len(raw) // 1024} KiB; {what} file is at most {max_bytes // 1024} KiB")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _failed(error, path, "the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        at = _TOML_LINE.search(str(e))
        raise _failed(error, path, f"invalid TOML: {e}", int(at[1]) if at else 0) from None


_TOML_LINE = re.compile(r"\(at line ([0-9]+), column [0-9]+\)")


def _failed(error: type[ModelError], path: Path, message: str, line: int = 0) -> ModelError:
    """An ``error`` about the file ``path`` as a whole (or one ``line`` of it)."""
    return error(f"{path}: {message}", mistakes=(Mistake(line, (), message),))


M = TypeVar("M", bound=BaseModel)


def read_named(path: Path, model: type[M], max_bytes: int, what: str, error: type[ModelError]) -> tuple[M, str]:
    """The validated ``model`` of the TOML file ``path`` and its text, for a file whose ``id``
    must be its name; an ``error`` naming the file, the field and the line otherwise."""
    data, raw = read_toml(path, max_bytes, what, error)
    text = raw.decode("utf-8")
    try:
        spec = model.model_validate(data)
    except ValidationError as e:
        raise error(explain_errors(path, text, e), mistakes=mistakes(text, e)) from None
    if path.stem != spec.id:
        raise error(f"{path}: id {spec.id!r} must be the file's name ({path.stem}.toml)")
    return spec, text


class _Loaded(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def path(self) -> Path: ...


L = TypeVar("L", bound=_Loaded)


def load_folder(folder: Path, load_one: Callable[[Path], L], error: type[ModelError],
                order: Callable[[Path], object] = lambda p: p) -> dict[str, L]:
    """Every ``*.toml`` in ``folder`` loaded by ``load_one``, by id, in ``order`` of their paths;
    a duplicate id is an ``error`` naming both files."""
    out: dict[str, L] = {}
    for path in sorted(folder.glob("*.toml"), key=order):
        item = load_one(path)
        if item.id in out:
            raise error(f"{path}: id {item.id!r} is already used by {out[item.id].path}")
        out[item.id] = item
    return out


def explain_errors(path: Path, text: str, e: ValidationError) -> str:
    """Each error of ``e`` on a line of its own: the file, the field, its line, what."""
    lines = []
    for m in mistakes(text, e):
        loc = ".".join(str(x) for x in m.loc) or "(top level)"
        at = f" (line {m.line})" if m.line else ""
        lines.append(f"{path}: {loc}{at}: {m.message}")
    return "\n".join(lines)


def mistakes(text: str, e: ValidationError) -> tuple[Mistake, ...]:
    """Each error of ``e`` as a Mistake: where in ``text`` (best effort) and what."""
    return tuple(Mistake(_line_of(text, err["loc"]) or 0, tuple(err["loc"]), err["msg"]) for err in e.errors())


def _line_of(text: str, loc: tuple) -> int | None:
    """Best effort: the line of the last named key, after the n-th [[table]] it sits in."""
    rows = text.splitlines()
    start = 0
    for i, part in enumerate(loc):
        if isinstance(part, int) and i > 0 and isinstance(loc[i - 1], str):
            heads = [n for n, r in enumerate(rows) if r.strip() == f"[[{loc[i - 1]}]]"]
            if part < len(heads):
                start = heads[part]
    keys = [p for p in loc if isinstance(p, str)]
    if not keys:
        return None
    pattern = re.compile(rf"^\s*(\"?{re.escape(keys[-1])}\"?\s*=|\[{re.escape(keys[-1])}\])")
    for n in range(start, len(rows)):
        if pattern.match(rows[n]):
            return n + 1
    return start + 1 if start else None
