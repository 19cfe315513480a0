#!/bin/bash
# bench/run.sh: measure gooserelayd and its peers the same way, in one run,
# on loopback.  Every process started here is stopped by pid; every loop
# and wait is bounded; nothing listens beyond 127.0.0.1.
#
#	bench/run.sh [--quick] [--runs N] [--peers a,b,...] [--out DIR]
#
# Peers: direct (no proxy, the floor), microsocks (SOCKS, no crypto),
# ss (shadowsocks-libev ss-local + ss-server, aes-256-gcm), ssh (ssh -D to
# a throwaway sshd), gr_stream and gr_post (gooserelayd carrier + exit over
# direct_stream / direct_post), gr_apps (apps_script through the Google
# emulator regress/emu/google-emu.js).  A peer that cannot start here is
# skipped with a note, never faked.
#
# Output: DIR/raw.jsonl (one grbench result per line, tagged with peer and
# run), DIR/summary.json and DIR/summary.md (medians, min-max, ratios to
# direct and to ss), made by bench/summarize.py.  DIR defaults to
# bench/results/<UTC timestamp> in the build tree.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -x "$top_srcdir/build/bench/grbench" ]; then
		top_builddir=$top_srcdir/build
	else
		top_builddir=$top_srcdir
	fi
fi
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

QUICK=0
RUNS=3
PEERS="direct,microsocks,ss,ssh,gr_stream,gr_post,gr_apps,gr_exit10k"
OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; RUNS=1 ;;
	--runs) RUNS=$2; shift ;;
	--peers) PEERS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $RUNS in
''|*[!0-9]*) echo "run.sh: --runs N" >&2; exit 2 ;;
esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "run.sh: runs 1..20" >&2; exit 2; }

# shellcheck source=../regress/lib.sh
. "$top_srcdir/regress/lib.sh"
GR_CASE=bench
gr_setup
# nginx workers run as another user: let them reach the docroot.
chmod 711 "$T"

SINK=$top_builddir/bench/sink
GRB=$top_builddir/bench/grbench
[ -x "$SINK" ] && [ -x "$GRB" ] || gr_fail "build first: make bench/sink bench/grbench"

if [ -z "$OUT" ]; then
	OUT=$top_builddir/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
	[ "$QUICK" = 1 ] && OUT=$T/results
fi
mkdir -p "$OUT"
RAW=$OUT/raw.jsonl
: >"$RAW"
NOTES=$OUT/notes.txt
: >"$NOTES"

# The system interpreter: a version-manager shim can take seconds to
# start on a loaded machine, and ports are asked for often.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
b_free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

note() {
	gr_log "$*"
	echo "$*" >>"$NOTES"
}

# Idle sessions need descriptors in every process: take the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)

# Sizes.  Quick mode only proves the harness works (make check).
MIB=1048576
if [ "$QUICK" = 1 ]; then
	ECHO_N=50; CFB_N=20; BULK=$((4 * MIB)); PAR_EACH=$MIB; XFER_T=20
	CHURN_T=0.5; HOL_N=10; HOL_T=5; IDLE_CPU_N=5; IDLE_W=0.5
	RSS_N=50; RSS_T=20; CURL_MIB=1; GR_RSS_N=50; X10K_N=100; X10K_K=2
else
	ECHO_N=2000; CFB_N=300; BULK=$((1024 * MIB)); PAR_EACH=$((128 * MIB))
	XFER_T=10; CHURN_T=3; HOL_N=200; HOL_T=8; IDLE_CPU_N=50; IDLE_W=5
	RSS_N=10000; RSS_T=60; CURL_MIB=1; GR_RSS_N=1000; X10K_N=10000
	X10K_K=10
fi
# The carrier's storm guard (docs/protocol.md 4.7) admits 80 new sessions a
# second (burst 160) and 1,024 live ones, and closes the rest: scenarios
# that open many sessions go through it at GR_RATE a second, and the
# exit's 10,000 sessions come from X10K_K carriers at once (gr_exit10k).
GR_RATE=70
GR_GUARD_RATE=80
GR_GUARD_BURST=160
GR_GUARD_NOTE="capped by the carrier's storm guard: 80 new sessions/s, burst 160 (docs/protocol.md 4.7)"

