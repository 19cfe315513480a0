# Helpers for the hostile-input cases (regress/cases/hostile_*.sh, issue
# 18).  Source after lib.sh (and lib-exit.sh or lib-carrier.sh).  The
# workers run sandboxed as in production: these cases need root, or the
# workers would run without chroot and the faults would differ.

SOCKFUZZ="$top_builddir/regress/tools/sockfuzz"

# gh_alive ROLE: the ROLE worker was started once and never died (no
# "killed by signal", no exit, no respawn) in this case.
gh_alive() {
	_gl="$T/gooserelayd.log"
	if grep -Eq "$1: pid [0-9]+ (killed|exited)" "$_gl"; then
		gr_fail "the $1 worker died: $(grep -E "$1: pid [0-9]+ \
(killed|exited)" "$_gl" | head -3)"
	fi
	_gn=$(grep -c "$1: started pid" "$_gl")
	[ "$_gn" = 1 ] || gr_fail "the $1 worker was started $_gn times"
}

# gh_pid ROLE: the pid of the ROLE worker, from the supervisor's log.
gh_pid() {
	sed -n "s/^$1: started pid \([0-9]*\) .*/\1/p" "$T/gooserelayd.log" |
	    tail -1
}

# gh_lines REGEX: how many lines of the daemon's log match.
gh_lines() {
	grep -Ec -- "$1" "$T/gooserelayd.log" || true
}

# gh_loris PORT: slowloris from 40 source addresses (127.0.0.2-41): 64
# POSTs trickling a byte a second and 32 upgrades that never say hello,
# each renewed when closed; waits for its second report (after 6 s),
# when every slot an unprotected exit has is taken.
gh_loris() {
	gr_spawn loris "$SOCKFUZZ" loris "$1" -a 2-41 -p 64 -w 32 -t 600
	_gi=0
	while [ "$(grep -c '^loris: ' "$T/loris.log")" -lt 2 ]; do
		[ $_gi -lt 300 ] ||
		    gr_fail "loris did not start: $(tail -3 "$T/loris.log")"
		sleep 0.1; _gi=$((_gi + 1))
	done
	gr_log "$(tail -1 "$T/loris.log")"
}
