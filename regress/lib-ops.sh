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
# NAME of worker ROLE in the stats JSON array in FILE (under "counters",
# then "gauges" or, for workers that answer with flat JSON, at the top
# level), "-" if
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
        for src in (w.get("counters") or {}, w.get("gauges") or {}, w):
            for n in names.split(","):
                if v == "-" and isinstance(src.get(n), int):
                    v = str(src[n])
    out.append(v)
print(" ".join(out))
PY
}

# go_ep FILE KIND NAME FIELD: FIELD of the carrier's endpoint row of that
# kind ("script", "relay", "stream") and stats name in the stats JSON
# array in FILE; "-" if there is no such row.
go_ep() {
	python3 - "$@" <<'PY'
import json, sys
f, kind, name, field = sys.argv[1:5]
v = "-"
for w in json.load(open(f)):
    if w.get("role") != "carrier":
        continue
    for e in w.get("endpoints") or []:
        if e.get("kind") == kind and e.get("name") == name:
            x = e.get(field)
            v = str(x).lower() if isinstance(x, bool) else str(x)
print(v)
PY
}

# go_hup GEN: SIGHUP to gooserelayd; wait until the carrier applied
# configuration generation GEN.
go_hup() {
	kill -HUP "$(gr_pid gooserelayd)"
	gr_wait_log "$T/gooserelayd.log" \
	    "carrier: configuration generation $1 applied" 15 ||
	    gr_fail "generation $1 not applied"
}

# go_slowsrc PORT ROOT: regress/tools/slowsrc.py as the target: a
# "?rate=N" download is sent at N bytes/s at the source (so the tunnel
# really carries it, instead of it sitting in buffers on the way) until
# go_bg_release, then at full speed.
go_slowsrc() {
	rm -f "$T/release"
	gr_spawn slowsrc python3 "$top_srcdir/regress/tools/slowsrc.py" \
	    "$1" "$2" "$T/release"
	gr_wait_port "$1" 10 || gr_fail "slowsrc did not start"
}

# go_bg_release: let the background download finish at full speed.
go_bg_release() {
	: >"$T/release"
}

# go_bg_fetch NAME RATE: start a download of /NAME through the tunnel,
# sent by go_slowsrc at RATE bytes/s, in the background (GO_BG = curl's
# pid); returns once a first MiB has arrived.
go_bg_fetch() {
	rm -f "$T/$1.bg" "$T/release"
	curl -sS --max-time "${GR_CURL_TIMEOUT:-180}" \
	    --socks5-hostname "127.0.0.1:$SOCKS" -o "$T/$1.bg" \
	    "http://127.0.0.1:$WEBP/$1?rate=$2" 2>"$T/$1.bg.err" &
	GO_BG=$!
	GR_PIDS="$GR_PIDS $GO_BG"
	_i=0
	while [ "$(stat -c %s "$T/$1.bg" 2>/dev/null || echo 0)" -lt 1048576 ]; do
		_i=$((_i + 1))
		[ $_i -le 300 ] || gr_fail "download of $1 does not start"
		kill -0 "$GO_BG" 2>/dev/null ||
		    gr_fail "download of $1 ended early: $(cat "$T/$1.bg.err")"
		sleep 0.1
	done
}

# go_bg_running: the background download is still going (so what was
# done meanwhile happened under it).
go_bg_running() {
	kill -0 "$GO_BG" 2>/dev/null
}

# go_bg_check NAME: release the background download and wait for it;
# sha256 must match.
go_bg_check() {
	go_bg_release
	wait "$GO_BG" || gr_fail "download of $1 failed: $(cat "$T/$1.bg.err")"
	[ "$(gr_sha "$T/$1.bg")" = "$(gr_sha "$DOC/$1")" ] ||
	    gr_fail "download of $1: sha256 mismatch ($(stat -c %s "$T/$1.bg") bytes)"
	rm -f "$T/$1.bg"
}
