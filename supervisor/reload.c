/*
 * Reload as a two-phase commit (relayd, OpenSMTPD).  SIGHUP, gooserelayctl
 * reload and the resolver's retry timer all come here:
 *
 *  1. Parse the file into a pending configuration, resolve its names,
 *     read its CA bundle and open any new listening socket, all aside.
 *     Any error: log every message, keep the committed configuration
 *     (relayd's "configuration reloading FAILED"), answer at once.
 *  2. Push it as a new generation to every running worker it concerns.
 *     Workers prepare it aside and swap only at the end (wproc.h).
 *  3. All of them acknowledged it: commit.  The pending configuration,
 *     CA bundle and listeners become the committed ones (what a worker
 *     started later gets), sockets no longer used close, roles added or
 *     removed start or drain, and whoever asked is told.
 *  4. One refused it (CONF_FAIL), did not answer in time or died: roll
 *     back.  Every worker that applied it gets the committed generation
 *     again; once all are back the pending one is dropped, its new
 *     sockets closed, and whoever asked is told which worker refused it
 *     and why.
 *
 * One transaction at a time.  A request made meanwhile is queued, and
 * all queued requests are one: it reads the file when its turn comes, so
 * the last version of the file wins.  A resolver update finding a
 * transaction under way retries later.  After shutdown began nothing is
 * started, and what is pending or queued is dropped.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "confparse.h"
#include "log.h"
#include "supervisor.h"

#define RELOAD_CA_MAX	(4 * 1024 * 1024)

struct reload_txn {
	struct gr_conf		*rt_conf;
	char			*rt_ca;
	size_t			 rt_calen;
	struct listener		 rt_ln[2];
	uint32_t		 rt_gen;
	int			 rt_file;	/* not from resolve.c */
	int			 rt_failed;	/* rolling back */
	char			 rt_why[MSG_REASON_MAX + 64];
	struct reload_waiter	*rt_waiters;
};

static struct reload_txn	*reload_cur;
static int			 reload_queued;
static struct reload_waiter	*reload_qwaiters;
static uint32_t			 reload_lastgen;

static void	reload_next(void);

static void
reload_msg(int is_error, const char *msg, void *arg)
{
	int	*nerr = arg;

	if (is_error) {
		log_warnx("%s", msg);
		(*nerr)++;
	} else
		log_info("%s", msg);
}

static void
reload_waiter_add(struct reload_waiter **list, struct reload_waiter *rw)
{
	struct reload_waiter	**pp;

	if (rw == NULL)
		return;
	for (pp = list; *pp != NULL; pp = &(*pp)->rw_next)
		;
	rw->rw_next = NULL;
	rw->rw_linked = 1;
	*pp = rw;
}

static void
reload_notify(struct reload_waiter *list, int ok, const char *msg)
{
	struct reload_waiter	*rw;

	while ((rw = list) != NULL) {
		list = rw->rw_next;
		rw->rw_next = NULL;
		rw->rw_linked = 0;
		rw->rw_cb(ok, msg, rw->rw_arg);
	}
}

void
reload_cancel(struct reload_waiter *rw)
{
	struct reload_waiter	**pp, **lists[2];
	int			  i;

	if (rw == NULL || !rw->rw_linked)
		return;
	lists[0] = reload_cur != NULL ? &reload_cur->rt_waiters : NULL;
	lists[1] = &reload_qwaiters;
	for (i = 0; i < 2; i++) {
		if (lists[i] == NULL)
			continue;
		for (pp = lists[i]; *pp != NULL; pp = &(*pp)->rw_next)
			if (*pp == rw) {
				*pp = rw->rw_next;
				rw->rw_next = NULL;
				rw->rw_linked = 0;
				return;
			}
	}
}

int
reload_busy(void)
{
	return reload_cur != NULL;
}

