"""Rewrite named numbers of a format 3 snapshot (src/source/snapshot/
snapshot.c): the crafted snapshots of issue 12.

Usage: craft_snapshot.py IN OUT NAME=VALUE...

Each NAME (e.g. "layout:setentry", "layout:PyDictKeyEntry.me_key") must
be in the snapshot's description; its 64-bit value becomes VALUE.  The
rest of the stream is copied as it is.
"""
import gzip
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    want = {}
    for arg in sys.argv[3:]:
        name, value = arg.split("=", 1)
        want[name] = int(value, 0)
    data = gzip.open(src, "rb").read()
    if data[:8] != b"PHISNAP\0":
        sys.exit("craft_snapshot: %s is not a snapshot" % src)
    version, _pid, n = struct.unpack_from("<III", data, 8)
    if version != 3:
        sys.exit("craft_snapshot: format %d, not 3" % version)
    out = bytearray(data)
    pos = 20
    for _ in range(n):
        (length,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + length].decode()
        pos += 4 + length
        if name in want:
            struct.pack_into("<q", out, pos, want.pop(name))
        pos += 8
    if want:
        sys.exit("craft_snapshot: not in the snapshot: %s" % " ".join(want))
    with gzip.open(dst, "wb") as f:
        f.write(bytes(out))


main()
