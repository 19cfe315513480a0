#!/usr/bin/env python3
"""notifysock PATH: a stand-in for systemd's NOTIFY_SOCKET.

Binds a unix datagram socket at PATH and prints every sd_notify(3)
message as one line, its assignments joined by '|', in arrival order
(flushed at once), e.g. "READY=1|STATUS=serving: carrier gen 1, exit
gen 1".  Prints "listening" first.  Runs until killed.
"""
import os
import socket
import sys


def main():
    path = sys.argv[1]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    print("listening", flush=True)
    while True:
        data = s.recv(65536)
        lines = data.decode("utf-8", "replace").strip("\n").split("\n")
        print("|".join(lines), flush=True)


if __name__ == "__main__":
    main()
