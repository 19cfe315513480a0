#!/usr/bin/env python3
"""Many SOCKS5 connections through the carrier to a loopback echo server,
each checked byte for byte.

  socksload.py echo PORT
      a threaded echo server on 127.0.0.1:PORT (runs until killed)
  socksload.py seq SOCKS ECHO N [SIZE]
      N connections one after the other
  socksload.py conc SOCKS ECHO N [SIZE] [HOLD]
      N connections opened at once (one thread each); with HOLD, each
      keeps its connection open until the file HOLD exists

Every connection: SOCKS5 CONNECT to 127.0.0.1:ECHO, send SIZE random
bytes (default 2048), read them back and compare.  One line per outcome
class is printed at the end, e.g. "ok 300", "rep1 12" (SOCKS reply code
1), "closed 3" (closed before a reply), "bad 0" (wrong bytes), then
"total N".  Exit status 0 if every connection was "ok".  Every socket has
a timeout, so the run is bounded."""
import os
import socket
import socketserver
import struct
import sys
import threading
import time

TIMEOUT = 30.0


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(120)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                s.sendall(d)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def recvn(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            return b
        b += d
    return b


def one(socks, echo, size, hold=None):
    """Returns an outcome class: ok, repN, closed, bad, error."""
    payload = os.urandom(size)
    try:
        s = socket.create_connection(("127.0.0.1", socks), timeout=TIMEOUT)
    except OSError:
        return "connect"
    try:
        s.sendall(b"\x05\x01\x00")
        if recvn(s, 2) != b"\x05\x00":
            return "closed"
        s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" +
                  struct.pack(">H", echo))
        r = recvn(s, 10)
        if len(r) < 2:
            return "closed"
        if r[1] != 0:
            return "rep%d" % r[1]
        if len(r) < 10:
            return "closed"
        if hold:
            # Prove the session works, then keep it until released.
            s.sendall(payload[:16])
            if recvn(s, 16) != payload[:16]:
                return "bad"
            t0 = time.time()
            while not os.path.exists(hold) and time.time() - t0 < TIMEOUT:
                time.sleep(0.05)
            payload = payload[16:]
        s.sendall(payload)
        if recvn(s, len(payload)) != payload:
            return "bad"
        return "ok"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    except OSError:
        return "error"
    finally:
        s.close()


def report(outcomes):
    classes = {}
    for o in outcomes:
        classes[o] = classes.get(o, 0) + 1
    for k in sorted(classes):
        print(k, classes[k])
    print("total", len(outcomes))
    sys.stdout.flush()
    return 0 if classes.get("ok", 0) == len(outcomes) else 1


def main():
    mode = sys.argv[1]
    if mode == "echo":
        Server(("127.0.0.1", int(sys.argv[2])), Echo).serve_forever()
        return 0
    socks, echo, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 2048
    if mode == "seq":
        return report([one(socks, echo, size) for _ in range(n)])
    hold = sys.argv[6] if len(sys.argv) > 6 else None
    out = [None] * n

    def run(i):
        out[i] = one(socks, echo, size, hold)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    return report([o or "hung" for o in out])


if __name__ == "__main__":
    sys.exit(main())
