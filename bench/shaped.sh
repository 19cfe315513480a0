#!/bin/bash
# bench/shaped.sh: gooserelayd and its peers over a slow, shaped link.
#
#	bench/shaped.sh [--rates 5,20,100] [--runs N] [--seconds S]
#	    [--peers a,b,...] [--base BUILDDIR] [--fair N] [--out DIR]
#
# Two network namespaces joined by a veth pair, each direction shaped
# with tbf (rate R, burst 32kbit, latency 100ms; regress/lib-shaped.sh).
# The client (bench/grbench), ss-local, ssh -D and our carrier sit on the
# near side; bench/sink (random data), ss-server, sshd, microsocks and our
# exit on the far side.  Per peer and rate:
#	bulk_down, bulk_up	one stream, what the link carries in S
#				seconds, until the far end has it: MiB/s
#	fb_down, fb_up		while one stream downloads (uploads) flat out,
#				a fresh SOCKS session + 64-byte echo every
#				20 ms ("first byte"): p50/p90/p99
# Peers: direct (grbench straight to the sink: the floor), microsocks,
# ss (shadowsocks-libev aes-256-gcm), ssh (ssh -D aes256-gcm), gr_stream
# and gr_post (gooserelayd direct_stream / direct_post: carrier near,
# exit far).  --base DIR adds gr_stream_base and gr_post_base, the same
# from another build directory (before/after in one run), or only those
# named in --peers.  Runs and
# peers are interleaved; the link is left to go idle between
# measurements.  --fair N adds fb_down and fb_up with N bulk streams at
# once: each stream's share (Jain's fairness index) and the first byte.
# Namespaces are named SH_PREFIX (default qq) + pid.
#
# On a shared machine run it under chrt -r 1 (every peer alike): the link
# is the bottleneck, but a loaded machine's scheduling delay otherwise
# doubles every first byte, shadowsocks-libev's too.
#
# Output: DIR/raw.jsonl, DIR/summary.md and DIR/summary.json
# (bench/shaped_summary.py).  DIR defaults to
# bench/results/shaped-<UTC timestamp> in the build tree.  Needs root.

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

RATES=5,20,100
RUNS=1
SECS=8
PEERS="direct,microsocks,ss,ssh,gr_stream,gr_post"
BASE=""
OUT=""
FAIR=0
while [ $# -gt 0 ]; do
	case $1 in
	--rates) RATES=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--peers) PEERS=$2; shift ;;
	--base) BASE=$(cd "$2" && pwd) || exit 2; shift ;;
	--fair) FAIR=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,32p' "$0"; exit 0 ;;
	*) echo "shaped.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
# --base adds both base peers unless some were named in --peers.
case ",$PEERS," in
*_base,*) ;;
*) [ -n "$BASE" ] && PEERS="$PEERS,gr_stream_base,gr_post_base" ;;
esac

# shellcheck source=../regress/lib.sh
. "$top_srcdir/regress/lib.sh"
# shellcheck source=../regress/lib-shaped.sh
. "$top_srcdir/regress/lib-shaped.sh"
GR_CASE=shaped
gr_setup
gr_shaped_setup
chmod 711 "$T"

SINK=$top_builddir/bench/sink
GRB=$top_builddir/bench/grbench
[ -x "$SINK" ] && [ -x "$GRB" ] || gr_fail "build first: make bench/sink bench/grbench"
[ -n "$OUT" ] || OUT=$top_builddir/bench/results/shaped-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
RAW=$OUT/raw.jsonl
: >"$RAW"
NOTES=$OUT/notes.txt
: >"$NOTES"
note() {
	gr_log "$*"
	echo "$*" >>"$NOTES"
}
NEAR=$SH_WRAP_NEAR
FAR=$SH_WRAP_FAR
FA=$SH_FAR_ADDR

# Fixed ports: the namespaces are ours alone.
P_ECHO=9101 P_UP=9102 P_SRC=9103 P_Q=9104
gr_spawn sink $FAR "$SINK" -l 0.0.0.0 -e $P_ECHO -u $P_UP -s $P_SRC -q $P_Q
gr_shaped_wait_port "$FAR" 127.0.0.1 $P_ECHO 10 || gr_fail "sink did not start"

# ---- peers: start_X sets PROXY ("" = direct) and TARGET, or returns 1.

start_direct() {
	PROXY=""
	TARGET=$FA
}

start_microsocks() {
	command -v microsocks >/dev/null || { note "microsocks: not installed"; return 1; }
	gr_spawn microsocks $FAR microsocks -i 0.0.0.0 -p 1080
	gr_shaped_wait_port "$FAR" 127.0.0.1 1080 || return 1
	PROXY=$FA:1080
}

