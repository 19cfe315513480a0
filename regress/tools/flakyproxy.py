#!/usr/bin/env python3
"""Loopback TCP proxy that resets every connection it carries every
PERIOD seconds (SO_LINGER 0 on both sides), for the carrier's stream
reconnect test.  Usage: flakyproxy.py LISTEN_PORT TARGET_PORT PERIOD
[MAX_RESETS].  Runs until killed; prints one line per reset."""
import selectors
import socket
import struct
import sys
import time

lport, tport, period = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
max_resets = int(sys.argv[4]) if len(sys.argv) > 4 else 1000

sel = selectors.DefaultSelector()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(64)
ls.setblocking(False)
sel.register(ls, selectors.EVENT_READ, None)
pairs = {}          # sock -> peer
resets = 0
next_reset = time.monotonic() + period


def close_pair(s, hard):
    p = pairs.pop(s, None)
    for x in (s, p):
        if x is None:
            continue
        pairs.pop(x, None)
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        if hard:
            try:
                x.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            except OSError:
                pass
        x.close()


print("listening on %d -> %d" % (lport, tport), flush=True)
while True:
    timeout = max(0.0, next_reset - time.monotonic())
    for key, _ in sel.select(timeout):
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept()
            try:
                u = socket.create_connection(("127.0.0.1", tport), timeout=5)
            except OSError:
                c.close()
                continue
            for x in (c, u):
                x.setblocking(False)
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(x, selectors.EVENT_READ, None)
            pairs[c], pairs[u] = u, c
            continue
        if s not in pairs:
            continue
        try:
            d = s.recv(262144)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            d = b""
        if not d:
            close_pair(s, False)
            continue
        p = pairs[s]
        p.setblocking(True)
        try:
            p.sendall(d)
        except OSError:
            close_pair(s, False)
            continue
        p.setblocking(False)
    if time.monotonic() >= next_reset:
        next_reset = time.monotonic() + period
        if resets < max_resets and pairs:
            n = len(pairs) // 2
            for s in list(pairs):
                if s in pairs:
                    close_pair(s, True)
            resets += 1
            print("reset %d (%d connections)" % (resets, n), flush=True)
