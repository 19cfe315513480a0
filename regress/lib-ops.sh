# Helpers for the operations cases (regress/cases/ops_*.sh): a whole
# tunnel in one gooserelayd (lib-carrier.sh) with its own control socket,
# so gooserelayctl stats / diag talk to this daemon only.  Source after
# lib.sh and lib-carrier.sh.

# go_start [gooserelayd args...]: run gooserelayd -d on $T/conf.yaml with
# the control socket $T/ctl.sock and wait for both workers to be ready.
go_start() {
	CTL="$T/ctl.sock"
	gr_spawn gooserelayd "$GOOSERELAYD" -d ${GC_VERBOSE:-} -s "$CTL" \
	    -f "$T/conf.yaml" "$@"
	gr_wait_log "$T/gooserelayd.log" "carrier: ready" 20 ||
	    gr_fail "carrier did not start"
	gr_wait_log "$T/gooserelayd.log" "exit: ready" 20 ||
	    gr_fail "exit did not start"
}

# go_ctl ARGS...: gooserelayctl on this daemon's control socket.
go_ctl() {
	"$GOOSERELAYCTL" -s "$CTL" "$@"
}

# go_stat FILE ROLE:NAME[,NAME...]...: for each spec, the first counter
# NAME of worker ROLE in the stats JSON array in FILE (under "counters"
# or, for workers that answer with flat JSON, at the top level), "-" if
# absent; one line, space-separated (one python3 start: it is slow).
go_stat() {
	python3 - "$@" <<'PY'
import json, sys
ws = json.load(open(sys.argv[1]))
out = []
for spec in sys.argv[2:]:
    role, names = spec.split(":")
    v = "-"
    for w in ws:
        if w.get("role") != role:
            continue
        for src in (w.get("counters") or {}, w):
            for n in names.split(","):
                if v == "-" and isinstance(src.get(n), int):
                    v = str(src[n])
    out.append(v)
print(" ".join(out))
PY
}
