#!/usr/bin/env python3
"""Writes the seeds of the vd_msg fuzz target (target_vd_msg.c has the
format): a handshake, a memory table over the 64 KiB memfd, one ring, and
requests in guest memory, for each device type; plus a few broken ones.
usage: gen_vd_msg.py OUT_DIR"""
import os
import struct
import sys

UVA = 0x7F0000000000
TYPES = {"rng": 0, "blk": 1, "scsi": 2, "input": 3, "net": 4}
WRITE, NEXT = 2, 1


def msg(req, payload=b"", nfds=0, evfd=False):
    body = struct.pack("<III", req, 1, len(payload)) + payload
    return bytes([nfds | (4 if evfd else 0)]) + struct.pack("<H", len(body)) + body


def u64(v):
    return struct.pack("<Q", v)


def state(i, n):
    return struct.pack("<II", i, n)


def mem_write(off, data):
    return bytes([0x80]) + struct.pack("<HB", off, len(data)) + data


def desc(addr, length, flags, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def start(features, q=0, num=16, size=0x10000, offset=0):
    out = msg(1) + msg(15) + msg(16, u64(1 << 3)) + msg(3) + msg(2, u64(features | 1 << 30))
    region = struct.pack("<QQQQ", 0, size, UVA, offset)
    out += msg(5, struct.pack("<II", 1, 0) + region, nfds=1)
    out += msg(8, state(q, num)) + msg(10, state(q, 0))
    out += msg(9, struct.pack("<IIQQQQ", q, 0, UVA + 0x0, UVA + 0x200, UVA + 0x100, 0))
    out += msg(13, u64(q), nfds=1, evfd=True) + msg(12, u64(q), nfds=1, evfd=True)
    return out + msg(18, state(q, 1))


def avail(q_idx_entries, idx):
    ring = b"".join(struct.pack("<H", h) for h in q_idx_entries)
    return mem_write(0x100, struct.pack("<HH", 0, idx) + ring)


V1, INDIRECT = 1 << 32, 1 << 28
seeds = {
    "rng-read": bytes([TYPES["rng"]]) + start(V1) + mem_write(0, desc(0x1000, 64, WRITE)) + avail([0], 1)
    + bytes([0xC0]) + msg(11, state(0, 0)),
    "blk-read": bytes([TYPES["blk"]]) + start(V1) + mem_write(0x1000, struct.pack("<IIQ", 0, 0, 0))
    + mem_write(0, desc(0x1000, 16, NEXT, 1) + desc(0x2000, 512, WRITE | NEXT, 2) + desc(0x3000, 1, WRITE))
    + avail([0], 1) + bytes([0xC0]) + msg(11, state(0, 0)),
    "blk-legacy-indirect": bytes([TYPES["blk"]]) + start(INDIRECT) + mem_write(0x1000, struct.pack("<IIQ", 8, 0, 0))
    + mem_write(0x4000, desc(0x1000, 16, NEXT, 1) + desc(0x2000, 20, WRITE | NEXT, 2) + desc(0x3000, 1, WRITE))
    + mem_write(0, desc(0x4000, 48, 4)) + avail([0], 1) + bytes([0xC0]),
    "net-rx": bytes([TYPES["net"]]) + start(V1) + mem_write(0, desc(0x1000, 1526, WRITE)) + avail([0], 1)
    + bytes([0xC0]),
    "scsi-event": bytes([TYPES["scsi"]]) + start(V1, q=1) + mem_write(0, desc(0x1000, 16, WRITE)) + avail([0], 1)
    + bytes([0xC1]),
    "input-config": bytes([TYPES["input"]]) + msg(1) + msg(15) + msg(16, u64(1 << 9))
    + msg(25, struct.pack("<III", 0, 2, 0) + bytes([1, 0])) + msg(24, struct.pack("<III", 0, 136, 0) + bytes(136)),
    "avail-jump": bytes([TYPES["rng"]]) + start(V1) + mem_write(0, desc(0x1000, 64, WRITE)) + avail([0], 40)
    + bytes([0xC0]),
    "mem-past-fd": bytes([TYPES["rng"]]) + start(V1, size=0x20000),
    "ring-index": bytes([TYPES["blk"]]) + msg(12, u64(7), nfds=1, evfd=True) + msg(11, state(9, 0)),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(data)
