#!/usr/bin/env python3
"""HTTP source for downloads that must outlast what a test does meanwhile
(regress/cases/ops_reload*.sh).  Usage: slowsrc.py PORT DOCROOT FLAGFILE
[ADDR] (default 127.0.0.1; the fleet cases use their own namespace
addresses).
GET /NAME?rate=N sends DOCROOT/NAME at N bytes/s (k and m suffixes) while
FLAGFILE does not exist, then at full speed, so the test decides when the
download may end, however slow the machine is.  Loopback only."""
import http.server
import os
import sys
import time
import urllib.parse

port, root, flag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
addr = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
CHUNK = 64 * 1024


def rate_of(q):
    v = urllib.parse.parse_qs(q).get("rate", ["0"])[0].lower()
    mult = {"k": 1024, "m": 1024 * 1024}.get(v[-1:], 1)
    return int(v.rstrip("km") or 0) * mult


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        name = os.path.basename(u.path)
        path = os.path.join(root, name)
        if not name or not os.path.isfile(path):
            self.send_error(404)
            return
        rate = rate_of(u.query)
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        t0, sent = time.monotonic(), 0
        with open(path, "rb") as f:
            while True:
                b = f.read(CHUNK)
                if not b:
                    break
                self.wfile.write(b)
                sent += len(b)
                if rate > 0 and not os.path.exists(flag):
                    ahead = sent / rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)


http.server.ThreadingHTTPServer.daemon_threads = True
s = http.server.ThreadingHTTPServer((addr, port), H)
print("listening on %d" % port, flush=True)
s.serve_forever()
