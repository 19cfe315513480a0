#!/usr/bin/env python3
"""SOCKS5 UDP ASSOCIATE client and UDP servers for the udp_* cases.

  socksudp.py sink PORT [HOST]
      a UDP echo sink on HOST:PORT (default 127.0.0.1), until killed
  socksudp.py echo SOCKS DST DPORT N [WINDOW]
      N datagrams of 1..1400 random bytes to DST:DPORT through the
      association, at most WINDOW (default 32) unanswered at a time;
      every reply must be byte-identical to what was sent.  Prints
      "sent N received R lost L bad B" and exits 0 when L = B = 0.
  socksudp.py dns SOCKS DST DPORT NAME IP N
      N queries (type A) for NAME, one after the other; each answer
      must be NOERROR with IP among its A records.  Prints
      "answered A of N" and exits 0 when all were.
  socksudp.py assoc SOCKS
      only the ASSOCIATE: prints "rep X" (the reply code), or
      "closed" if the connection closed without a reply
  socksudp.py hold SOCKS DST DPORT FILE
      associate, check one echo, then keep the association until FILE
      exists, then send one more datagram and print whether it came back
      ("alive" / "dead") right after closing the control connection
  socksudp.py flood SOCKS DST DPORT SECONDS
      send datagrams as fast as possible for SECONDS, read what comes
      back; prints "sent S received R"
  socksudp.py many SOCKS DST DPORT N [nosend]
      N associations at once; unless nosend, one datagram on each, then
      (after the timeout) which ones echoed it and whose control
      connection the carrier closed; prints "rep0 A rep1 B rep7 C
      echoed E closed K"
  socksudp.py frag SOCKS DST DPORT
      one datagram with FRAG=1 (must be dropped), then one with FRAG=0
      (must come back); prints "frag-dropped ok" on success

DST may be an IPv4 or IPv6 literal or a domain name (sent as ATYP 3 and
resolved by the exit).  Options (before the mode): -z sends the
ASSOCIATE with 0.0.0.0:0 instead of the client's own address and port;
-t SECONDS sets the per-datagram timeout (default 5); -r RATE paces
echo to at most RATE datagrams per second.  Every socket has
a timeout: the run is bounded.
"""
import ipaddress
import os
import random
import socket
import struct
import sys
import time

TIMEOUT = 5.0
ZERO = False
RATE = 0.0


