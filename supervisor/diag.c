/*
 * Diagnostics bundle (diag.h).  libarchive writes the tar.gz (ustar +
 * gzip): it is the Debian library for archives, and the same library
 * reads bundles back in the unit test.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <ev.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include <zlib.h>

#include "confparse.h"
#include "diag.h"
#include "log.h"
#include "sandbox.h"

#define DIAG_REDACTED	"(redacted)"
#define DIAG_OS_RELEASE	"/etc/os-release"
#define DIAG_OS_MAX	4096
#define DIAG_MIN_CUT	8	/* shorter cut-off prefixes are kept */

/* One member of the bundle being built. */
struct diag_file {
	char	*df_buf;
	size_t	 df_len;
	FILE	*df_f;
};

static int
diag_open(struct diag_file *df)
{
	df->df_buf = NULL;
	df->df_len = 0;
	df->df_f = open_memstream(&df->df_buf, &df->df_len);
	return df->df_f == NULL ? -1 : 0;
}

static int
diag_close(struct diag_file *df)
{
	if (fclose(df->df_f) != 0) {
		free(df->df_buf);
		df->df_buf = NULL;
		return -1;
	}
	return 0;
}

/*
 * A line cut short (the log ring keeps LOG_RING_WIDTH bytes of a line)
 * may end with the first part of a secret: star it out.
 */
static void
diag_scrub_cut(char *text, const char *secret, size_t slen)
{
	char	*p, *eol, *end;
	size_t	 k;

	for (p = text; ; p = eol + 1) {
		eol = strchr(p, '\n');
		end = eol != NULL ? eol : p + strlen(p);
		for (k = slen - 1; k >= DIAG_MIN_CUT; k--)
			if ((size_t)(end - p) >= k &&
			    memcmp(end - k, secret, k) == 0) {
				memset(end - k, '*', k);
				break;
			}
		if (eol == NULL)
			break;
	}
}

/* Replace every occurrence of secret in text, in place. */
static void
diag_scrub_one(char *text, const char *secret)
{
	size_t	 slen = strlen(secret), rlen;
	char	*p = text;

	if (slen < DIAG_MIN_SECRET)
		return;
	rlen = slen >= sizeof(DIAG_REDACTED) - 1 ?
	    sizeof(DIAG_REDACTED) - 1 : slen;
	/* Search on after each replacement: it may match the secret. */
	while ((p = strstr(p, secret)) != NULL) {
		if (rlen == slen && slen < sizeof(DIAG_REDACTED) - 1)
			memset(p, '*', slen);
		else
			memcpy(p, DIAG_REDACTED, rlen);
		memmove(p + rlen, p + slen, strlen(p + slen) + 1);
		p += rlen;
	}
	diag_scrub_cut(text, secret, slen);
}

/* The user:pass part of a URL (and pass alone), scrubbed from text. */
static void
diag_scrub_url(char *text, const char *url)
{
	const char	*auth, *end, *at, *colon;
	char		 buf[CONF_URL_LEN];

	if ((auth = strstr(url, "://")) == NULL)
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at == auth)
		return;
	snprintf(buf, sizeof(buf), "%.*s", (int)(at - 1 - auth), auth);
	diag_scrub_one(text, buf);
	if ((colon = strchr(buf, ':')) != NULL) {
		diag_scrub_one(text, colon + 1);
		buf[colon - buf] = '\0';
		diag_scrub_one(text, buf);
	}
}

