#!/usr/bin/env python3
"""What takes the space in a wasm file: code bytes per crate, from the name section.

Usage: wasm_sizes.py target/wasm32-unknown-unknown/wasm-release/frontend.wasm [top-N]
(the file cargo writes, before wasm-bindgen removes the name section).
"""
import collections
import re
import sys


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(data):
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(data, pos + 1)
        yield sid, data[pos:pos + size]
        pos += size


def crate_of(name):
    """The first path segment of a Rust symbol (legacy or v0 mangling, or demangled)."""
    m = re.match(r"_ZN(\d+)", name)
    if m:
        n = int(m.group(1))
        start = m.end()
        seg = name[start:start + n]
        if seg.startswith("_$LT$"):
            inner = re.search(r"\$LT\$(?:\d+)?([a-zA-Z_][a-zA-Z0-9_]*)", seg)
            return inner.group(1) if inner else seg
        return seg
    m = re.match(r"_R[A-Za-z]*?C(?:s[0-9a-zA-Z_]*_)?(\d+)([a-zA-Z_][a-zA-Z0-9_]*)", name)
    if m:
        return m.group(2)[: int(m.group(1))]
    return name.split("::")[0].lstrip("<&") or "?"


def main():
    data = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    imports = 0
    bodies = []
    names = {}
    totals = collections.Counter()
    for sid, body in sections(data):
        totals[sid] += len(body)
        if sid == 2:  # imports: functions imported come first in the index space
            count, p = leb(body, 0)
            for _ in range(count):
                for _ in range(2):
                    n, p = leb(body, p)
                    p += n
                kind = body[p]
                p += 1
                if kind == 0:
                    imports += 1
                    _, p = leb(body, p)
                elif kind == 1:
                    p += 1
                    flags, p = leb(body, p)
                    _, p = leb(body, p)
                    if flags & 1:
                        _, p = leb(body, p)
                elif kind == 2:
                    flags, p = leb(body, p)
                    _, p = leb(body, p)
                    if flags & 1:
                        _, p = leb(body, p)
                elif kind == 3:
                    p += 2
        elif sid == 10:
            count, p = leb(body, 0)
            for _ in range(count):
                size, p = leb(body, p)
                bodies.append(size)
                p += size
        elif sid == 0:
            n, p = leb(body, 0)
            if body[p:p + n] != b"name":
                continue
            p += n
            while p < len(body):
                sub = body[p]
                size, p = leb(body, p + 1)
                if sub == 1:
                    q = p
                    count, q = leb(body, q)
                    for _ in range(count):
                        idx, q = leb(body, q)
                        ln, q = leb(body, q)
                        names[idx] = body[q:q + ln].decode("utf8", "replace")
                        q += ln
                p += size
    by_crate = collections.Counter()
    for i, size in enumerate(bodies):
        by_crate[crate_of(names.get(imports + i, "?"))] += size
    code = sum(bodies)
    print(f"{len(data)} bytes; code {code} in {len(bodies)} functions; data {totals[11]}")
    for crate, size in by_crate.most_common(top):
        print(f"{size:>9} {100 * size / code:5.1f}%  {crate}")


if __name__ == "__main__":
    main()