def recvn(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            return b
        b += d
    return b


def socks_addr(host, port):
    try:
        ip = ipaddress.ip_address(host)
        if ip.version == 4:
            return b"\x01" + ip.packed + struct.pack(">H", port)
        return b"\x04" + ip.packed + struct.pack(">H", port)
    except ValueError:
        h = host.encode()
        return b"\x03" + bytes([len(h)]) + h + struct.pack(">H", port)


def parse_addr(b):
    t = b[0]
    if t == 1:
        return str(ipaddress.ip_address(b[1:5])), \
            struct.unpack(">H", b[5:7])[0], 7
    if t == 4:
        return str(ipaddress.ip_address(b[1:17])), \
            struct.unpack(">H", b[17:19])[0], 19
    if t == 3:
        n = b[1]
        return b[2:2 + n].decode(), \
            struct.unpack(">H", b[2 + n:4 + n])[0], 4 + n
    raise ValueError("bad atyp %d" % t)


class Assoc:
    """One UDP association: the TCP control connection and a UDP socket."""

    def __init__(self, socks_port, host="127.0.0.1"):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.u = socket.socket(fam, socket.SOCK_DGRAM)
        self.u.bind((host, 0))
        self.u.settimeout(TIMEOUT)
        self.t = socket.create_connection((host, socks_port), timeout=30)
        self.t.sendall(b"\x05\x01\x00")
        if recvn(self.t, 2) != b"\x05\x00":
            raise OSError("socks: method refused")
        if ZERO:
            req = socks_addr("0.0.0.0", 0)
        else:
            a = self.u.getsockname()
            req = socks_addr(a[0], a[1])
        self.t.sendall(b"\x05\x03\x00" + req)
        r = recvn(self.t, 4)
        if len(r) < 4:
            self.rep = None
            return
        self.rep = r[1]
        if r[3] == 1:
            rest = recvn(self.t, 6)
            bnd = str(ipaddress.ip_address(rest[:4]))
            port = struct.unpack(">H", rest[4:6])[0]
        elif r[3] == 4:
            rest = recvn(self.t, 18)
            bnd = str(ipaddress.ip_address(rest[:16]))
            port = struct.unpack(">H", rest[16:18])[0]
        else:
            raise OSError("socks: reply atyp %d" % r[3])
        self.relay = (bnd, port)

    def send(self, host, port, data, frag=0):
        self.u.sendto(b"\x00\x00" + bytes([frag]) + socks_addr(host, port)
                      + data, self.relay)

    def recv(self):
        d, src = self.u.recvfrom(70000)
        if src[0] != self.relay[0] or src[1] != self.relay[1]:
            raise OSError("datagram from %r, not the relay" % (src,))
        if d[0:3] != b"\x00\x00\x00":
            raise OSError("bad SOCKS UDP header")
        h, p, n = parse_addr(d[3:])
        return h, p, d[3 + n:]

    def close(self):
        self.t.close()
        self.u.close()


def sink(port, host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((host, port))
    while True:
        d, a = s.recvfrom(70000)
        s.sendto(d, a)


def echo(socks, dst, dport, n, window=32):
    a = Assoc(socks)
    if a.rep != 0:
        print("rep %s" % a.rep)
        return 1
    rnd = random.Random(1)
    sent = {}
    got = bad = 0
    i = 0
    t0 = time.monotonic()
    while i < n or sent:
        while i < n and len(sent) < window:
            if RATE > 0 and t0 + i / RATE > time.monotonic():
                if sent:
                    break       # read the replies meanwhile
                time.sleep(t0 + i / RATE - time.monotonic())
            size = rnd.randint(1, 1400)
            if size >= 4:
                body = struct.pack(">I", i) + os.urandom(size - 4)
                key = i
            else:
                # Too short for a number: known by its own bytes.
                body = os.urandom(size)
                key = ("s", body)
            sent[key] = body
            a.send(dst, dport, body)
            i += 1
        try:
            h, p, d = a.recv()
        except socket.timeout:
            break
        key = struct.unpack(">I", d[:4])[0] if len(d) >= 4 else ("s", d)
        want = sent.pop(key, None)
        if want is None or want != d:
            bad += 1
        else:
            got += 1
    lost = n - got - bad
    print("sent %d received %d lost %d bad %d" % (n, got, lost, bad))
    a.close()
    return 0 if lost == 0 and bad == 0 else 1


def dns_query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for part in name.strip(".").split("."):
        q += bytes([len(part)]) + part.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def dns_skip_name(b, off):
    while True:
        n = b[off]
        if n == 0:
            return off + 1
        if n & 0xc0 == 0xc0:
            return off + 2
        off += 1 + n


def dns_answer_ips(b, qid):
    hid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", b[:12])
    if hid != qid or flags & 0x000f != 0 or not flags & 0x8000:
        return None
    off = 12
    for _ in range(qd):
        off = dns_skip_name(b, off) + 4
    ips = []
    for _ in range(an):
        off = dns_skip_name(b, off)
        typ, cls, ttl, rdl = struct.unpack(">HHIH", b[off:off + 10])
        off += 10
        if typ == 1 and rdl == 4:
            ips.append(str(ipaddress.ip_address(b[off:off + 4])))
        off += rdl
    return ips


def dns(socks, dst, dport, name, ip, n):
    a = Assoc(socks)
    if a.rep != 0:
        print("rep %s" % a.rep)
        return 1
    ok = 0
    for i in range(n):
        qid = (i * 7919 + 1) & 0xffff
        a.send(dst, dport, dns_query(qid, name))
        try:
            while True:
                h, p, d = a.recv()
                ips = dns_answer_ips(d, qid)
                if ips is not None:
                    break
        except socket.timeout:
            continue
        if ip in ips:
            ok += 1
    print("answered %d of %d" % (ok, n))
    a.close()
    return 0 if ok == n else 1


def assoc(socks):
    try:
        a = Assoc(socks)
    except OSError as e:
        print("error %s" % e)
        return 1
    print("closed" if a.rep is None else "rep %d" % a.rep)
    a.close()
    return 0


def hold(socks, dst, dport, path):
    a = Assoc(socks)
    if a.rep != 0:
        print("rep %s" % a.rep)
        return 1
    a.send(dst, dport, b"first")
    if a.recv()[2] != b"first":
        print("bad")
        return 1
    print("associated", flush=True)
    for _ in range(1200):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    a.t.close()
    # Give the carrier the moment to see EOF, then try once.
    time.sleep(0.5)
    a.u.settimeout(2)
    try:
        a.send(dst, dport, b"after")
        a.recv()
        print("alive")
    except (socket.timeout, OSError):
        print("dead")
    a.u.close()
    return 0


def flood(socks, dst, dport, secs):
    a = Assoc(socks)
    if a.rep != 0:
        print("rep %s" % a.rep)
        return 1
    a.u.setblocking(False)
    body = b"x" * 512
    sent = got = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for _ in range(64):
            try:
                a.send(dst, dport, body)
                sent += 1
            except (BlockingIOError, OSError):
                break
        while True:
            try:
                a.u.recvfrom(70000)
                got += 1
            except (BlockingIOError, OSError):
                break
    a.u.setblocking(True)
    a.u.settimeout(1)
    try:
        while True:
            a.u.recvfrom(70000)
            got += 1
    except (socket.timeout, OSError):
        pass
    print("sent %d received %d" % (sent, got))
    a.close()
    return 0


def many(socks, dst, dport, n, send=True):
    reps = {}
    live = []
    for _ in range(n):
        a = Assoc(socks)
        reps[a.rep] = reps.get(a.rep, 0) + 1
        if a.rep == 0:
            live.append(a)
        else:
            a.close()
    echoed = closed = 0
    if send:
        for i, a in enumerate(live):
            a.send(dst, dport, b"many-%d" % i)
        end = time.monotonic() + TIMEOUT
        for i, a in enumerate(live):
            a.u.settimeout(max(0.1, end - time.monotonic()))
            try:
                if a.recv()[2] == b"many-%d" % i:
                    echoed += 1
            except (socket.timeout, OSError):
                pass
        for a in live:
            a.t.settimeout(0.5)
            try:
                if a.t.recv(1) == b"":
                    closed += 1
            except socket.timeout:
                pass
            except OSError:
                closed += 1
    print("rep0 %d rep1 %d rep7 %d echoed %d closed %d" % (
        reps.get(0, 0), reps.get(1, 0), reps.get(7, 0), echoed, closed))
    for a in live:
        a.close()
    return 0


def frag(socks, dst, dport):
    a = Assoc(socks)
    if a.rep != 0:
        print("rep %s" % a.rep)
        return 1
    a.send(dst, dport, b"fragment", frag=1)
    a.send(dst, dport, b"whole")
    try:
        d = a.recv()[2]
    except socket.timeout:
        print("nothing came back")
        return 1
    if d != b"whole":
        print("got %r" % d)
        return 1
    a.u.settimeout(1)
    try:
        d = a.recv()[2]
        print("extra %r" % d)
        return 1
    except socket.timeout:
        pass
    print("frag-dropped ok")
    a.close()
    return 0


def main(argv):
    global TIMEOUT, ZERO, RATE
    while argv and argv[0].startswith("-"):
        if argv[0] == "-z":
            ZERO = True
            argv = argv[1:]
        elif argv[0] == "-r":
            RATE = float(argv[1])
            argv = argv[2:]
        elif argv[0] == "-t":
            TIMEOUT = float(argv[1])
            argv = argv[2:]
        else:
            sys.exit(__doc__)
    if not argv:
        sys.exit(__doc__)
    m = argv[0]
    if m == "sink":
        sink(int(argv[1]), argv[2] if len(argv) > 2 else "127.0.0.1")
    elif m == "echo":
        return echo(int(argv[1]), argv[2], int(argv[3]), int(argv[4]),
                    int(argv[5]) if len(argv) > 5 else 32)
    elif m == "dns":
        return dns(int(argv[1]), argv[2], int(argv[3]), argv[4], argv[5],
                   int(argv[6]))
    elif m == "assoc":
        return assoc(int(argv[1]))
    elif m == "hold":
        return hold(int(argv[1]), argv[2], int(argv[3]), argv[4])
    elif m == "flood":
        return flood(int(argv[1]), argv[2], int(argv[3]), float(argv[4]))
    elif m == "many":
        return many(int(argv[1]), argv[2], int(argv[3]), int(argv[4]),
                    not (len(argv) > 5 and argv[5] == "nosend"))
    elif m == "frag":
        return frag(int(argv[1]), argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
