#!/bin/bash
# auto_tune on the exit gets real queue-wait samples (docs/protocol.md 5.4):
# after traffic over /stream and POST, gooserelayctl stats --json shows a
# queue_wait histogram with one sample per session per batch written,
# and the tuner's current values (auto_tune on, the configured active
# drain window within its bounds).  Finished sessions are gone at once
# (not at the next 60 s GC): none is left active.  The tuner's steps
# themselves are covered with synthetic samples by test_autotune.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd python3

LOAD="$top_builddir/regress/tools/exitload"
EP=$(gr_free_port)
gr_spawn sink "$top_builddir/bench/sink" -e "$EP"
gr_wait_port "$EP" 10 || gr_fail "echo sink did not start"
gr_exit_start "auto_tune: true" "active_drain_window_ms: 100" \
    "auto_tune_active_drain_min_ms: 60" "auto_tune_active_drain_max_ms: 200"

gr_log "200 short sessions over /stream, one over POST"
"$LOAD" -u "$XURL" -k "$XKEY" churn -n 200 -c 50 "$EP" >"$T/churn.log" 2>&1 ||
    gr_fail "churn: $(tail -3 "$T/churn.log")"
cat "$T/churn.log"
printf 'ping\n' >"$T/req"
gr_drv -b upload "127.0.0.1:$EP" "$T/req" "$T/out" 2>"$T/drv.log" ||
    gr_fail "upload over POST: $(tail -3 "$T/drv.log")"
cmp -s "$T/req" "$T/out" || gr_fail "echo over POST differs"

"$GOOSERELAYCTL" -s "$T/ctl.sock" stats --json >"$T/stats.json" ||
    gr_fail "gooserelayctl stats --json"
gr_log "stats: $(head -c 1500 "$T/stats.json")"
python3 - "$T/stats.json" <<'PY' || gr_fail "stats do not show the samples"
import json, sys
ws = json.load(open(sys.argv[1]))
ex = [w for w in ws if w.get("role", w.get("worker", "")).startswith("exit")]
assert ex, "no exit worker in %r" % ws
e = ex[0]
def find(d, key):
    if isinstance(d, dict):
        if key in d:
            return d[key]
        for v in d.values():
            r = find(v, key)
            if r is not None:
                return r
    return None
qw = find(e, "queue_wait")
assert qw is not None, "no queue_wait histogram"
n = qw.get("count", qw.get("n")) if isinstance(qw, dict) else None
assert n is not None and n >= 201, "queue_wait count %r < 201" % (qw,)
assert find(e, "auto_tune") == 1, "auto_tune gauge not 1"
d = find(e, "active_drain_window_ms")
assert d is not None and 60 <= d <= 200, "active_drain_window_ms %r" % d
assert e.get("active") == 0, \
    "finished sessions still active: %r" % e.get("active")
print("queue_wait samples:", n, "active_drain_window_ms:", d)
PY
gr_exit_alive
