# A shaped link between two network namespaces, for bench/shaped.sh and
# the regress cases that need a slow path (source it after lib.sh):
#
#	near (SH_NC, 10.77.0.1)  <-- veth -->  far (SH_NF, 10.77.0.2)
#
# Each direction is shaped on its sending side with tbf (this kernel has
# tbf and htb, no netem: no added propagation delay, only the queue a
# slow link builds).  Names start with SH_PREFIX (default "qq") plus the
# shell's pid, so two runs never collide; everything is deleted on exit.
# SH_WRAP_NEAR / SH_WRAP_FAR run a command in a namespace.

SH_PREFIX=${SH_PREFIX:-qq}
SH_NEAR_ADDR=10.77.0.1
SH_FAR_ADDR=10.77.0.2

# gr_shaped_setup: needs root and ip netns; skips (77) where it cannot run.
gr_shaped_setup() {
	gr_need_root
	gr_need_cmd ip tc
	ip netns list >/dev/null 2>&1 || gr_skip "ip netns unavailable"
	SH_NC="${SH_PREFIX}$$n"
	SH_NF="${SH_PREFIX}$$f"
	SH_DC="${SH_PREFIX}$$n0"
	SH_DF="${SH_PREFIX}$$f0"
	ip netns add "$SH_NC" || gr_skip "cannot create a network namespace"
	trap gr_shaped_del EXIT
	ip netns add "$SH_NF" || gr_fail "cannot create namespace $SH_NF"
	SH_WRAP_NEAR="ip netns exec $SH_NC"
	SH_WRAP_FAR="ip netns exec $SH_NF"
	ip link add "$SH_DC" netns "$SH_NC" type veth peer name "$SH_DF" \
	    netns "$SH_NF" || gr_skip "no veth pairs here"
	$SH_WRAP_NEAR ip link set lo up &&
	    $SH_WRAP_FAR ip link set lo up &&
	    $SH_WRAP_NEAR ip addr add "$SH_NEAR_ADDR/24" dev "$SH_DC" &&
	    $SH_WRAP_FAR ip addr add "$SH_FAR_ADDR/24" dev "$SH_DF" &&
	    $SH_WRAP_NEAR ip link set "$SH_DC" up &&
	    $SH_WRAP_FAR ip link set "$SH_DF" up ||
	    gr_fail "shaped link: addresses"
	export SH_NC SH_NF SH_WRAP_NEAR SH_WRAP_FAR SH_NEAR_ADDR SH_FAR_ADDR
}

# gr_shaped_rate MBIT: tbf at MBIT Mbit/s each way (0: no shaping).
gr_shaped_rate() {
	_r=$1
	if [ "$_r" = 0 ]; then
		tc -n "$SH_NC" qdisc del dev "$SH_DC" root 2>/dev/null
		tc -n "$SH_NF" qdisc del dev "$SH_DF" root 2>/dev/null
		return 0
	fi
	tc -n "$SH_NC" qdisc replace dev "$SH_DC" root tbf rate "${_r}mbit" \
	    burst 32kbit latency 100ms &&
	    tc -n "$SH_NF" qdisc replace dev "$SH_DF" root tbf \
	    rate "${_r}mbit" burst 32kbit latency 100ms ||
	    gr_fail "tc tbf ${_r}mbit (does this kernel have sch_tbf?)"
}

# Bytes sent so far on both devices (qdisc counters, or the link's).
gr_shaped_sent() {
	_a=$($SH_WRAP_NEAR cat "/sys/class/net/$SH_DC/statistics/tx_bytes")
	_b=$($SH_WRAP_FAR cat "/sys/class/net/$SH_DF/statistics/tx_bytes")
	echo $((_a + _b))
}

# gr_shaped_idle [SECONDS]: wait (bounded) until the link carries less
# than 4 KB per 0.25 s (pings and idle polls), so one measurement's
# leftover queue does not load the next.
gr_shaped_idle() {
	_s=${1:-20}
	_i=0
	_prev=$(gr_shaped_sent)
	while [ $_i -lt $((_s * 4)) ]; do
		sleep 0.25
		_now=$(gr_shaped_sent)
		[ $((_now - _prev)) -lt 4096 ] && return 0
		_prev=$_now
		_i=$((_i + 1))
	done
	gr_log "link still busy after ${_s}s"
	return 1
}

# gr_shaped_wait_port WRAP ADDR PORT [SECONDS]: a port accepts in a
# namespace (WRAP is SH_WRAP_NEAR or SH_WRAP_FAR).
gr_shaped_wait_port() {
	_w=$1; _h=$2; _port=$3; _s=${4:-10}
	_i=0
	while [ $_i -lt $((_s * 20)) ]; do
		$_w bash -c "exec 3<>/dev/tcp/$_h/$_port" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	gr_log "timeout (${_s}s) waiting for $_h:$_port"
	return 1
}

# EXIT trap: the namespaces go (they live on until gr_cleanup stops the
# processes in them), then the usual cleanup with the case's status.
gr_shaped_del() {
	_xrc=$?
	ip netns del "$SH_NC" 2>/dev/null || true
	ip netns del "$SH_NF" 2>/dev/null || true
	(exit $_xrc)
	gr_cleanup
}
