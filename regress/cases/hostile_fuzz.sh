#!/bin/bash
# Socket-level fuzzing of the sandboxed workers (issue 18), for
# GR_SOCKFUZZ_SECONDS (default 25): malformed and oversized HTTP requests,
# WebSocket handshakes and frames, garbage and authenticated-garbage
# batches at the exit (from 40 source addresses), malformed SOCKS5 at the
# carrier, each side 24 connections at a time, with a liveness probe
# every 2 s.  No worker may die or restart, the log stays bounded, and a
# real transfer (sha256) works at the end.  Seeds are printed; replay a
# run with GR_SOCKFUZZ_SEED=N (both fuzzers get N and N+1).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-hostile.sh"
gr_need_root
gr_need_cmd nginx curl
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/8m" 8
gr_nginx "$WEBP" "$DOC"
# Names resolve through 127.0.0.77, where nothing listens (no DNS query
# ever leaves the machine).
gc_conf direct_stream
gc_start
gc_fetch 1m || gr_fail "1 MiB before fuzzing"
xpid=$(gh_pid exit)
cpid=$(gh_pid carrier)
key=$(sed -n 's/^tunnel_key: "\(.*\)"$/\1/p' "$T/conf.yaml")

secs=${GR_SOCKFUZZ_SECONDS:-25}
seed=${GR_SOCKFUZZ_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}
[ "$seed" != 0 ] || seed=1
gr_log "fuzzing for $secs s, seed $seed (GR_SOCKFUZZ_SEED=$seed replays)"
"$SOCKFUZZ" http "$EXITP" -s "$seed" -t "$secs" -k "$key" -T "$WEBP" \
    -a 2-41 >"$T/fuzz_http.out" 2>&1 &
fh=$!
"$SOCKFUZZ" socks "$SOCKS" -s "$((seed + 1))" -t "$secs" -T "$WEBP" -r 50 \
    >"$T/fuzz_socks.out" 2>&1 &
fs=$!
GR_PIDS="$GR_PIDS $fh $fs"
rc=0
wait "$fh" || rc=1
wait "$fs" || rc=$((rc + 2))
gr_log "$(tail -1 "$T/fuzz_http.out")"
gr_log "$(tail -1 "$T/fuzz_socks.out")"
gh_alive exit
gh_alive carrier
[ $((rc & 1)) = 0 ] || gr_fail "http fuzzer: $(tail -2 "$T/fuzz_http.out")"
[ $((rc & 2)) = 0 ] || gr_fail "socks fuzzer: $(tail -2 "$T/fuzz_socks.out")"
[ "$(gh_pid exit)" = "$xpid" ] && [ "$(gh_pid carrier)" = "$cpid" ] ||
    gr_fail "a worker pid changed"

# Every line a peer can provoke is rate-limited: a few per second.
n=$(wc -l <"$T/gooserelayd.log")
gr_log "$n log lines in $secs s of fuzzing"
[ "$n" -le $((secs * 10 + 200)) ] || gr_fail "$n log lines: not bounded"

GR_CURL_TIMEOUT=60 gc_fetch 8m || gr_fail "8 MiB after fuzzing"
gh_alive exit
gh_alive carrier
