#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets (see docs/fuzzing.md); nothing is committed.

    python3 fuzz/seeds.py OUT_DIR SOURCE...

SOURCE: .evtx files (or any EVTX-layout file, such as testdata's .dat) and folders searched
for *.evtx. OUT_DIR/scan gets whole files up to MAX_LEN bytes and, for larger ones, the
file header with each chunk alone; OUT_DIR/chunk gets every chunk that is not all zeroes.
Identical seeds are written once.
"""
import hashlib
import pathlib
import sys

HEADER = 4096
CHUNK = 65536
MAX_LEN = 200_000


def sources(args):
    for arg in args:
        path = pathlib.Path(arg)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() == ".evtx" and p.is_file())
        elif path.is_file():
            yield path


def main():
    out = pathlib.Path(sys.argv[1])
    scan, chunk = out / "scan", out / "chunk"
    scan.mkdir(parents=True, exist_ok=True)
    chunk.mkdir(parents=True, exist_ok=True)
    counts = {"scan": 0, "chunk": 0}

    def put(folder, data, kind):
        name = hashlib.sha1(data).hexdigest()
        target = folder / name
        if not target.exists():
            target.write_bytes(data)
            counts[kind] += 1

    for path in sources(sys.argv[2:]):
        data = path.read_bytes()
        header = data[:HEADER]
        chunks = [data[i:i + CHUNK] for i in range(HEADER, len(data), CHUNK)]
        if len(data) <= MAX_LEN:
            put(scan, data, "scan")
        else:
            for c in chunks:
                if any(c):
                    put(scan, header + c, "scan")
        for c in chunks:
            if any(c):
                put(chunk, c, "chunk")
    print(f"{counts['scan']} scan seeds, {counts['chunk']} chunk seeds in {out}")


if __name__ == "__main__":
    main()
