#!/bin/bash
# SIGHUP applies changed relay_urls and direct_stream_urls to a running
# carrier under a 64 MiB download (sha256 checked): an endpoint is added,
# then the first one removed (relay_urls: a dead URL is added too and
# shows its failures); the download never breaks, the endpoint that
# stays keeps its counters (gooserelayctl stats --json), and a key that
# needs a restart (workers_per_endpoint) is logged as such and not applied.
# The second relay URL reaches the same exit through a plain TCP proxy.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd curl python3
gr_setup
gc_ports
P2=$(gr_free_port)
head -c $((64 * 1024 * 1024)) /dev/urandom >"$DOC/big"
go_slowsrc "$WEBP" "$DOC"
# A pass-through proxy (no resets): a second address of the exit.
gr_spawn proxy python3 "$top_srcdir/regress/tools/flakyproxy.py" "$P2" \
    "$EXITP" 100000 0
gr_wait_port "$P2" 10 || gr_fail "proxy did not start"
RATE=${OPS_RELOAD_RATE:-2m}

# conf MODE RELAYS STREAMS [extra]: lists as YAML flow sequences.
conf() {
	{
		echo "tunnel_key: \"$KEY\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  transport_mode: $1"
		echo "  relay_urls: $2"
		echo "  direct_stream_urls: $3"
		echo "  stream_reconnect_backoff_ms: 200"
		[ -n "${4:-}" ] && echo "$4"
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $EXITP"
		echo "  dns_servers: [\"127.0.0.77\"]"
	} >"$T/conf.yaml"
}
KEY=$(gr_key)

# ---- relay_urls (direct_post) ----
U1="http://127.0.0.1:$EXITP/tunnel"
U2="http://127.0.0.1:$P2/tunnel"
U3="http://127.0.0.1:$(gr_free_port)/tunnel"	# nobody listens
conf direct_post "[\"$U1\"]" "[]" "  workers_per_endpoint: 3"
go_start
go_bg_fetch big "$RATE"
go_ctl stats --json >"$T/r0.json" || gr_fail "stats"
ok0=$(go_ep "$T/r0.json" relay "$U1" ok)
[ "$ok0" != - ] && [ "$ok0" -gt 0 ] || gr_fail "no relay row for U1: $ok0"

conf direct_post "[\"$U1\", \"$U2\", \"$U3\"]" "[]" \
    "  workers_per_endpoint: 3"
go_hup 2
gr_wait_log "$T/gooserelayd.log" "reload: relay_urls: 1 endpoint kept, 2 added, 0 removed" 5 ||
    gr_fail "no reload summary (add)"
go_ctl stats --json >"$T/r1.json" || gr_fail "stats"
ok1=$(go_ep "$T/r1.json" relay "$U1" ok)
[ "$ok1" != - ] && [ "$ok1" -ge "$ok0" ] ||
    gr_fail "U1 counters reset by the reload: $ok0 -> $ok1"
[ "$(go_ep "$T/r1.json" relay "$U2" ok)" != - ] || gr_fail "no row for U2"
ok2=$(go_ep "$T/r1.json" relay "$U2" ok)

# Requests go to one relay at a time (issue 16): with U1 gone, the first
# of the list (the dead U3) is tried, fails and hands over to U2.
conf direct_post "[\"$U3\", \"$U2\"]" "[]" "  workers_per_endpoint: 4"
go_hup 3
gr_wait_log "$T/gooserelayd.log" "reload: relay_urls: 2 endpoints kept, 0 added, 1 removed" 5 ||
    gr_fail "no reload summary (remove)"
gr_wait_log "$T/gooserelayd.log" "reload: workers_per_endpoint changed; restart gooserelayd to apply it" 5 ||
    gr_fail "restart-only key not reported"
go_ctl stats --json >"$T/r3.json" || gr_fail "stats"
ok3=$(go_ep "$T/r3.json" relay "$U2" ok)
[ "$ok3" -ge "$ok2" ] || gr_fail "U2 counters reset by the reload: $ok2 -> $ok3"
[ "$(go_ep "$T/r3.json" relay "$U1" ok)" = - ] || gr_fail "U1 still listed"
go_bg_running || gr_fail "the download ended before both reloads (raise the size or lower OPS_RELOAD_RATE)"
# Once its last exchange is over, U1 is freed (the download goes on).
gr_wait_log "$T/gooserelayd.log" "reload: endpoint http://127.0.0.1:$EXITP released" 15 ||
    gr_fail "the removed endpoint was never released"
