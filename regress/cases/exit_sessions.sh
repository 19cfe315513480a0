#!/bin/bash
# Sessions and dialing: two clients isolated (a collision answered with
# RST), SYN to a closed port -> RST, max_sessions -> RST, run reset kills
# the previous run's sessions, names resolved by a loopback dnsmasq (an
# unknown name -> RST), and a dial that never completes does not hold up
# other sessions.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_root
gr_need_cmd nginx dnsmasq python3
chmod 755 "$T"

mkdir -p "$T/www"
gr_mkfile "$T/www/f" 3
WANT=$(gr_sha "$T/www/f")
NP=$(gr_free_port)
gr_nginx "$NP" "$T/www"
EP=$(gr_free_port)
gr_sink echo "$EP" -e
DNS=127.0.53.4	# not 127.0.0.77: other cases run in parallel
gr_dnsmasq "$DNS" --address=/nginx.example/127.0.0.1
gr_exit_start "max_sessions: 4" "upstream_dial_timeout_ms: 10000" \
    "dns_servers: [\"$DNS\"]"
printf 'GET /f HTTP/1.0\r\nHost: x\r\n\r\n' >"$T/req"

# sha256 of the file nginx sent, without its header (python is slow to
# start under pyenv shims, so plain tools).
body_sha() {
	tail -c "$(stat -c %s "$2")" "$1" | sha256sum | cut -d' ' -f1
}

# max_sessions 4: six SYNs in one batch, two RSTs.
n=$(gr_drv maxsess 6 "127.0.0.1:$EP") || gr_fail "maxsess"
[ "$n" = 2 ] || gr_fail "max_sessions: $n RSTs, want 2"

# Nothing listens on this port: the dial fails, the client gets an RST.
CP=$(gr_free_port)
rc=0; gr_drv fetch "127.0.0.1:$CP" "$T/o" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || gr_fail "closed port: status $rc, want 2 (RST)"

# The driver's sessions stay until the idle timeout: a fresh exit for
# the rest.
gr_stop gooserelayd
gr_exit_start "upstream_dial_timeout_ms: 10000" "dns_servers: [\"$DNS\"]"

gr_drv collide "127.0.0.1:$EP" || gr_fail "collision"

gr_drv runreset "127.0.0.1:$EP" || gr_fail "run reset"

# DNS through the loopback resolver.
gr_drv -b fetch "nginx.example:$NP" "$T/o" "$T/req" 2>/dev/null ||
    gr_fail "fetch by name"
[ "$(body_sha "$T/o" "$T/www/f")" = "$WANT" ] || gr_fail "fetch by name: sha256"
rc=0; gr_drv fetch "nosuch.example:80" "$T/o" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || gr_fail "unknown name: status $rc, want 2 (RST)"

# A listener whose backlog is full: SYNs to it are dropped, so the dial
# hangs until its timeout.  Other sessions go on meanwhile.
BP=$(gr_free_port)
gr_spawn blackhole python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(0)
held = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    held.append(c)
print("ready", flush=True)
time.sleep(600)
' "$BP"
gr_wait_log "$T/blackhole.log" ready 10 || gr_fail "blackhole listener"
gr_spawn deaddial "$GRDRV" -u "$XURL" -k "$XKEY" -t 60 fetch \
    "127.0.0.1:$BP" "$T/dead"
for i in 1 2 3; do
	gr_drv -b fetch "127.0.0.1:$NP" "$T/o$i" "$T/req" 2>/dev/null ||
	    gr_fail "fetch $i beside a hanging dial"
	[ "$(body_sha "$T/o$i" "$T/www/f")" = "$WANT" ] || gr_fail "fetch $i: sha256"
done
kill -0 "$(gr_pid deaddial)" 2>/dev/null ||
    gr_fail "the hanging dial ended before the other fetches"
rc=0; wait "$(gr_pid deaddial)" || rc=$?
[ "$rc" = 2 ] || gr_fail "hanging dial: status $rc, want 2 (RST)"
gr_exit_alive