void
diag_scrub(const struct gr_conf *conf, char *text)
{
	const struct carrier_conf	*cc = &conf->gc_carrier;
	const struct exit_conf		*ec = &conf->gc_exit;
	static const char		 hexl[] = "0123456789abcdef";
	static const char		 hexu[] = "0123456789ABCDEF";
	char				 kl[65], ku[65];
	uint32_t			 i;
	int				 any = 0;

	for (i = 0; i < sizeof(conf->gc_key); i++) {
		kl[2 * i] = hexl[conf->gc_key[i] >> 4];
		kl[2 * i + 1] = hexl[conf->gc_key[i] & 15];
		ku[2 * i] = hexu[conf->gc_key[i] >> 4];
		ku[2 * i + 1] = hexu[conf->gc_key[i] & 15];
		any |= conf->gc_key[i];
	}
	kl[64] = ku[64] = '\0';
	if (any) {
		diag_scrub_one(text, kl);
		diag_scrub_one(text, ku);
	}
	explicit_bzero(kl, sizeof(kl));
	explicit_bzero(ku, sizeof(ku));

	diag_scrub_one(text, cc->cc_socks_pass);
	diag_scrub_one(text, cc->cc_socks_user);
	diag_scrub_one(text, ec->ec_proxy_pass);
	diag_scrub_one(text, ec->ec_proxy_user);
	for (i = 0; i < cc->cc_nscripts && i < CONF_MAX_SCRIPTS; i++)
		/* Short ids are shown shortened; only long ones leak. */
		if (strlen(cc->cc_scripts[i].cs_id) > 12)
			diag_scrub_one(text, cc->cc_scripts[i].cs_id);
	for (i = 0; i < cc->cc_nrelay && i < CONF_MAX_URLS; i++)
		diag_scrub_url(text, cc->cc_relay_urls[i]);
	for (i = 0; i < cc->cc_nstream && i < CONF_MAX_URLS; i++)
		diag_scrub_url(text, cc->cc_stream_urls[i]);
}