start_ss() {
	command -v ss-server >/dev/null || { note "ss: shadowsocks-libev not installed"; return 1; }
	b_k=$(gr_key)
	# --no-delay: TCP_NODELAY, as gooserelayd sets on every socket.
	gr_spawn ss_server $FAR ss-server -s 0.0.0.0 -p 8388 -k "$b_k" \
	    -m aes-256-gcm --no-delay
	gr_shaped_wait_port "$FAR" 127.0.0.1 8388 || return 1
	gr_spawn ss_local $NEAR ss-local -s "$FA" -p 8388 -b 127.0.0.1 \
	    -l 1081 -k "$b_k" -m aes-256-gcm --no-delay
	gr_shaped_wait_port "$NEAR" 127.0.0.1 1081 || return 1
	PROXY=127.0.0.1:1081
}

start_ssh() {
	[ -x /usr/sbin/sshd ] && command -v ssh >/dev/null || { note "ssh: openssh not installed"; return 1; }
	[ -d /run/sshd ] || mkdir -p -m 755 /run/sshd || return 1
	b_d=$T/ssh
	mkdir -p "$b_d"
	chmod 700 "$b_d"
	ssh-keygen -q -t ed25519 -N '' -f "$b_d/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$b_d/user_key" || return 1
	cp "$b_d/user_key.pub" "$b_d/authorized_keys"
	cat >"$b_d/sshd_config" <<EOF
ListenAddress $FA:2222
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
	gr_spawn sshd $FAR /usr/sbin/sshd -D -e -f "$b_d/sshd_config"
	gr_shaped_wait_port "$FAR" "$FA" 2222 || return 1
	gr_spawn ssh $NEAR ssh -F /dev/null -N -D 127.0.0.1:1082 \
	    -i "$b_d/user_key" -o BatchMode=yes -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile="$b_d/known_hosts" -o LogLevel=ERROR \
	    -o Ciphers=aes256-gcm@openssh.com -o ExitOnForwardFailure=yes \
	    -p 2222 "$(id -un)@$FA"
	gr_shaped_wait_port "$NEAR" 127.0.0.1 1082 15 || return 1
	PROXY=127.0.0.1:1082
}

# gooserelayd: one exit (far) per build, one carrier (near) per transport.
XKEY=$(gr_key)
gr_exit_up() {
	b_b=$1 b_port=$2
	[ -f "$T/exit$b_port.up" ] && return 0
	cat >"$T/exit$b_port.yaml" <<EOF
exit:
  server_host: 0.0.0.0
  server_port: $b_port
  tunnel_key: "$XKEY"
  max_sessions: 20000
  dns_servers: ["127.0.0.1"]
EOF
	gr_spawn "exit$b_port" $FAR env GOOSERELAY_LIBEXEC="$b_b" \
	    "$b_b/gooserelayd" -d -f "$T/exit$b_port.yaml"
	gr_shaped_wait_port "$FAR" 127.0.0.1 "$b_port" 15 || return 1
	: >"$T/exit$b_port.up"
}

start_gr() {
	b_name=$1 b_mode=$2 b_b=$3 b_xp=$4 b_sp=$5
	[ -x "$b_b/gooserelayd" ] || { note "$b_name: $b_b/gooserelayd not built"; return 1; }
	gr_exit_up "$b_b" "$b_xp" || { note "$b_name: exit did not start"; return 1; }
	{
		cat <<EOF
carrier:
  socks_host: 127.0.0.1
  socks_port: $b_sp
  tunnel_key: "$XKEY"
  transport_mode: $b_mode
EOF
		if [ "$b_mode" = direct_stream ]; then
			echo "  direct_stream_urls: [\"ws://$FA:$b_xp/stream\"]"
		else
			echo "  relay_urls: [\"http://$FA:$b_xp/tunnel\"]"
		fi
	} >"$T/$b_name.yaml"
	gr_spawn "$b_name" $NEAR env GOOSERELAY_LIBEXEC="$b_b" \
	    "$b_b/gooserelayd" -d -f "$T/$b_name.yaml"
	gr_shaped_wait_port "$NEAR" 127.0.0.1 "$b_sp" 15 || return 1
	PROXY=127.0.0.1:$b_sp
	# Prove the tunnel end to end before measuring it.
	if ! $NEAR "$GRB" -s connect_first_byte -E $P_ECHO -S "$PROXY" \
	    -n 1 -o 20 >"$T/$b_name.probe" 2>&1 ||
	    ! grep -q '"ok":true' "$T/$b_name.probe"; then
		note "$b_name: no echo through the tunnel ($(cat "$T/$b_name.probe"))"
		return 1
	fi
}