# sessions_per_sec is not paced (it measures the proxy's ceiling), so on a
# storm-guarded peer it leaves the token bucket empty and the next
# scenario's first connects would be refused: wait the time a full
# refill takes (BURST / RATE s), once.
guard_refill() {
	sleep "$(awk "BEGIN { print $GR_GUARD_BURST / $GR_GUARD_RATE + 0.25 }")"
}

# The sink prints "echo P upload P source P quick P" once listening.
gr_spawn sink "$SINK"
gr_wait_log "$T/sink.log" '^echo [0-9]+ upload' 10 || gr_fail "sink did not start"
set -- $(head -n 1 "$T/sink.log")
P_ECHO=$2 P_UP=$4 P_SRC=$6
set --

# nginx for the 10 x 1 MiB curl scenario.
mkdir -p "$T/www"
head -c $((CURL_MIB * MIB)) /dev/urandom >"$T/www/f1m"
CURL_SHA=$(gr_sha "$T/www/f1m")
P_NGINX=$(b_free_port)
gr_nginx "$P_NGINX" "$T/www"

# All descendants of a pid (workers of a supervisor, sshd's session
# processes), read from /proc; nothing is signalled here.
descendants() {
	b_todo=$1
	b_n=0
	while [ -n "$b_todo" ] && [ $b_n -lt 64 ]; do
		b_next=""
		for b_p in $b_todo; do
			for b_c in $(cat /proc/"$b_p"/task/*/children 2>/dev/null); do
				echo "$b_c"
				b_next="$b_next $b_c"
			done
		done
		b_todo=$b_next
		b_n=$((b_n + 1))
	done
}

# ---- peers: each start_X sets PROXY ("" = direct) and PIDS, or returns 1.

# PACE: new sessions per second the peer admits (0 = no limit).
PACE=0

start_direct() {
	PROXY=""
	PIDS=""
}

start_microsocks() {
	command -v microsocks >/dev/null || { note "microsocks: not installed, skipped"; return 1; }
	b_p=$(b_free_port)
	gr_spawn microsocks microsocks -i 127.0.0.1 -p "$b_p"
	gr_wait_port "$b_p" 10 || return 1
	PROXY=127.0.0.1:$b_p
	PIDS=$(gr_pid microsocks)
}

start_ss() {
	command -v ss-server >/dev/null || { note "ss: shadowsocks-libev not installed, skipped"; return 1; }
	b_ps=$(b_free_port)
	b_pl=$(b_free_port)
	b_k=$(gr_key)
	# --no-delay: TCP_NODELAY, as gooserelayd sets on every socket.
	gr_spawn ss_server ss-server -s 127.0.0.1 -p "$b_ps" -k "$b_k" \
	    -m aes-256-gcm --no-delay -n "$NOFILE"
	gr_wait_port "$b_ps" 10 || return 1
	gr_spawn ss_local ss-local -s 127.0.0.1 -p "$b_ps" -b 127.0.0.1 \
	    -l "$b_pl" -k "$b_k" -m aes-256-gcm --no-delay -n "$NOFILE"
	gr_wait_port "$b_pl" 10 || return 1
	PROXY=127.0.0.1:$b_pl
	PIDS="$(gr_pid ss_local) $(gr_pid ss_server)"
}

start_ssh() {
	[ -x /usr/sbin/sshd ] && command -v ssh >/dev/null || { note "ssh: openssh not installed, skipped"; return 1; }
	# sshd insists on its privilege separation directory (Debian creates
	# it at boot via tmpfiles; containers often lack it).
	if [ ! -d /run/sshd ]; then
		mkdir -p -m 755 /run/sshd 2>/dev/null || { note "ssh: no /run/sshd and cannot create it, skipped"; return 1; }
	fi
	b_d=$T/ssh
	mkdir -p "$b_d"
	chmod 700 "$b_d"
	ssh-keygen -q -t ed25519 -N '' -f "$b_d/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$b_d/user_key" || return 1
	cp "$b_d/user_key.pub" "$b_d/authorized_keys"
	b_ps=$(b_free_port)
	b_pl=$(b_free_port)
	# Own host key, own authorized key, own config; no PAM, loopback.
	# aes256-gcm so the cipher matches shadowsocks-libev's.
	cat >"$b_d/sshd_config" <<EOF
ListenAddress 127.0.0.1:$b_ps
HostKey $b_d/host_key
AuthorizedKeysFile $b_d/authorized_keys
PidFile $b_d/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowTcpForwarding yes
Ciphers aes256-gcm@openssh.com
MaxStartups 100
LogLevel ERROR
EOF
	gr_spawn sshd /usr/sbin/sshd -D -e -f "$b_d/sshd_config"
	gr_wait_port "$b_ps" 10 || return 1
	gr_spawn ssh ssh -F /dev/null -N -D "127.0.0.1:$b_pl" -i "$b_d/user_key" \
	    -o BatchMode=yes -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile="$b_d/known_hosts" -o LogLevel=ERROR \
	    -o Ciphers=aes256-gcm@openssh.com -o ExitOnForwardFailure=yes \
	    -p "$b_ps" "$(id -un)@127.0.0.1"
	gr_wait_port "$b_pl" 15 || return 1
	PROXY=127.0.0.1:$b_pl
	PIDS="$(gr_pid ssh) $(descendants "$(gr_pid sshd)")"
}

# gooserelayd: one supervisor with both a carrier and an exit section.
gr_conf() {
	b_mode=$1 b_sp=$2 b_xp=$3 b_k=$4
	cat <<EOF
carrier:
  socks_host: 127.0.0.1
  socks_port: $b_sp
  tunnel_key: "$b_k"
  transport_mode: $b_mode
EOF
	case $b_mode in
	direct_stream)
		echo "  direct_stream_urls: [\"ws://127.0.0.1:$b_xp/stream\"]" ;;
	direct_post)
		echo "  relay_urls: [\"http://127.0.0.1:$b_xp/tunnel\"]" ;;
	esac
	cat <<EOF
exit:
  server_host: 127.0.0.1
  server_port: $b_xp
  tunnel_key: "$b_k"
  max_sessions: 20000
  dns_servers: ["127.0.0.1"]
EOF
}

start_gooserelayd() {
	b_name=$1 b_mode=$2
	[ -x "$GOOSERELAYD" ] || { note "$b_name: $GOOSERELAYD not built, skipped"; return 1; }
	b_sp=$(b_free_port)
	b_xp=$(b_free_port)
	gr_conf "$b_mode" "$b_sp" "$b_xp" "$(gr_key)" >"$T/$b_name.yaml"
	if ! GOOSERELAY_LIBEXEC=$GR_LIBEXEC "$GOOSERELAYD" -n -f "$T/$b_name.yaml" \
	    >"$T/$b_name.check.log" 2>&1; then
		note "$b_name: gooserelayd -n rejects the config, skipped ($(tail -n 1 "$T/$b_name.check.log"))"
		return 1
	fi
	gr_spawn "$b_name" env GOOSERELAY_LIBEXEC="$GR_LIBEXEC" \
	    "$GOOSERELAYD" -d -f "$T/$b_name.yaml"
	if ! gr_wait_port "$b_sp" 15; then
		note "$b_name: SOCKS port never opened, skipped"
		return 1
	fi
	# Prove the tunnel end to end before measuring it.
	if ! "$GRB" -s connect_first_byte -E "$P_ECHO" -S "127.0.0.1:$b_sp" \
	    -n 1 -o 10 >"$T/$b_name.probe" 2>&1 ||
	    ! grep -q '"ok":true' "$T/$b_name.probe"; then
		note "$b_name: no echo through the tunnel, skipped ($(cat "$T/$b_name.probe"))"
		return 1
	fi
	PROXY=127.0.0.1:$b_sp
	PIDS="$(gr_pid "$b_name") $(descendants "$(gr_pid "$b_name")")"
	PACE=$GR_RATE
}

start_gr_stream() { start_gooserelayd gr_stream direct_stream; }
start_gr_post() { start_gooserelayd gr_post direct_post; }

# One exit-only gooserelayd fed by X10K_K carrier-only gooserelayds over
# direct_stream: enough carriers that the storm guard's 1,024 live
# sessions per carrier still add up to X10K_N sessions in one exit.
start_gr_exit10k() {
	[ -x "$GOOSERELAYD" ] || { note "gr_exit10k: $GOOSERELAYD not built, skipped"; return 1; }
	b_xp=$(b_free_port)
	b_k=$(gr_key)
	cat >"$T/x10k_exit.yaml" <<EOF
exit:
  server_host: 127.0.0.1
  server_port: $b_xp
  tunnel_key: "$b_k"
  max_sessions: 20000
  dns_servers: ["127.0.0.1"]
EOF
	gr_spawn x10k_exit env GOOSERELAY_LIBEXEC="$GR_LIBEXEC" \
	    "$GOOSERELAYD" -d -f "$T/x10k_exit.yaml"
	gr_wait_port "$b_xp" 15 || { note "gr_exit10k: exit port never opened, skipped"; return 1; }
	b_px=""
	b_c=1
	while [ $b_c -le "$X10K_K" ]; do
		b_sp=$(b_free_port)
		cat >"$T/x10k_c$b_c.yaml" <<EOF
carrier:
  socks_host: 127.0.0.1
  socks_port: $b_sp
  tunnel_key: "$b_k"
  transport_mode: direct_stream
  direct_stream_urls: ["ws://127.0.0.1:$b_xp/stream"]
EOF
		gr_spawn "x10k_c$b_c" env GOOSERELAY_LIBEXEC="$GR_LIBEXEC" \
		    "$GOOSERELAYD" -d -f "$T/x10k_c$b_c.yaml"
		gr_wait_port "$b_sp" 15 || { note "gr_exit10k: carrier $b_c did not start, skipped"; return 1; }
		b_px="$b_px 127.0.0.1:$b_sp"
		b_c=$((b_c + 1))
	done
	# Measure the exit worker alone: the design target is per worker.
	PIDS=""
	for b_x in $(descendants "$(gr_pid x10k_exit)"); do
		[ "$(cat /proc/"$b_x"/comm 2>/dev/null)" = gooserelay-exit ] &&
		    PIDS="$PIDS $b_x"
	done
	[ -n "$PIDS" ] || { note "gr_exit10k: no gooserelay-exit process found, skipped"; return 1; }
	PROXY=${b_px# }
	PACE=$((GR_RATE * X10K_K))
}

# apps_script: carrier -> TLS to the Google emulator on a loopback
# address of its own (port 443: root), which runs the project's Code.gs
# and forwards to the exit's /tunnel.  Helpers from regress/lib-fronted.sh.
start_gr_apps() {
	if [ ! -f "$top_srcdir/regress/emu/google-emu.js" ] ||
	    [ ! -f "$top_srcdir/regress/lib-fronted.sh" ]; then
		note "gr_apps: regress/emu/google-emu.js not in the tree yet, skipped"
		return 1
	fi
	[ -x "$GOOSERELAYD" ] || { note "gr_apps: $GOOSERELAYD not built, skipped"; return 1; }
	command -v node >/dev/null || { note "gr_apps: node not installed, skipped"; return 1; }
	[ "$(id -u)" = 0 ] || { note "gr_apps: the emulator needs port 443 (root), skipped"; return 1; }
	# shellcheck source=../regress/lib-fronted.sh
	. "$top_srcdir/regress/lib-fronted.sh"
	gr_test_ca "$T/ca"
	b_a=$(gr_emu_addr)
	b_id=$(gr_deployment_id bench)
	b_sp=$(b_free_port)
	b_xp=$(b_free_port)
	b_k=$(gr_key)
	cat >"$T/emu.json" <<EOF
{ "address": "$b_a", "port": 443, "cert": "$T/ca/google.pem",
  "key": "$T/ca/google.key", "code": "$GR_CODEGS", "state_dir": "$T",
  "deployments": {
    "$b_id": { "relay_urls": ["http://127.0.0.1:$b_xp/tunnel"] } } }
EOF
	gr_emu emu "$b_a" "$T/emu.json"
	cat >"$T/gr_apps.yaml" <<EOF
carrier:
  socks_host: 127.0.0.1
  socks_port: $b_sp
  tunnel_key: "$b_k"
  transport_mode: apps_script
  script_keys: ["$b_id"]
  google_host: "$b_a"
  sni: [www.google.com]
  ca_file: "$T/ca/ca.pem"
exit:
  server_host: 127.0.0.1
  server_port: $b_xp
  tunnel_key: "$b_k"
  max_sessions: 20000
  dns_servers: ["127.0.0.1"]
EOF
	gr_spawn gr_apps env GOOSERELAY_LIBEXEC="$GR_LIBEXEC" \
	    "$GOOSERELAYD" -d -f "$T/gr_apps.yaml"
	gr_wait_port "$b_sp" 15 || { note "gr_apps: SOCKS port never opened, skipped"; return 1; }
	if ! "$GRB" -s connect_first_byte -E "$P_ECHO" -S "127.0.0.1:$b_sp" \
	    -n 1 -o 20 >"$T/gr_apps.probe" 2>&1 ||
	    ! grep -q '"ok":true' "$T/gr_apps.probe"; then
		note "gr_apps: no echo through the emulator, skipped ($(cat "$T/gr_apps.probe"))"
		return 1
	fi
	PROXY=127.0.0.1:$b_sp
	PIDS="$(gr_pid gr_apps) $(descendants "$(gr_pid gr_apps)")"
	PACE=$GR_RATE
}

# ---- scenarios

# grb PEER RUN SCENARIO ARGS...: one grbench result, tagged, into RAW.
grb() {
	b_peer=$1 b_run=$2; shift 2
	b_pp=""
	for b_x in $PIDS; do b_pp="$b_pp -p $b_x"; done
	for b_x in $PROXY; do
		set -- "$@" -S "$b_x"
	done
	# shellcheck disable=SC2086
	b_line=$("$GRB" -L "$b_peer" -E "$P_ECHO" -U "$P_UP" -D "$P_SRC" $b_pp "$@" 2>>"$T/grbench.err")
	[ -n "$b_line" ] || b_line="{\"scenario\":\"$2\",\"ok\":false,\"error\":\"no output\"}"
	printf '{"peer":"%s","run":%d,"r":%s}\n' "$b_peer" "$b_run" "$b_line" >>"$RAW"
}

# 10 concurrent curl fetches of a 1 MiB file through the proxy from
# nginx, each checked by sha256; the wall time of the slowest.
curl10() {
	b_peer=$1 b_run=$2
	b_t0=$(date +%s%N)
	b_i=0
	b_cp=""
	while [ $b_i -lt 10 ]; do
		if [ -n "$PROXY" ]; then
			curl -sS --max-time 60 --socks5-hostname "$PROXY" \
			    -o "$T/curl.$b_i" "http://127.0.0.1:$P_NGINX/f1m" &
		else
			curl -sS --max-time 60 -o "$T/curl.$b_i" \
			    "http://127.0.0.1:$P_NGINX/f1m" &
		fi
		b_cp="$b_cp $!"
		b_i=$((b_i + 1))
	done
	b_bad=0
	for b_p in $b_cp; do
		wait "$b_p" || b_bad=$((b_bad + 1))
	done
	b_t1=$(date +%s%N)
	b_i=0
	while [ $b_i -lt 10 ]; do
		[ "$(gr_sha "$T/curl.$b_i" 2>/dev/null)" = "$CURL_SHA" ] || b_bad=$((b_bad + 1))
		rm -f "$T/curl.$b_i"
		b_i=$((b_i + 1))
	done
	b_ok=true
	[ $b_bad = 0 ] || b_ok=false
	printf '{"peer":"%s","run":%d,"r":{"scenario":"curl_10x1MiB","label":"%s","wall_ms":%.1f,"failed":%d,"ok":%s}}\n' \
	    "$b_peer" "$b_run" "$b_peer" "$(awk "BEGIN { print ($b_t1 - $b_t0) / 1000000 }")" "$b_bad" "$b_ok" >>"$RAW"
}

run_repeated() {
	b_peer=$1 b_run=$2
	grb "$b_peer" "$b_run" -s echo_rtt -n "$ECHO_N" -T 60
	grb "$b_peer" "$b_run" -s connect_first_byte -n "$CFB_N" -T 60 -r "$PACE"
	grb "$b_peer" "$b_run" -s bulk_down -b "$BULK" -T "$XFER_T"
	grb "$b_peer" "$b_run" -s bulk_up -b "$BULK" -T "$XFER_T"
	grb "$b_peer" "$b_run" -s parallel_down -c 8 -b "$PAR_EACH" -T "$XFER_T"
	if [ "$PACE" -gt 0 ]; then
		grb "$b_peer" "$b_run" -s sessions_per_sec -c 4 -T "$CHURN_T" \
		    -N "$GR_GUARD_NOTE"
		guard_refill
	else
		grb "$b_peer" "$b_run" -s sessions_per_sec -c 4 -T "$CHURN_T"
	fi
	grb "$b_peer" "$b_run" -s hol -n "$HOL_N" -T "$HOL_T" -r "$PACE"
	curl10 "$b_peer" "$b_run"
}

run_idle() {
	b_peer=$1
	case $b_peer in
	gr_exit10k)
		grb "$b_peer" 0 -s idle_rss -n "$X10K_N" -w 2 -T "$RSS_T" \
		    -r "$PACE"
		return ;;
	gr_*)
		b_rn=$GR_RSS_N ;;
	*)
		b_rn=$RSS_N ;;
	esac
	grb "$b_peer" 0 -s idle_cpu -n "$IDLE_CPU_N" -w "$IDLE_W" -T 30 \
	    -r "$PACE"
	grb "$b_peer" 0 -s idle_rss -n "$b_rn" -w 1 -T "$RSS_T" -r "$PACE"
}

# Start every peer once; remember which ones came up.
LIVE=""
OLDIFS=$IFS
IFS=,
for peer in $PEERS; do
	IFS=$OLDIFS
	PACE=0
	if command -v "start_$peer" >/dev/null 2>&1 && "start_$peer"; then
		LIVE="$LIVE $peer"
		eval "PROXY_$peer=\"\$PROXY\" PIDS_$peer=\"\$PIDS\" PACE_$peer=\$PACE"
		gr_log "peer $peer up: proxy=${PROXY:-none} pids=${PIDS:-none}"
	else
		command -v "start_$peer" >/dev/null 2>&1 || note "$peer: unknown peer"
		gr_log "peer $peer not measured"
	fi
	IFS=,
done
IFS=$OLDIFS
[ -n "$LIVE" ] || gr_fail "no peer started"

use_peer() {
	eval "PROXY=\$PROXY_$1 PIDS=\$PIDS_$1 PACE=\$PACE_$1"
}

# Idle scenarios first, on processes that have not yet moved bulk data.
for peer in $LIVE; do
	use_peer "$peer"
	gr_log "idle: $peer"
	run_idle "$peer"
done
# Repeated runs, peers interleaved so drift on a shared machine spreads.
r=1
while [ $r -le "$RUNS" ]; do
	for peer in $LIVE; do
		[ "$peer" = gr_exit10k ] && continue
		use_peer "$peer"
		gr_log "run $r/$RUNS: $peer"
		run_repeated "$peer" "$r"
	done
	r=$((r + 1))
done

{
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "kernel=$(uname -sr)"
	echo "nofile=$NOFILE"
	echo "runs=$RUNS quick=$QUICK"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "ss=$(ss-server -h 2>&1 | sed -n 's/^shadowsocks-libev //p' | head -n 1)"
	echo "ssh=$(ssh -V 2>&1)"
} >"$OUT/machine.txt"

"$PY" "$top_srcdir/bench/summarize.py" --out "$OUT" "$RAW" ||
    gr_fail "summarize failed"
gr_log "results in $OUT (summary.md, summary.json, raw.jsonl)"
if [ "$QUICK" = 1 ]; then
	cat "$OUT/summary.md" >&2
fi
exit 0
