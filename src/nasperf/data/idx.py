"""Read and write the IDX format of the MNIST files, plain or gzip-compressed.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 dimension sizes, then the values in C order, big-endian. ``<type>`` is one of
0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64).
Whether a file is gzip-compressed is told by its first two bytes, not by its name.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..exceptions import InvalidDataError

__all__ = ["read_idx", "write_idx", "IDX_TYPES"]

#: IDX type code -> numpy dtype (big-endian, as stored in the file)
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InvalidDataError(
                f"{path} looks gzip-compressed but cannot be decompressed ({exc}); "
                "the file is probably truncated: download it again"
            ) from exc
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Return the array stored in the IDX file ``path`` (gzip-compressed or not).

    The array has the file's shape and its dtype in native byte order (uint8 for MNIST).
    Raises :class:`InvalidDataError` on a wrong magic number, an unknown type code, or a
    size that disagrees with the header.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise InvalidDataError(
            f"{path} is not an IDX file: wrong magic number {data[:4].hex() or '(empty)'} "
            "(expected 0000 then a type code and the number of dimensions); check that the "
            "file is an MNIST-style IDX file and was not corrupted"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        raise InvalidDataError(
            f"{path}: unknown IDX type code 0x{code:02x} in the magic number; known codes: "
            + ", ".join(f"0x{c:02x}" for c in IDX_TYPES)
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise InvalidDataError(f"{path}: IDX header is truncated ({len(data)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise InvalidDataError(
            f"{path}: IDX header announces shape {shape} ({expected} bytes of data) but the "
            f"file holds {len(data) - header} bytes; the file is truncated or corrupted"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` to ``path`` in IDX format; gzip it when ``compress`` (default: the
    name ends in ``.gz``). Returns the path."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise InvalidDataError(
            f"cannot write dtype {array.dtype} to IDX; use one of: "
            + ", ".join(str(dt.newbyteorder("=")) for dt in IDX_TYPES.values())
        )
    if array.ndim > 255:
        raise InvalidDataError(f"IDX holds at most 255 dimensions, got {array.ndim}")
    code = codes[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path
