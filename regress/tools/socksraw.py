#!/usr/bin/env python3
"""Send raw byte chunks (hex arguments) to a SOCKS5 port, one after the
other, and print what came back (hex) and whether the server then closed
the connection ("closed") or kept it ("open").
Usage: socksraw.py PORT HEX [HEX...]"""
import socket
import sys
import time

port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
out = b""
closed = "open"
for h in sys.argv[2:]:
    try:
        s.sendall(bytes.fromhex(h))
    except OSError:
        closed = "closed"
        break
    time.sleep(0.1)
    s.settimeout(1.0)
    try:
        d = s.recv(4096)
        if not d:
            closed = "closed"
            break
        out += d
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = "closed"
        break
if closed == "open":
    s.settimeout(2.0)
    try:
        if s.recv(1) == b"":
            closed = "closed"
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = "closed"
print(out.hex() or "-", closed)