int
reload_read_ca(const struct gr_conf *conf, char **buf, size_t *len,
    char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	if (!conf->gc_has_carrier || conf->gc_ca_file[0] == '\0')
		return 0;
	if (files_read(conf->gc_ca_file, RELOAD_CA_MAX, buf, len) == -1) {
		snprintf(err, errlen, "ca_file %s: %s", conf->gc_ca_file,
		    errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
		return -1;
	}
	return 0;
}

static void
reload_txn_free(struct reload_txn *t)
{
	if (t->rt_conf != NULL) {
		explicit_bzero(t->rt_conf, sizeof(*t->rt_conf));
		free(t->rt_conf);
	}
	free(t->rt_ca);
	free(t);
}

/* Every worker leaves the transaction (commit, rollback, abort). */
static void
reload_release_workers(void)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++)
		workers[i].w_txn = 0;
}

static void
reload_commit(struct reload_txn *t)
{
	struct reload_waiter	*ws = t->rt_waiters;
	char			 msg[64];

	reload_release_workers();
	listen_commit(t->rt_ln);
	explicit_bzero(sv_conf, sizeof(*sv_conf));
	free(sv_conf);
	free(sv_ca);
	sv_conf = t->rt_conf;
	sv_ca = t->rt_ca;
	sv_calen = t->rt_calen;
	sv_gen = t->rt_gen;
	t->rt_conf = NULL;
	t->rt_ca = NULL;
	reload_cur = NULL;
	log_info("configuration generation %u loaded", sv_gen);
	worker_configure_roles(sv_conf);
	worker_sync();
	if (t->rt_file)
		resolve_schedule();
	reload_txn_free(t);
	notify_reloaded();
	snprintf(msg, sizeof(msg), "reloaded: generation %u", sv_gen);
	reload_notify(ws, 1, msg);
	reload_next();
}

/* Every worker is back on the committed generation: drop the pending. */
static void
reload_finish_failed(struct reload_txn *t)
{
	struct reload_waiter	*ws = t->rt_waiters;
	char			 msg[sizeof(t->rt_why) + 128];

	reload_release_workers();
	listen_discard(t->rt_ln);
	reload_cur = NULL;
	snprintf(msg, sizeof(msg), "generation %u refused by %s; every "
	    "worker is on generation %u", t->rt_gen, t->rt_why, sv_gen);
	log_warnx("configuration reloading FAILED: %s", msg);
	reload_txn_free(t);
	notify_reloaded();
	reload_notify(ws, 0, msg);
	reload_next();
}

static void
reload_check(void)
{
	struct reload_txn	*t = reload_cur;
	int			 i, all = 1;

	if (t == NULL)
		return;
	for (i = 0; i < WORKER_NROLES; i++) {
		if (!workers[i].w_txn)
			continue;
		if (t->rt_failed || workers[i].w_state != SS_RUNNING ||
		    workers[i].w_gen != t->rt_gen)
			all = 0;
	}
	if (!all)
		return;
	if (t->rt_failed)
		reload_finish_failed(t);
	else
		reload_commit(t);
}

/* Back to the committed generation: a push like any other. */
static void
reload_rollback_one(struct worker *w)
{
	struct sv_generation	 g;

	worker_committed(&g);
	log_info("%s: back to configuration generation %u", worker_name(w),
	    sv_gen);
	worker_reload_push(w, &g);
}

static void
reload_fail(struct reload_txn *t, const char *fmt, ...)
    __attribute__((__format__ (printf, 2, 3)));

static void
reload_fail(struct reload_txn *t, const char *fmt, ...)
{
	struct worker	*w;
	va_list		 ap;
	int		 i;

	if (t->rt_failed)
		return;
	t->rt_failed = 1;
	va_start(ap, fmt);
	vsnprintf(t->rt_why, sizeof(t->rt_why), fmt, ap);
	va_end(ap);
	log_warnx("configuration generation %u refused by %s: rolling back "
	    "to generation %u", t->rt_gen, t->rt_why, sv_gen);
	/* Those still applying it are rolled back when they answer. */
	for (i = 0; i < WORKER_NROLES; i++) {
		w = &workers[i];
		if (w->w_txn && w->w_state == SS_RUNNING &&
		    w->w_gen == t->rt_gen)
			reload_rollback_one(w);
	}
}

