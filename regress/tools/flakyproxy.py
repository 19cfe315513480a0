#!/usr/bin/env python3
"""Loopback TCP proxy that resets every connection it carries every
PERIOD seconds (SO_LINGER 0 on both sides), for the carrier's stream
reconnect test.  Usage: flakyproxy.py LISTEN_PORT TARGET_PORT PERIOD
[MAX_RESETS].  Runs until killed; prints one line per reset.

With PERIOD "gate" it never resets by itself: SIGUSR1 switches it down
(every connection reset, new ones accepted and reset), SIGUSR2 up again;
each switch prints "down N (M connections reset)" or "up N"."""
import selectors
import signal
import socket
import struct
import sys
import time

lport, tport = int(sys.argv[1]), int(sys.argv[2])
gate = sys.argv[3] == "gate"
period = float("inf") if gate else float(sys.argv[3])
max_resets = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
state = {"down": False, "flip": None, "n": 0}

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


def hard_close(x):
    pairs[x] = None
    close_pair(x, True)


def reset_all():
    n = len(pairs) // 2
    for s in list(pairs):
        if s in pairs:
            close_pair(s, True)
    return n


def on_sig(signum, frame):
    state["flip"] = signum == signal.SIGUSR1


if gate:
    signal.signal(signal.SIGUSR1, on_sig)
    signal.signal(signal.SIGUSR2, on_sig)

print("listening on %d -> %d" % (lport, tport), flush=True)
while True:
    if state["flip"] is not None:
        state["down"], state["flip"] = state["flip"], None
        state["n"] += 1
        if state["down"]:
            print("down %d (%d connections reset)" % (state["n"],
                  reset_all()), flush=True)
        else:
            print("up %d" % state["n"], flush=True)
    timeout = min(0.5, max(0.0, next_reset - time.monotonic()))
    try:
        events = sel.select(timeout)
    except InterruptedError:
        continue
    for key, _ in events:
        s = key.fileobj
        if s is ls:
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            if state["down"]:
                hard_close(c)
                continue
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
            n = reset_all()
            resets += 1
            print("reset %d (%d connections)" % (resets, n), flush=True)
