#!/usr/bin/env python3
"""Tagged echo sessions through several carriers, for the exit fleet
cases (regress/cases/fleet_*.sh, issue 16).

  fleetload.py serve ADDR PORT LOG
      a threaded echo server on ADDR:PORT.  Each connection first sends
      one line "TAG\\n"; the server appends "PEER_IP TAG" to LOG (the
      exit that dialed it: each exit has an address of its own), then
      echoes everything else.  Runs until killed.
  fleetload.py run ADDR PORT N SIZE CONC SOCKS...
      N sessions through each SOCKS port (round robin), CONC at once:
      SOCKS5 CONNECT to ADDR:PORT, send "SOCKS\\n" and SIZE random bytes,
      read them back and compare.  Prints "ok N", "fail N" and the first
      few failures; exit status 0 if all were ok.
  fleetload.py first SOCKS ADDR PORT TIMEOUT [T0]
      one session, retried until it echoes or TIMEOUT seconds passed;
      prints the seconds until the first echoed byte (since T0, a time
      since the epoch, when given: python's own start takes time), or
      "none".

Every socket has a timeout, so every run is bounded."""
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
        tag = b""
        try:
            while not tag.endswith(b"\n") and len(tag) < 64:
                d = s.recv(1)
                if not d:
                    return
                tag += d
            with LOCK:
                LOG.write("%s %s\n" % (self.client_address[0],
                                       tag.decode(errors="replace").strip()))
                LOG.flush()
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
        d = s.recv(min(65536, n - len(b)))
        if not d:
            return b
        b += d
    return b


def socks_connect(sp, addr, port, timeout=TIMEOUT):
    s = socket.create_connection(("127.0.0.1", sp), timeout=timeout)
    s.sendall(b"\x05\x01\x00")
    if recvn(s, 2) != b"\x05\x00":
        raise OSError("socks: no greeting")
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(addr) +
              struct.pack(">H", port))
    r = recvn(s, 10)
    if len(r) < 10 or r[1] != 0:
        raise OSError("socks: reply %r" % r[:2])
    return s


def one(sp, addr, port, size, timeout=TIMEOUT):
    s = socks_connect(sp, addr, port, timeout)
    try:
        data = os.urandom(size)
        s.sendall(b"%d\n" % sp)
        s.sendall(data)
        got = recvn(s, size)
        if got != data:
            raise OSError("bad echo (%d of %d bytes)" % (len(got), size))
    finally:
        s.close()


def run(argv):
    addr, port, n, size, conc = (argv[0], int(argv[1]), int(argv[2]),
                                 int(argv[3]), int(argv[4]))
    socks = [int(x) for x in argv[5:]]
    jobs = [(socks[i % len(socks)]) for i in range(n * len(socks))]
    lock = threading.Lock()
    res = {"ok": 0, "fail": 0}
    errs = []

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                sp = jobs.pop()
            try:
                one(sp, addr, port, size)
                k = "ok"
            except (OSError, socket.timeout) as e:
                k = "fail"
                with lock:
                    errs.append("%d: %s" % (sp, e))
            with lock:
                res[k] += 1
    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("ok %d" % res["ok"])
    print("fail %d" % res["fail"])
    for e in errs[:5]:
        print("  " + e)
    return 0 if res["fail"] == 0 else 1


def first(argv):
    sp, addr, port, limit = int(argv[0]), argv[1], int(argv[2]), \
        float(argv[3])
    t0 = time.monotonic()
    if len(argv) > 4:
        t0 -= time.time() - float(argv[4])
    while time.monotonic() - t0 < limit:
        left = limit - (time.monotonic() - t0)
        try:
            one(sp, addr, port, 1024, timeout=max(0.5, left))
            print("%.2f" % (time.monotonic() - t0))
            return 0
        except (OSError, socket.timeout):
            time.sleep(0.05)
    print("none")
    return 1


def main():
    global LOG, LOCK
    if len(sys.argv) >= 5 and sys.argv[1] == "serve":
        LOG = open(sys.argv[4], "a")
        LOCK = threading.Lock()
        srv = Server((sys.argv[2], int(sys.argv[3])), Echo)
        print("ready", flush=True)
        srv.serve_forever()
    if len(sys.argv) >= 8 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2:]))
    if len(sys.argv) in (6, 7) and sys.argv[1] == "first":
        sys.exit(first(sys.argv[2:]))
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
