#!/bin/bash
# Issue 16: failover without a balancer.  Two exits, each in a network
# namespace of its own; a direct_stream carrier and a direct_post carrier
# list both (two direct_stream_urls / two relay_urls).  Every session of
# a carrier goes to the first exit while it lives.  Then the first exit's
# host goes silent (its link down: packets vanish, no RST, no ICMP) in
# the middle of downloads:
#  - a new session gets its first byte through the second exit within
#    FL_NEW_MAX seconds (5; on 7aa14fb: none within 20 s over the stream),
#  - the downloads that lived on the dead exit end with an error (a reset
#    from the next exit, never a hang) within FL_RST_MAX seconds,
#  - later sessions all go through the second exit, byte-exact.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fleet.sh"
gr_setup
fl_setup 40
FL_NEW_MAX=${FL_NEW_MAX:-5}
FL_RST_MAX=${FL_RST_MAX:-8}
fl_host 1
fl_host 2
fl_exit 1
fl_exit 2
gr_mkfile "$DOC/16m" 16
fl_targets
fl_exit_wait 1
fl_exit_wait 2
A1=$(fl_addr 1)
A2=$(fl_addr 2)
fl_carrier cs direct_stream \
    "[\"ws://$A1:$XPORT/stream\", \"ws://$A2:$XPORT/stream\"]"
fl_carrier cp direct_post \
    "[\"http://$A1:$XPORT/tunnel\", \"http://$A2:$XPORT/tunnel\"]"
fl_carrier_wait cs
fl_carrier_wait cp
gr_wait_log "$T/cs.log" "stream: connected to ws://$A1" 10 ||
    gr_fail "the stream did not connect to the first exit"

# Both carriers live on the first exit.
for c in cs cp; do
	eval "sp=\$SOCKS_$c"
	python3 "$FLOAD" run "$FL_T" "$ECHOP" 10 4096 4 "$sp" >"$T/$c.run1" ||
	    gr_fail "$c: sessions before the failure: $(cat "$T/$c.run1")"
	[ "$(fl_exit_of "$sp")" = 1 ] ||
	    gr_fail "$c: sessions went to exit $(fl_exit_of "$sp"), not 1"
done
[ "$(awk -v a="$A2" '$1 == a' "$T/echo.tags" | wc -l)" = 0 ] ||
    gr_fail "sessions reached the second exit while the first lived"

# Downloads in flight on the first exit.
for c in cs cp; do
	eval "sp=\$SOCKS_$c"
	curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$sp" \
	    -o "$T/$c.dl" "http://$FL_T:$SLOWP/16m?rate=1m" \
	    2>"$T/$c.dl.err" &
	eval "DL_$c=$!"
	gc_i=0
	while [ "$(stat -c %s "$T/$c.dl" 2>/dev/null || echo 0)" -lt 262144 ]
	do
		gc_i=$((gc_i + 1))
		[ $gc_i -lt 200 ] || gr_fail "$c: the download did not start"
		sleep 0.05
	done
done

gr_log "the first exit's host goes silent"
t0=$(date +%s.%N)
fl_link_down 1
for c in cs cp; do
	eval "sp=\$SOCKS_$c"
	python3 "$FLOAD" first "$sp" "$FL_T" "$ECHOP" 20 "$t0" \
	    >"$T/$c.first" &
	eval "FIRST_$c=$!"
done
for c in cs cp; do
	eval "wait \$FIRST_$c"
	f=$(cat "$T/$c.first")
	gr_log "$c: a new session's first byte after $f s"
	[ "$f" != none ] && [ "$(echo "$f <= $FL_NEW_MAX" | bc)" = 1 ] ||
	    gr_fail "$c: no new session within $FL_NEW_MAX s ($f)"
done
for c in cs cp; do
	eval "wait \$DL_$c" && gr_fail "$c: the download on the dead exit" \
	    "completed (it cannot have)"
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	gr_log "$c: download ended after $t s: $(cat "$T/$c.dl.err")"
	[ "$(echo "$t <= $FL_RST_MAX" | bc)" = 1 ] ||
	    gr_fail "$c: the download on the dead exit hung for $t s"
done

touch "$T/release"

# Everything new goes through the second exit now, byte-exact.
for c in cs cp; do
	eval "sp=\$SOCKS_$c"
	python3 "$FLOAD" run "$FL_T" "$ECHOP" 10 65536 4 "$sp" \
	    >"$T/$c.run2" ||
	    gr_fail "$c: sessions after the failover: $(cat "$T/$c.run2")"
	[ "$(fl_exit_of "$sp")" = 2 ] ||
	    gr_fail "$c: sessions went to exit $(fl_exit_of "$sp"), not 2"
	curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$sp" \
	    -o "$T/$c.dl2" "http://$FL_T:$WEBP/16m" ||
	    gr_fail "$c: download after the failover"
	[ "$(gr_sha "$T/$c.dl2")" = "$(gr_sha "$DOC/16m")" ] ||
	    gr_fail "$c: sha256 mismatch after the failover"
done
gr_log "ok"
