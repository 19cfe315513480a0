#!/bin/bash
# Issue 15: a persistent failure is said once per state change (plus a
# reminder a minute), and the requests against a failing endpoint back
# off (exponential, jitter, capped); when the endpoint comes back the
# carrier recovers within the cap.  Before, each of six pollers logged
# and retried about once a second: 144 lines and 144 requests in 23 s.
# Each part watches a failure for 20 s (a window: the point is what
# happens during it), counts the carrier's lines about the endpoint and
# the requests (the carrier's own polls_fail, the exit's decode_fail),
# then repairs it and waits for the recovery and a sha256 fetch.
#  1. direct_post, nothing listening (connection refused); past the
#     outage grace (endpoint_outage_grace_ms, 5 s here) a SOCKS client is
#     reset at once instead of waiting for its own timeout;
#  2. direct_post, an exit with another tunnel_key (204): one "tunnel_key
#     mismatch" line; the exit reloaded with the right key: recovered;
#  3. direct_stream, nothing listening;
#  4. apps_script through the emulator to an exit with another key.
# Back-off knobs for the POST parts: endpoint_blacklist_base_ms 1000,
# endpoint_blacklist_max_ms 8000 (the cap), so the recovery is quick.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_need_root
gr_need_cmd nginx curl python3 node openssl
gr_setup
gc_ports
KEY=$(gr_key)
WINDOW=20
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"
KNOBS="  endpoint_blacklist_base_ms: 1000
  endpoint_blacklist_max_ms: 8000
  endpoint_outage_grace_ms: 5000"

# exitd NAME PORT KEY: an exit-only daemon.
exitd() {
	{
		echo "tunnel_key: \"$3\""
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $2"
		echo "  dns_servers: [\"127.0.0.77\"]"
	} >"$T/$1.yaml"
	gr_spawn "$1" "$GOOSERELAYD" -d -s "$T/$1.sock" -f "$T/$1.yaml"
	gr_wait_log "$T/$1.log" "exit: ready" 20 || gr_fail "$1 did not start"
}

# carrier NAME MODE URLKEY URL [extra]: a carrier-only daemon on $SOCKS.
carrier() {
	{
		echo "tunnel_key: \"$KEY\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  transport_mode: $2"
		echo "  $3: [\"$4\"]"
		[ -n "${5:-}" ] && echo "$5"
	} >"$T/$1.yaml"
	CTL="$T/$1.sock"
	gr_spawn "$1" "$GOOSERELAYD" -d -s "$CTL" -f "$T/$1.yaml"
	gr_wait_log "$T/$1.log" "carrier: ready" 20 ||
	    gr_fail "$1 did not start"
}

# stat SOCK ROLE:NAME: one counter of a daemon.
stat() {
	"$GOOSERELAYCTL" -s "$1" stats --json >"$T/stat.json" ||
	    gr_fail "stats from $1"
	go_stat "$T/stat.json" "$2"
}

# said LOG REGEX MAX WHAT: at most MAX carrier lines match.
said() {
	_n=$(grep -Ec -- "carrier: .*$2" "$1" || true)
	gr_log "$4: $_n lines"
	[ "$_n" -le "$3" ] || {
		grep -E -- "carrier: .*$2" "$1" | head -20 >&2
		gr_fail "$4: $_n lines about it (at most $3)"
	}
}

# recovered LOG REGEX SECS WHAT: the recovery line within SECS, a fetch.
recovered() {
	gr_wait_log "$1" "$2" "$3" || gr_fail "$4: not recovered in $3 s"
	gc_fetch 1m || gr_fail "$4: fetch after the recovery"
}

# --- 1. direct_post, connection refused ---------------------------------
P1=$(gr_free_port)
carrier c1 direct_post relay_urls "http://127.0.0.1:$P1/tunnel" "$KNOBS"
sleep "$WINDOW"
said "$T/c1.log" "127.0.0.1:$P1" 3 "1: refused for ${WINDOW}s"
n=$(stat "$CTL" carrier:polls_fail)
gr_log "1: $n requests failed in ${WINDOW}s"
[ "$n" -le 16 ] || gr_fail "1: $n requests in ${WINDOW}s"
# Past the outage grace a new connection is reset at once, not held.
t0=$(date +%s)
curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$SOCKS" -o /dev/null \
    "http://127.0.0.1:$WEBP/1m" 2>/dev/null && gr_fail "1: a fetch worked"
el=$(($(date +%s) - t0))
[ "$el" -le 10 ] || gr_fail "1: a connection was held ${el}s while down"
gr_wait_log "$T/c1.log" "every relay unavailable for [0-9]+ s: resetting 1 local session" 5 ||
    gr_fail "1: the reset was not said"
exitd e1 "$P1" "$KEY"
recovered "$T/c1.log" "127.0.0.1:$P1: answering again after" 15 "1"
gr_stop c1
gr_stop e1

# --- 2. direct_post, another tunnel_key -----------------------------------
P2=$(gr_free_port)
exitd e2 "$P2" "$(gr_key)"
carrier c2 direct_post relay_urls "http://127.0.0.1:$P2/tunnel" "$KNOBS"
sleep "$WINDOW"
said "$T/c2.log" "127.0.0.1:$P2" 3 "2: wrong key for ${WINDOW}s"
[ "$(grep -c 'carrier: .*tunnel_key mismatch: the exit cannot decrypt' \
    "$T/c2.log")" = 1 ] || gr_fail "2: the key mismatch not said once"
n=$(stat "$T/e2.sock" exit:decode_fail)
gr_log "2: the exit got $n requests it could not decrypt in ${WINDOW}s"
[ "$n" -le 16 ] || gr_fail "2: $n requests in ${WINDOW}s"
sed -i "s/^tunnel_key: .*/tunnel_key: \"$KEY\"/" "$T/e2.yaml"
kill -HUP "$(gr_pid e2)"
gr_wait_log "$T/e2.log" "configuration generation 2 loaded" 10 ||
    gr_fail "2: the exit did not reload"
recovered "$T/c2.log" "127.0.0.1:$P2: answering again after" 15 "2"
gr_stop c2
gr_stop e2

# --- 3. direct_stream, connection refused --------------------------------
P3=$(gr_free_port)
carrier c3 direct_stream direct_stream_urls "ws://127.0.0.1:$P3/stream"
sleep "$WINDOW"
said "$T/c3.log" "stream: ws://127.0.0.1:$P3/stream" 2 "3: refused for ${WINDOW}s"
said "$T/c3.log" "stream: " 4 "3: all stream lines"
exitd e3 "$P3" "$KEY"
# The stream's cap is 30 s (stream_reconnect_backoff_ms doubling).
recovered "$T/c3.log" "stream: ws://127.0.0.1:$P3/stream: answering again after" 40 "3"
gr_stop c3
gr_stop e3

# --- 4. apps_script, an exit with another key --------------------------------
gf_setup
ID=$(gr_deployment_id failonce)
gf_emu_start "$ID"
gf_conf "[\"$ID\"]"
gf_split "$(gr_key)"		# the carrier gets another key
GF_NOWAIT=1 gf_start exit4 "$T/exit.yaml"
gr_wait_port "$EXITP" 20 || gr_fail "4: exit did not start"
gf_start c4 "$T/carrier.yaml"
sleep "$WINDOW"
said "$T/c4.log" "AKfycb" 4 "4: apps_script, wrong key for ${WINDOW}s"
[ "$(grep -c 'carrier: .*tunnel_key mismatch: the exit cannot decrypt' \
    "$T/c4.log")" = 1 ] || gr_fail "4: the key mismatch not said once"
gr_log "ok"