start_gr_stream() { start_gr gr_stream direct_stream "$top_builddir" 8443 1083; }
start_gr_post() { start_gr gr_post direct_post "$top_builddir" 8443 1084; }
start_gr_stream_base() { start_gr gr_stream_base direct_stream "$BASE" 8444 1085; }
start_gr_post_base() { start_gr gr_post_base direct_post "$BASE" 8444 1086; }

# ---- measurements

# grb PEER RATE RUN ARGS...: one grbench result, tagged, into RAW.
grb() {
	b_peer=$1 b_rate=$2 b_run=$3; shift 3
	if [ -n "$PROXY" ]; then
		set -- "$@" -S "$PROXY" -t 127.0.0.1
	else
		set -- "$@" -t "$TARGET"
	fi
	b_line=$($NEAR "$GRB" -L "$b_peer" -E $P_ECHO -U $P_UP -D $P_SRC \
	    "$@" 2>>"$T/grbench.err")
	[ -n "$b_line" ] || b_line='{"ok":false,"error":"no output"}'
	printf '{"peer":"%s","rate_mbit":%s,"run":%d,"r":%s}\n' \
	    "$b_peer" "$b_rate" "$b_run" "$b_line" >>"$RAW"
	gr_shaped_idle 30 || note "$b_peer ${b_rate}mbit: link busy after $*"
}

# Bulk transfers have a size (what the link carries in SECS seconds) and
# end when the far side has it all: an upload counts at the sink's
# 1-byte receipt, not when the bytes left grbench for local buffers.
measure() {
	b_peer=$1 b_rate=$2 b_run=$3
	b_size=$((b_rate * 1000000 / 8 * SECS))
	grb "$b_peer" "$b_rate" "$b_run" -s bulk_down -b $b_size \
	    -T $((SECS * 4)) -o 20
	grb "$b_peer" "$b_rate" "$b_run" -s bulk_up -b $b_size \
	    -T $((SECS * 4)) -o 20
	grb "$b_peer" "$b_rate" "$b_run" -s fb_down -T "$SECS" -W 1 -r 50 \
	    -m 64 -o 20
	grb "$b_peer" "$b_rate" "$b_run" -s fb_up -T "$SECS" -W 1 -r 50 \
	    -m 64 -o 20
	[ "$FAIR" -gt 1 ] || return 0
	grb "$b_peer" "$b_rate" "$b_run" -s fb_down -c "$FAIR" -T "$SECS" \
	    -W 1 -r 50 -m 64 -o 20
	grb "$b_peer" "$b_rate" "$b_run" -s fb_up -c "$FAIR" -T "$SECS" \
	    -W 1 -r 50 -m 64 -o 20
}

LIVE=""
OLDIFS=$IFS
IFS=,
for peer in $PEERS; do
	IFS=$OLDIFS
	PROXY="" TARGET=""
	if command -v "start_$peer" >/dev/null 2>&1 && "start_$peer"; then
		LIVE="$LIVE $peer"
		eval "PROXY_$peer=\"\$PROXY\" TARGET_$peer=\"\$TARGET\""
		gr_log "peer $peer up: proxy=${PROXY:-none}"
	else
		command -v "start_$peer" >/dev/null 2>&1 || note "$peer: unknown peer"
		gr_log "peer $peer not measured"
	fi
	IFS=,
done
IFS=$OLDIFS
[ -n "$LIVE" ] || gr_fail "no peer started"

for rate in $(echo "$RATES" | tr , ' '); do
	gr_shaped_rate "$rate"
	r=1
	while [ $r -le "$RUNS" ]; do
		for peer in $LIVE; do
			eval "PROXY=\$PROXY_$peer TARGET=\$TARGET_$peer"
			gr_log "${rate} Mbit/s, run $r/$RUNS: $peer"
			measure "$peer" "$rate" "$r"
		done
		r=$((r + 1))
	done
done

{
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "kernel=$(uname -sr)"
	echo "cc=$($NEAR sysctl -n net.ipv4.tcp_congestion_control)"
	echo "wmem=$($NEAR sysctl -n net.ipv4.tcp_wmem)"
	echo "shaping=tbf burst 32kbit latency 100ms, each way"
	echo "rates=$RATES runs=$RUNS seconds=$SECS"
	echo "build=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null)"
	[ -n "$BASE" ] && echo "base=$BASE"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$OUT/machine.txt"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" "$top_srcdir/bench/shaped_summary.py" --out "$OUT" "$RAW" ||
    gr_fail "summary failed"
gr_log "results in $OUT (summary.md, summary.json, raw.jsonl)"
cat "$OUT/summary.md" >&2
exit 0
