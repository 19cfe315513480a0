#!/bin/bash
# Issue 15: the startup pre-flight probes three deployments at once and
# reports each as a current exit, every time.  Before, the three probes
# shared the carrier's client id and probe session: the exit answered a
# probe on whichever of that client's requests it held first, so a
# pre-flight could find no version reply in its own answer and said
# "ok, but old server (no version info)" (2 of 5 starts; here at least
# one of 10 on the old code).  Each probe now has its own identity.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gf_setup
A=$(gr_deployment_id pf-a)
B=$(gr_deployment_id pf-b)
C=$(gr_deployment_id pf-c)
gr_nginx "$WEBP" "$DOC"
gr_mkfile "$DOC/f" 1
gf_emu_start "$A" "$B" "$C"
gf_conf "[\"$A\", \"$B\", \"$C\"]"

for i in $(seq 1 "${GR_PF_RUNS:-10}"); do
	gf_start "run$i"
	gr_wait_log "$T/run$i.log" 'pre-flight: [0-9]+/3 POST endpoints' 40 ||
	    gr_fail "run $i: no pre-flight summary"
	grep -q 'pre-flight: 3/3 POST endpoints healthy' "$T/run$i.log" ||
	    gr_fail "run $i: not every deployment passed the pre-flight"
	if grep -q 'old server' "$T/run$i.log"; then
		grep 'pre-flight' "$T/run$i.log" >&2
		gr_fail "run $i: a current exit was reported as an old server"
	fi
	[ "$(grep -c 'pre-flight .*: ok' "$T/run$i.log")" = 3 ] ||
	    gr_fail "run $i: not three pre-flight ok lines"
	# The tunnel works after the pre-flight.
	[ "$i" = 1 ] && { gf_fetch f || gr_fail "fetch through the tunnel"; }
	gr_stop "run$i"
done
gr_log "ok"
