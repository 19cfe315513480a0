#!/bin/bash
# Issue 15: Type=notify.  With NOTIFY_SOCKET pointing at a datagram
# socket of ours (regress/tools/notifysock.py stands in for systemd),
# the supervisor says READY=1 once both workers are ready, RELOADING=1
# (with MONOTONIC_USEC) then READY=1 around a SIGHUP reload, also one the
# file's errors refuse, STATUS= lines that follow the workers (a killed
# carrier: "carrier restarting in N s", then serving again), and
# STOPPING=1 on SIGTERM.  The workers never see NOTIFY_SOCKET.  Before
# this, nothing was sent at all.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_root
gr_need_cmd python3
if ! grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/gr_config.h"; then
	pkg-config --exists libsystemd 2>/dev/null &&
	    gr_fail "libsystemd is installed but this build lacks it:" \
	    "reconfigure (--with-systemd)"
	gr_skip "built without libsystemd (no libsystemd-dev here)"
fi
gr_setup
gc_ports
gc_conf direct_stream
N="$T/notify.log"

gr_spawn notify python3 "$top_srcdir/regress/tools/notifysock.py" \
    "$T/notify.sock"
gr_wait_log "$N" '^listening$' 10 || gr_fail "notify listener did not start"
NOTIFY_SOCKET="$T/notify.sock" gc_start
SV=$(gr_pid gooserelayd)

# line REGEX: the number of the first notify line matching after line
# $AFTER (0 if none yet).
line() {
	awk -v a="${AFTER:-0}" -v re="$1" 'NR > a && $0 ~ re { print NR; exit }' "$N"
}
# wait_line REGEX SECONDS: wait for it; sets L.
wait_line() {
	_i=0
	while [ "$_i" -lt $(($2 * 20)) ]; do
		L=$(line "$1")
		[ -n "$L" ] && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "no notify line /$1/ after line ${AFTER:-0}:"
	cat "$N" >&2
	return 1
}

wait_line '^READY=1\|STATUS=serving: carrier gen 1, exit gen 1$' 20 ||
    gr_fail "no READY=1 with both workers serving"
R1=$L
[ "$(grep -c '^READY=1' "$N")" = 1 ] || gr_fail "more than one READY=1 at start"
AFTER=0 wait_line '^STATUS=starting' 1 && [ "$L" -lt "$R1" ] ||
    gr_fail "no STATUS=starting before READY=1"
CPID=$(pgrep -P "$SV" -f gooserelay-carrier | head -1)
[ -n "$CPID" ] || gr_fail "no carrier worker"
tr '\0' '\n' <"/proc/$CPID/environ" | grep -q '^NOTIFY_SOCKET=' &&
    gr_fail "the carrier worker inherited NOTIFY_SOCKET"

# A reload: RELOADING=1 with MONOTONIC_USEC, then READY=1 on generation 2.
AFTER=$R1
kill -HUP "$SV"
wait_line '^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|STATUS=reloading: ' 10 ||
    gr_fail "no RELOADING=1 with MONOTONIC_USEC on SIGHUP"
AFTER=$L
wait_line '^READY=1\|STATUS=serving: carrier gen 2, exit gen 2$' 20 ||
    gr_fail "no READY=1 after the reload"
R2=$L

# A reload the file's errors refuse: still READY=1 (the old one serves).
cp "$T/conf.yaml" "$T/conf.good"
sed -i "s/^  server_port: .*/  server_port: 99999/" "$T/conf.yaml"
AFTER=$R2
kill -HUP "$SV"
wait_line '^RELOADING=1\|MONOTONIC_USEC=' 10 ||
    gr_fail "no RELOADING=1 for the refused reload"
AFTER=$L
wait_line '^READY=1\|STATUS=serving: carrier gen 2, exit gen 2$' 20 ||
    gr_fail "no READY=1 after the refused reload"
R3=$L
cp "$T/conf.good" "$T/conf.yaml"

# A worker dies: the status says it restarts, then that it serves again.
AFTER=$R3
kill -KILL "$CPID"
wait_line '^STATUS=degraded: carrier (restarting in [0-9]+ s|starting), exit gen 2$' 10 ||
    gr_fail "no STATUS for the restarting carrier"
AFTER=$L
wait_line '^STATUS=serving: carrier gen 2, exit gen 2$' 20 ||
    gr_fail "no STATUS=serving after the carrier came back"
R4=$L
[ "$(awk -v a="$R3" 'NR > a' "$N" | grep -c '^READY=1')" = 0 ] ||
    gr_fail "READY=1 again for a worker restart"

# SIGTERM: STOPPING=1.
AFTER=$R4
kill -TERM "$SV"
wait_line '^STOPPING=1\|STATUS=stopping$' 10 || gr_fail "no STOPPING=1"
i=0
while kill -0 "$SV" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -0 "$SV" 2>/dev/null && gr_fail "gooserelayd did not exit"
gr_log "notify messages: $(wc -l <"$N")"
gr_log "ok"
