#!/bin/sh
# gooserelayctl status reports the right pids; garbage on the control
# socket gets an error, not a crash; SIGTERM exits 0 with every worker
# reaped and the control socket removed; killing the supervisor makes
# the workers exit.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_need_cmd python3
gr_setup
gr_fd_libexec
gr_fd_start gr
gr_fd_wait_state carrier running 10 || gr_fail "carrier not running"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
cpid=$(gr_fd_field carrier pid)
epid=$(gr_fd_field exit pid)
kids=$(ps -o pid= --ppid "$FD_PID" | tr -d ' ' | sort | tr '\n' ' ')
want=$(printf '%s\n%s\n' "$cpid" "$epid" | sort | tr '\n' ' ')
[ "$kids" = "$want" ] || gr_fail "status pids ($want) != children ($kids)"
gr_fd_ctl status | grep -q "^gooserelayd pid=$FD_PID " || gr_fail "status header"
[ "$(stat -c %a "$FD_CTL")" = 600 ] || gr_fail "control socket mode $(stat -c %a "$FD_CTL")"

# Garbage: unframed bytes, a huge length, non-printable text, trailing data.
python3 - "$FD_CTL" <<'PY' || gr_fail "garbage requests"
import socket, struct, sys
MAGIC = 0x47524331
def ask(payload):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
    s.sendall(payload)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    return data
def status(data):
    if len(data) < 12: return None
    m, st, n = struct.unpack("=III", data[:12])
    assert m == MAGIC, "bad reply magic"
    return st
assert status(ask(b"x" * 40)) == 1
assert status(ask(struct.pack("=II", MAGIC, 10**6))) == 1
assert status(ask(struct.pack("=II", MAGIC, 3) + b"\x01\x02\x03")) == 1
assert status(ask(struct.pack("=II", MAGIC, 6) + b"status" + b"junk")) == 1
assert status(ask(struct.pack("=II", MAGIC, 0))) == 1
ask(b"")                              # connect and hang up
assert status(ask(struct.pack("=II", MAGIC, 6) + b"status")) == 0
PY
gr_fd_ctl frobnicate 2>/dev/null && gr_fail "unknown command accepted"
gr_fd_ctl log verbose | grep -q verbose || gr_fail "log verbose"
gr_fd_ctl log brief | grep -q brief || gr_fail "log brief"
kill -0 "$FD_PID" || gr_fail "supervisor died on garbage"

# SIGTERM: exit 0, every worker reaped.
kill -TERM "$FD_PID"
wait "$FD_PID"; rc=$?
[ "$rc" = 0 ] || gr_fail "SIGTERM exit status $rc"
gr_fd_gone "$cpid" 5 || gr_fail "carrier $cpid still there"
gr_fd_gone "$epid" 5 || gr_fail "exit $epid still there"
[ -e "$FD_CTL" ] && gr_fail "control socket left behind"
grep -q 'exit: pid .* exited with status 0' "$FD_LOG" || gr_fail "exit did not drain cleanly"

# kill -9 of the supervisor: the workers exit on their own.
gr_fd_start gr2
gr_fd_wait_state carrier running 10 || gr_fail "carrier not running (2)"
gr_fd_wait_state exit running 10 || gr_fail "exit not running (2)"
cpid=$(gr_fd_field carrier pid)
epid=$(gr_fd_field exit pid)
kill -9 "$FD_PID"
gr_fd_gone "$cpid" 5 || gr_fail "carrier outlived the supervisor"
gr_fd_gone "$epid" 5 || gr_fail "exit outlived the supervisor"
gr_log "PASS"