go_bg_check big
# The rest of the download went through U2.
go_ctl stats --json >"$T/r4.json" || gr_fail "stats"
ok4=$(go_ep "$T/r4.json" relay "$U2" ok)
[ "$ok4" -gt "$ok3" ] || gr_fail "U2 carried nothing after U1 left"
gr_log "relay_urls: U1 ok $ok0 -> $ok1, U2 ok $ok2 -> $ok3 -> $ok4"
gc_fetch big || gr_fail "download after the reloads"
# The dead U3 (kept by both reloads) shows its failures once a poller
# tried it: connection refused, nothing sent, the batch goes elsewhere.
gr_mkfile "$DOC/small" 1
i=0
until go_ctl stats --json >"$T/r5.json" &&
    [ "$(go_ep "$T/r5.json" relay "$U3" fail)" -ge 1 ]; do
	i=$((i + 1)); [ $i -le 10 ] || gr_fail "U3 shows no failure"
	gc_parallel 4 small || gr_fail "fetches with a dead relay URL"
done
gr_log "U3: $(go_ep "$T/r5.json" relay "$U3" fail) failures after $i rounds of fetches"
[ "$(go_ep "$T/r5.json" relay "$U3" ok)" = 0 ] || gr_fail "U3 has successes"
[ "$(go_ep "$T/r5.json" relay "$U3" healthy)" = false ] ||
    gr_fail "U3 shown healthy"
grep -Eq "SIGSYS|killed by signal|carrier: exited" "$T/gooserelayd.log" &&
    gr_fail "a worker died"
gr_stop gooserelayd
mv "$T/gooserelayd.log" "$T/gooserelayd.relay.log"

# ---- direct_stream_urls (direct_stream) ----
gr_log "relay_urls phase ok"
S1="ws://127.0.0.1:$EXITP/stream"
S2="ws://127.0.0.1:$P2/stream"
conf direct_stream "[]" "[\"$S1\"]"
go_start
go_bg_fetch big "$RATE"
go_ctl stats --json >"$T/s0.json" || gr_fail "stats"
[ "$(go_ep "$T/s0.json" stream "$S1" ok)" = 1 ] ||
    gr_fail "stream row for S1: $(cat "$T/s0.json")"
conf direct_stream "[]" "[\"$S1\", \"$S2\"]"
go_hup 2
go_ctl stats --json >"$T/s1.json" || gr_fail "stats"
[ "$(go_ep "$T/s1.json" stream "$S1" ok)" = 1 ] ||
    gr_fail "S1 counters reset by the reload"
[ "$(go_ep "$T/s1.json" stream "$S1" healthy)" = true ] ||
    gr_fail "S1 not shown as connected"
[ "$(go_ep "$T/s1.json" stream "$S2" ok)" = 0 ] || gr_fail "no row for S2"
# Removing the URL in use keeps the connection (and the sessions on it).
conf direct_stream "[]" "[\"$S2\"]" "  sni: [\"mail.google.com\"]"
go_hup 3
gr_wait_log "$T/gooserelayd.log" "reload: sni changed; restart gooserelayd to apply it" 5 ||
    gr_fail "restart-only key not reported"
go_ctl stats --json >"$T/s2.json" || gr_fail "stats"
[ "$(go_ep "$T/s2.json" stream "$S1" ok)" = - ] || gr_fail "S1 still listed"
[ "$(go_ep "$T/s2.json" stream "$S2" ok)" = 0 ] || gr_fail "S2 row lost"
go_bg_running || gr_fail "the download ended before both reloads (raise the size or lower OPS_RELOAD_RATE)"
go_bg_check big
grep -q "stream: lost" "$T/gooserelayd.log" &&
    gr_fail "the stream was dropped by a reload"
grep -Eq "SIGSYS|killed by signal|carrier: exited" "$T/gooserelayd.log" &&
    gr_fail "a worker died"
gr_log "ok"