void
reload_ack(struct worker *w, uint32_t gen)
{
	struct reload_txn	*t = reload_cur;

	if (t == NULL) {
		w->w_txn = 0;
		return;
	}
	if (gen == t->rt_gen && t->rt_failed) {
		/* Applied after another refused it. */
		reload_rollback_one(w);
		return;
	}
	if (gen != t->rt_gen)
		w->w_txn = 0;	/* back on the committed generation */
	reload_check();
}

void
reload_nak(struct worker *w, uint32_t gen, const char *reason)
{
	struct reload_txn	*t = reload_cur;

	w->w_txn = 0;
	if (t != NULL && gen == t->rt_gen) {
		/* It stays on the committed generation. */
		reload_fail(t, "%s: %s", worker_name(w), reason);
		reload_check();
		return;
	}
	/* It refused the committed generation while rolling back. */
	log_warnx("%s: refused configuration generation %u (%s) while "
	    "rolling back", worker_name(w), gen, reason);
	worker_kill(w, "not on the committed configuration");
	reload_check();
}

void
reload_lost(struct worker *w, const char *why)
{
	struct reload_txn	*t = reload_cur;

	if (t == NULL)
		return;
	reload_fail(t, "%s: it died while applying it (%s)", worker_name(w),
	    why);
	reload_check();
}

/* Push t to every running worker it concerns; commit if there is none. */
static void
reload_begin(struct reload_txn *t, struct reload_waiter *ws)
{
	struct sv_generation	 g;
	struct worker		*w;
	int			 i, n = 0, wanted;

	reload_lastgen = (reload_lastgen > sv_gen ? reload_lastgen : sv_gen) +
	    1;
	t->rt_gen = reload_lastgen;
	t->rt_waiters = ws;
	reload_cur = t;
	g.g_gen = t->rt_gen;
	g.g_conf = t->rt_conf;
	g.g_ca = t->rt_ca;
	g.g_calen = t->rt_calen;
	g.g_ln = t->rt_ln;
	for (i = 0; i < WORKER_NROLES; i++) {
		w = &workers[i];
		wanted = w->w_role == PROC_CARRIER ?
		    t->rt_conf->gc_has_carrier : t->rt_conf->gc_has_exit;
		if (!wanted || !w->w_enabled || w->w_state != SS_RUNNING)
			continue;
		w->w_txn = 1;
		worker_reload_push(w, &g);
		n++;
	}
	log_info("configuration generation %u pushed to %d worker%s",
	    t->rt_gen, n, n == 1 ? "" : "s");
	reload_check();
}

/*
 * Phase 1 for the file: everything that can fail without a worker.  On
 * success the transaction is started with the waiters ws; on failure
 * err says why and nothing changed.
 */
