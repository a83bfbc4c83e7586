"""Scenarios carried in links: the scenario file's text, inside the link that plays it.

A token is the TOML text, compressed with zlib (level 9) and base64url-encoded without
padding; a link carries it as ``src``: ``/s/{id}?src=TOKEN&v=…&run=…&h=…``.  The text is
validated by :func:`engine.loads`, exactly as a file is, and the scenario's id must be the
one the link's path names.  ``h`` hashes the text as it hashes a file's bytes, so a token
whose text was altered is an old link (409) like any other.

What a link may ask of the server is bounded before any work is done: the token's length
(:data:`MAX_TOKEN_CHARS`, within the query limit of app.main), the text's size
(:data:`MAX_TEXT_BYTES`: the inflater never produces more than one byte beyond it), then the
loader's own limits (threads, VMAs, calls).  Anything wrong is a :class:`BadSource` that
carries the text it could recover and the mistakes, one by one (engine.errors.Mistake).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import zlib

import engine
from engine import Scenario
from engine.errors import Mistake, ScenarioError

MAX_TEXT_BYTES = 16 * 1024
MAX_TOKEN_CHARS = 4096 - 512    # app.main's MAX_QUERY, less room for v, run, h and seed
NAME = "the scenario"           # what the loader's messages call the text
_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
_CHUNK = 512                    # compressed bytes fed to the inflater at a time


class BadSource(Exception):
    """A token or text that is not a scenario: the ``text`` that could be recovered (all of
    it, for a text that does not validate) and the ``mistakes``, each with its line and field."""

    def __init__(self, mistakes: tuple[Mistake, ...], text: str = "") -> None:
        super().__init__("; ".join(m.message for m in mistakes))
        self.mistakes = mistakes
        self.text = text


def _bad(message: str, text: str = "") -> BadSource:
    return BadSource((Mistake(0, (), message),), text)


def encode(text: str) -> str:
    """The token of ``text``."""
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).rstrip(b"=").decode("ascii")


def decode(token: str) -> str:
    """The text a token carries, inflated to at most :data:`MAX_TEXT_BYTES`; a BadSource
    saying what is wrong (with what could be recovered of a damaged one) otherwise."""
    if len(token) > MAX_TOKEN_CHARS:
        raise _bad(f"the src token is {len(token)} characters long; a link carries a scenario of at most "
                   f"{MAX_TOKEN_CHARS} characters, compressed")
    if not _TOKEN.fullmatch(token):
        raise _bad("the src token has characters that are not base64url (A-Z, a-z, 0-9, - and _): "
                   "was the link cut or changed?")
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise _bad("the src token is not base64url (its length is impossible): was the link cut short?") from None
    inflater, out = zlib.decompressobj(), b""
    try:
        for i in range(0, len(packed), _CHUNK):
            out += inflater.decompress(packed[i:i + _CHUNK], MAX_TEXT_BYTES + 1 - len(out))
            if len(out) > MAX_TEXT_BYTES or inflater.unconsumed_tail:
                raise _bad(f"the scenario in the link is over {MAX_TEXT_BYTES // 1024} KiB once inflated; a link "
                           f"carries at most {MAX_TEXT_BYTES // 1024} KiB of text")
    except zlib.error as e:
        raise _bad(f"the src token is damaged: it does not inflate ({e}); was the link cut or changed?",
                   _recovered(out)) from None
    if not inflater.eof:
        raise _bad("the src token is cut short: the compressed text ends early; copy the whole link",
                   _recovered(out))
    if inflater.unused_data:
        raise _bad("the src token has bytes after the compressed text: was something appended to the link?",
                   _recovered(out))
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("the scenario in the link is not UTF-8 text", _recovered(out)) from None


def _recovered(out: bytes) -> str:
    return out.decode("utf-8", "replace")


def from_text(text: str, source: str = "") -> Scenario:
    """The scenario ``text`` describes, validated as a file is, carrying its token
    (``source``, or the text's own); a BadSource with every mistake otherwise."""
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise _bad(f"the text is {size} bytes; a scenario in a link is at most {MAX_TEXT_BYTES // 1024} KiB "
                   f"({MAX_TEXT_BYTES} bytes)", text)
    try:
        scenario = engine.loads(text, NAME)
    except ScenarioError as e:
        raise BadSource(e.mistakes or (Mistake(0, (), str(e)),), text) from None
    token = source or encode(text)
    if len(token) > MAX_TOKEN_CHARS:
        raise _bad(f"compressed, the text is {len(token)} characters; a link carries at most {MAX_TOKEN_CHARS}: "
                   f"shorten the note, the assumptions or the names", text)
    return dataclasses.replace(scenario, source=token)


def from_token(token: str) -> Scenario:
    """The scenario a link's token carries; a BadSource otherwise."""
    return from_text(decode(token), token)
