"""Undoing a response's Content-Encoding while it streams, with the size cap applied to what
comes out: each layer (gzip, x-gzip, deflate, identity, in any number and order) inflates at
most `STEP` bytes at a time and hands them straight to the next, so a small compressed body
that would inflate to gigabytes (or a gzip inside a gzip) is refused at the cap, having held at
most about `limit` bytes. Standard library only (zlib)."""

from __future__ import annotations

import zlib

STEP = 64 * 1024  # most bytes one layer inflates before the next layer sees them
SUPPORTED = ("gzip", "x-gzip", "deflate", "identity")


class TooLarge(Exception):
    """The decoded body passed the cap."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding this client did not ask for and cannot undo."""


class _Layer:
    """One encoding: zlib with a gzip header, a zlib header, or none (raw deflate, decided on
    the first bytes since servers send both under `deflate`)."""

    def __init__(self, name: str) -> None:
        self.gzip = name in ("gzip", "x-gzip")
        self.pending = b""  # deflate: bytes held until the header kind is known
        self.zlib: zlib._Decompress | None = (
            zlib.decompressobj(16 + zlib.MAX_WBITS) if self.gzip else None
        )

    def inflate(self, data: bytes) -> tuple[bytes, bytes]:
        """Up to STEP bytes of output, and the input not yet consumed."""
        if self.zlib is None:
            self.pending += data
            if len(self.pending) < 2:
                return b"", b""
            wrapped = (self.pending[0] & 0x0F) == 8 and int.from_bytes(self.pending[:2]) % 31 == 0
            self.zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self.pending = self.pending, b""
        out = self.zlib.decompress(data, STEP)
        rest = self.zlib.unconsumed_tail
        if self.gzip and self.zlib.eof and self.zlib.unused_data:  # another gzip member
            rest, self.zlib = self.zlib.unused_data + rest, zlib.decompressobj(16 + zlib.MAX_WBITS)
        return out, rest

    def drain(self) -> bytes:
        if self.zlib is None:
            return b""
        return self.zlib.decompress(b"", STEP)


class Inflater:
    """Feed it raw chunks; it returns decoded bytes and raises TooLarge past `limit`."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        names = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
        unknown = [name for name in names if name not in SUPPORTED]
        if unknown:
            raise UnsupportedEncoding(", ".join(unknown))
        # Encodings are listed in the order they were applied; undo them last first.
        self.layers = [_Layer(name) for name in reversed(names) if name != "identity"]
        self.limit = limit
        self.total = 0

    def feed(self, chunk: bytes) -> bytes:
        out = bytearray()
        self._push(0, chunk, out)
        return bytes(out)

    def finish(self) -> bytes:
        """What the layers still hold once the raw body has ended."""
        out = bytearray()
        for index, layer in enumerate(self.layers):
            while piece := layer.drain():
                self._push(index + 1, piece, out)
        return bytes(out)

    def _push(self, index: int, data: bytes, out: bytearray) -> None:
        if index == len(self.layers):
            self.total += len(data)
            if self.total > self.limit:
                raise TooLarge(self.total)
            out += data
            return
        layer = self.layers[index]
        while True:
            piece, data = layer.inflate(data)
            if piece:
                self._push(index + 1, piece, out)
            if not data and len(piece) < STEP:
                return