static int
reload_begin_file(struct reload_waiter *ws, char *err, size_t errlen)
{
	struct reload_txn	*t;
	struct gr_conf		*nc;
	int			 nerr = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->rt_conf = nc = calloc(1, sizeof(*nc))) == NULL) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->rt_file = 1;
	t->rt_ln[0].ln_fd = t->rt_ln[1].ln_fd = -1;
	log_info("reloading %s", sv_opts.so_conffile);
	notify_reloading();
	if (confparse_file(sv_opts.so_conffile, nc, reload_msg, &nerr) != 0 ||
	    nerr != 0) {
		snprintf(err, errlen, "%s has errors; keeping the old "
		    "configuration", sv_opts.so_conffile);
		goto fail;
	}
	if (!nc->gc_has_carrier && !nc->gc_has_exit) {
		snprintf(err, errlen, "%s has neither carrier nor exit; "
		    "keeping the old configuration", sv_opts.so_conffile);
		goto fail;
	}
	/* Workers run as the user and in the directory they started with. */
	if (strcmp(nc->gc_user, sv_conf->gc_user) != 0) {
		log_warnx("reload: user changed; restart gooserelayd to apply "
		    "it (keeping %s)", sv_conf->gc_user);
		memcpy(nc->gc_user, sv_conf->gc_user, sizeof(nc->gc_user));
	}
	if (strcmp(nc->gc_chroot, sv_conf->gc_chroot) != 0) {
		log_warnx("reload: chroot changed; restart gooserelayd to "
		    "apply it (keeping %s)", sv_conf->gc_chroot);
		memcpy(nc->gc_chroot, sv_conf->gc_chroot,
		    sizeof(nc->gc_chroot));
	}
	if (syscheck_conf(nc, reload_msg, &nerr) != 0) {
		snprintf(err, errlen, "%s does not fit this host; keeping the "
		    "old configuration", sv_opts.so_conffile);
		goto fail;
	}
	/* An unresolved name is skipped, or keeps its last addresses. */
	if (resolve_conf(nc, 0) > 0)
		resolve_inherit(nc, sv_conf);
	if (reload_read_ca(nc, &t->rt_ca, &t->rt_calen, err, errlen) == -1)
		goto fail;
	if (listen_prepare(nc, t->rt_ln, listeners, err, errlen) == -1)
		goto fail;
	reload_begin(t, ws);
	return 0;
 fail:
	log_warnx("configuration reloading FAILED: %s", err);
	reload_txn_free(t);
	notify_reloaded();	/* still serving the committed one */
	return -1;
}

static void
reload_next(void)
{
	struct reload_waiter	*ws;
	char			 err[256];

	if (!reload_queued || reload_cur != NULL || sv_shutting_down)
		return;
	reload_queued = 0;
	ws = reload_qwaiters;
	reload_qwaiters = NULL;
	if (reload_begin_file(ws, err, sizeof(err)) == -1)
		reload_notify(ws, 0, err);
}

int
reload_request(struct reload_waiter *rw, char *err, size_t errlen)
{
	if (sv_shutting_down) {
		snprintf(err, errlen, "gooserelayd is shutting down");
		log_warnx("reload refused: %s", err);
		return -1;
	}
	if (sv_conf->gc_demo || sv_opts.so_conffile == NULL) {
		snprintf(err, errlen, "demo mode has no file to reload");
		log_warnx("reload: %s", err);
		return -1;
	}
	if (rw != NULL)
		rw->rw_next = NULL;
	if (reload_cur != NULL) {
		if (!reload_queued)
			log_info("reload requested while generation %u is "
			    "being pushed: queued", reload_cur->rt_gen);
		reload_queued = 1;
		reload_waiter_add(&reload_qwaiters, rw);
		return 0;
	}
	return reload_begin_file(rw, err, errlen);
}

int
reload_push_conf(struct gr_conf *nc, const char *why)
{
	struct reload_txn	*t;

	if (reload_cur != NULL || sv_shutting_down)
		return -1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	if (sv_ca != NULL) {
		if ((t->rt_ca = malloc(sv_calen + 1)) == NULL) {
			free(t);
			return -1;
		}
		memcpy(t->rt_ca, sv_ca, sv_calen + 1);
		t->rt_calen = sv_calen;
	}
	t->rt_conf = nc;
	memcpy(t->rt_ln, listeners, sizeof(t->rt_ln));
	log_info("%s", why);
	reload_begin(t, NULL);
	return 0;
}

void
reload_abort(const char *why)
{
	struct reload_txn	*t = reload_cur;
	struct reload_waiter	*ws;
	char			 msg[128];

	snprintf(msg, sizeof(msg), "reload aborted: %s", why);
	if (t != NULL) {
		log_info("configuration generation %u dropped: %s",
		    t->rt_gen, why);
		reload_release_workers();
		listen_discard(t->rt_ln);
		reload_cur = NULL;
		ws = t->rt_waiters;
		reload_txn_free(t);
		reload_notify(ws, 0, msg);
	}
	reload_queued = 0;
	ws = reload_qwaiters;
	reload_qwaiters = NULL;
	reload_notify(ws, 0, msg);
}
