#!/usr/bin/env python3
"""Loopback TCP proxy in front of the exit's /stream that insists on one
Authorization header on the WebSocket upgrade, as a reverse proxy with
Basic auth would.  Usage: authproxy.py LISTEN_PORT TARGET_PORT EXPECTED
(EXPECTED is the whole header value, e.g. "Basic dXNlcjpwYXNz").  A
request without it or with another value gets 401 and is closed; a good
one is forwarded unchanged and the connection spliced both ways.  Prints
one line per request: "auth ok", "auth missing" or "auth wrong" (never
the value).  Runs until killed."""
import selectors
import socket
import sys

lport, tport, want = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

sel = selectors.DefaultSelector()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(64)
ls.setblocking(False)
sel.register(ls, selectors.EVENT_READ, None)
pairs = {}          # sock -> peer (spliced)
heads = {}          # sock -> request bytes so far (not yet checked)


def close(s):
    for x in (s, pairs.pop(s, None)):
        if x is None:
            continue
        pairs.pop(x, None)
        heads.pop(x, None)
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        x.close()


def check(c, head):
    lines = head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    got = None
    for ln in lines:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"authorization":
            got = v.strip().decode("latin-1")
    if got != want:
        print("auth %s" % ("missing" if got is None else "wrong"),
              flush=True)
        c.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                  b"Connection: close\r\n\r\n")
        close(c)
        return
    print("auth ok", flush=True)
    try:
        u = socket.create_connection(("127.0.0.1", tport), timeout=5)
    except OSError:
        close(c)
        return
    u.sendall(head)
    for x in (c, u):
        x.setblocking(False)
        x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sel.register(u, selectors.EVENT_READ, None)
    pairs[c], pairs[u] = u, c


print("listening on %d -> %d" % (lport, tport), flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept()
            c.setblocking(False)
            heads[c] = b""
            sel.register(c, selectors.EVENT_READ, None)
            continue
        try:
            d = s.recv(262144)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            d = b""
        if not d:
            close(s)
            continue
        if s in heads:
            heads[s] += d
            if b"\r\n\r\n" in heads[s]:
                head = heads.pop(s)
                check(s, head)
            elif len(heads[s]) > 65536:
                close(s)
            continue
        p = pairs.get(s)
        if p is None:
            continue
        p.setblocking(True)
        try:
            p.sendall(d)
        except OSError:
            close(s)
            continue
        p.setblocking(False)
