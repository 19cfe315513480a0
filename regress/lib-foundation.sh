# Helpers for the supervisor's end-to-end cases (daemon_*.sh).  Source
# after lib.sh.  Workers: the stand-in regress/fakeworker (real wproc
# protocol and sandbox, fixed HTTP answer) linked into $T/libexec under
# the worker names, or the real workers with GR_FD_WORKERS=real.

# Root cases need the service user and the empty chroot directory.
gr_fd_need_user() {
	gr_need_root
	id gooserelay >/dev/null 2>&1 ||
	    useradd --system --no-create-home --shell /usr/sbin/nologin \
	    gooserelay 2>/dev/null || id gooserelay >/dev/null 2>&1 ||
	    gr_fail "cannot create the service user gooserelay"
	mkdir -p /var/empty && chmod 755 /var/empty
}

gr_fd_libexec() {
	FD_LIBEXEC=$T/libexec
	mkdir -p "$FD_LIBEXEC"
	case "${GR_FD_WORKERS:-fake}" in
	real)
		ln -sf "$top_builddir/gooserelay-exit" "$FD_LIBEXEC/gooserelay-exit"
		ln -sf "$top_builddir/gooserelay-carrier" "$FD_LIBEXEC/gooserelay-carrier" ;;
	*)
		[ -x "$top_builddir/regress/fakeworker" ] ||
		    gr_fail "regress/fakeworker not built (make check builds it)"
		ln -sf "$top_builddir/regress/fakeworker" "$FD_LIBEXEC/gooserelay-exit"
		ln -sf "$top_builddir/regress/fakeworker" "$FD_LIBEXEC/gooserelay-carrier" ;;
	esac
}

# gr_fd_exit_conf FILE PORT: an exit-only config (GooseRelayVPN's
# server_config.json layout, one key per line).
gr_fd_exit_conf() {
	cat >"$1" <<EOT
{
  "server_host": "127.0.0.1",
  "server_port": $2,
  "tunnel_key": "$FD_KEY"
}
EOT
}

# gr_fd_start NAME [gooserelayd args]: start in the foreground, wait for
# every configured worker to be ready.
gr_fd_start() {
	_name=$1; shift
	FD_CTL=$T/ctl.sock
	gr_spawn "$_name" env GOOSERELAY_TEST_STABLE="${GR_FD_STABLE:-30}" \
	    "$GOOSERELAYD" -d -v -s "$FD_CTL" -X "$FD_LIBEXEC" "$@"
	FD_LOG=$T/$_name.log
	FD_PID=$(gr_pid "$_name")
}

gr_fd_ctl() {
	"$GOOSERELAYCTL" -s "$FD_CTL" "$@"
}

# gr_fd_field ROLE FIELD: a field of ROLE's line in gooserelayctl status.
gr_fd_field() {
	gr_fd_ctl status | awk -v r="$1" -v f="$2" '$1 == r {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'
}

# gr_fd_wait_state ROLE STATE [SECONDS]
gr_fd_wait_state() {
	_i=0; _max=$((${3:-10} * 20))
	while [ $_i -lt $_max ]; do
		[ "$(gr_fd_field "$1" state 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout waiting for $1 to be $2 (now: $(gr_fd_ctl status 2>&1 | tr '\n' ' '))"
	return 1
}

# gr_fd_count FILE REGEX: number of matching lines.
gr_fd_count() {
	grep -Ec -- "$2" "$1" 2>/dev/null || true
}

# gr_fd_wait_count FILE REGEX N [SECONDS]: until at least N lines match.
gr_fd_wait_count() {
	_i=0; _max=$((${4:-10} * 20))
	while [ $_i -lt $_max ]; do
		[ "$(gr_fd_count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout waiting for $3 x /$2/ in $1"
	return 1
}

# gr_fd_gone PID [SECONDS]: wait until a process no longer exists.
gr_fd_gone() {
	_i=0; _max=$((${2:-10} * 20))
	while [ $_i -lt $_max ]; do
		kill -0 "$1" 2>/dev/null || return 0
		# A zombie child of ours counts as gone.
		[ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = Z ] && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	return 1
}

gr_fd_http() {
	curl -sS --max-time "${2:-10}" "http://127.0.0.1:$1/healthz"
}

FD_KEY=$(gr_key)