static void
diag_version(FILE *f)
{
	fprintf(f, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	fprintf(f, "sandbox: %s\n", sandbox_name());
#ifdef GR_USER
	fprintf(f, "user: %s\n", GR_USER);
#endif
#ifdef GR_EMPTY_DIR
	fprintf(f, "empty dir: %s\n", GR_EMPTY_DIR);
#endif
	fprintf(f, "test hooks: %s\n",
#ifdef GR_TEST_HOOKS
	    "yes"
#else
	    "no"
#endif
	    );
	fprintf(f, "sanitizers: %s\n",
#ifdef GR_SANITIZERS
	    "yes"
#else
	    "no"
#endif
	    );
#ifdef __VERSION__
	fprintf(f, "compiler: %s\n", __VERSION__);
#endif
	fprintf(f, "libexecdir: %s\nsysconfdir: %s\nrunstatedir: %s\n",
	    LIBEXECDIR, SYSCONFDIR, RUNSTATEDIR);
}

static void
diag_system(FILE *f, const char *extra)
{
	struct utsname	 u;
	char		 buf[DIAG_OS_MAX];
	size_t		 n;
	FILE		*os;

	if (uname(&u) == 0)
		fprintf(f, "uname: %s %s %s %s %s\n", u.sysname, u.nodename,
		    u.release, u.version, u.machine);
	if ((os = fopen(DIAG_OS_RELEASE, "re")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, os);
		buf[n] = '\0';
		fclose(os);
		fprintf(f, "--- %s\n%s%s---\n", DIAG_OS_RELEASE, buf,
		    n > 0 && buf[n - 1] != '\n' ? "\n" : "");
	}
	fprintf(f, "openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(f, "libarchive: %s\n", archive_version_string());
	fprintf(f, "jansson: %s\n", jansson_version_str());
	fprintf(f, "libyaml: %s\n", yaml_get_version_string());
	fprintf(f, "libev: %d.%d\n", ev_version_major(), ev_version_minor());
	fprintf(f, "zlib: %s\n", zlibVersion());
	fprintf(f, "libwebsockets: not linked by the supervisor "
	    "(see the workers' stats)\n");
	if (extra != NULL)
		fprintf(f, "%s\n", extra);
}

static void
diag_log_cb(const char *line, void *arg)
{
	FILE	*f = arg;

	fprintf(f, "%s\n", line);
}

/* Pretty-print the stats JSON when it parses, raw text otherwise. */
static void
diag_stats(FILE *f, const char *json)
{
	json_error_t	 je;
	json_t		*o;

	if (json == NULL) {
		fputs("{}\n", f);
		return;
	}
	if ((o = json_loadb(json, strnlen(json, DIAG_MAX_TEXT), 0, &je)) ==
	    NULL) {
		fprintf(f, "%.*s\n", (int)strnlen(json, DIAG_MAX_TEXT), json);
		return;
	}
	json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(o);
}

static int
diag_add(struct archive *a, const char *dir, const char *name,
    const char *buf, size_t len, time_t now, char *err, size_t errlen)
{
	struct archive_entry	*e;
	char			 path[256];
	int			 rc = 0;

	if ((e = archive_entry_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, now, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len > 0 && archive_write_data(a, buf, len) != (la_ssize_t)len)) {
		snprintf(err, errlen, "%s: %s", name, archive_error_string(a));
		rc = -1;
	}
	archive_entry_free(e);
	return rc;
}

int
diag_write_fd(int fd, const struct diag_input *in, char *err, size_t errlen)
{
	enum { D_VERSION, D_CONFIG, D_WORKERS, D_STATS, D_LOG, D_SYSTEM, D_N };
	static const char *names[D_N] = {
		"version.txt", "config.txt", "workers.txt", "stats.json",
		"log.txt", "system.txt"
	};
	struct diag_file	 df[D_N];
	struct archive		*a = NULL;
	char			 dir[64];
	time_t			 now = time(NULL);
	struct tm		 tm;
	int			 i, rc = -1;

	memset(df, 0, sizeof(df));
	for (i = 0; i < D_N; i++)
		if (diag_open(&df[i]) == -1) {
			snprintf(err, errlen, "open_memstream: %s",
			    strerror(errno));
			goto done;
		}
	diag_version(df[D_VERSION].df_f);
	if (in->di_conf != NULL)
		confparse_dump(in->di_conf, df[D_CONFIG].df_f);
	else
		fputs("(no configuration)\n", df[D_CONFIG].df_f);
	fprintf(df[D_WORKERS].df_f, "%.*s\n", in->di_workers != NULL ?
	    (int)strnlen(in->di_workers, DIAG_MAX_TEXT) : 6,
	    in->di_workers != NULL ? in->di_workers : "(none)");
	diag_stats(df[D_STATS].df_f, in->di_stats_json);
	log_ring_dump(diag_log_cb, df[D_LOG].df_f);
	diag_system(df[D_SYSTEM].df_f, in->di_extra);
	for (i = 0; i < D_N; i++) {
		if (diag_close(&df[i]) == -1) {
			snprintf(err, errlen, "%s: out of memory", names[i]);
			goto done;
		}
		df[i].df_f = NULL;
		/* Last line of defence: no secret leaves, whatever wrote it. */
		if (in->di_conf != NULL) {
			diag_scrub(in->di_conf, df[i].df_buf);
			df[i].df_len = strlen(df[i].df_buf);
		}
	}

	gmtime_r(&now, &tm);
	strftime(dir, sizeof(dir), "gooserelayd-diag-%Y%m%dT%H%M%SZ", &tm);
	if ((a = archive_write_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		snprintf(err, errlen, "archive: %s", archive_error_string(a));
		goto done;
	}
	for (i = 0; i < D_N; i++)
		if (diag_add(a, dir, names[i], df[i].df_buf, df[i].df_len,
		    now, err, errlen) == -1)
			goto done;
	if (archive_write_close(a) != ARCHIVE_OK) {
		snprintf(err, errlen, "archive: %s", archive_error_string(a));
		goto done;
	}
	rc = 0;
 done:
	if (a != NULL)
		archive_write_free(a);
	for (i = 0; i < D_N; i++) {
		if (df[i].df_f != NULL)
			diag_close(&df[i]);
		free(df[i].df_buf);
	}
	return rc;
}

int
diag_write(const char *path, const struct diag_input *in, char *err,
    size_t errlen)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (diag_write_fd(fd, in, err, errlen) == -1) {
		close(fd);
		unlink(path);
		return -1;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

const char *
diag_default_path(const char *dir, char *buf, size_t len)
{
	time_t		 now = time(NULL);
	struct tm	 tm;
	char		 ts[32];

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, len, "%s/gooserelayd-diag-%s.tar.gz", dir, ts);
	return buf;
}
