/*
 * fronted_drive: exercise the apps_script transport (fronted.c, httpc.c,
 * health.c) against the Google emulator without the rest of the carrier.
 * Used by regress/cases/fronted_transport.sh.
 *
 *   fronted_drive [-g host]... [-s sni]... [-c ca.pem] -k id[@acct]... CMD
 *   CMD: exchange N SIZE PAR   N exchanges of SIZE base64 chars, PAR at a
 *                              time, round robin over the deployments;
 *                              prints one line per class and checks that
 *                              every OK reply equals its request (echo)
 *        once                  one exchange; prints "class: detail"
 *        preflight             doGet + probe POST on every deployment
 *        sniprobe              the startup SNI probe; prints kept count
 */
#include "gr_config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "conf.h"
#include "health.h"
#include "fronted.h"

#define MAXEP	16

static struct ev_loop	*loop;
static struct cendpoint	*eps[MAXEP];
static size_t		 neps;
static int		 counts[8];
static int		 mismatch;
static size_t		 todo, inflight, par, bodylen, started;
static char		 lastdetail[1024];
static enum ep_result	 lastres;
static int		 finished;

struct job {
	char	*body;
	size_t	 len;
};

static void	drive_next(void);

static void
drive_cb(struct cendpoint *ep, enum ep_result r, int sent,
    const uint8_t *body, size_t len, int binary, const char *detail,
    void *arg)
{
	struct job	*j = arg;

	(void)sent;
	(void)binary;
	counts[r]++;
	lastres = r;
	snprintf(lastdetail, sizeof(lastdetail), "%s", detail ? detail : "");
	if (r == EP_OK && (len != j->len || memcmp(body, j->body, len) != 0))
		mismatch++;
	if (r != EP_OK)
		fprintf(stderr, "exchange via %s: %s: %s\n", ep->ep_label,
		    ep_result_str(r), detail ? detail : "");
	health_report(ep, r, 0.1, r == EP_OK, ev_now(loop), detail);
	free(j->body);
	free(j);
	inflight--;
	drive_next();
}

static void
drive_next(void)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
				    "klmnopqrstuvwxyz0123456789+/";
	struct job		*j;
	struct cendpoint	*ep;
	static uint32_t		 x = 0x9e3779b9;
	size_t			 i;

	while (started < todo && inflight < par) {
		j = malloc(sizeof(*j));
		j->len = bodylen;
		j->body = malloc(bodylen + 1);
		/* xorshift32: fast, and the content does not matter. */
		x ^= (uint32_t)arc4random();
		for (i = 0; i < bodylen; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			j->body[i] = b64[x & 63];
		}
		ep = eps[started % neps];
		started++;
		inflight++;
		if (ep->ep_ops->eo_exchange(ep, (uint8_t *)j->body, j->len, 0,
		    60, drive_cb, j) == -1) {
			fprintf(stderr, "exchange did not start\n");
			exit(1);
		}
	}
	if (started == todo && inflight == 0)
		finished = 1;
}

static void
drive_done(size_t n, void *arg)
{
	(void)arg;
	printf("result %zu\n", n);
	finished = 1;
}

/* The fake exit echoes: the probe is good if it comes back unchanged. */
static const char *
drive_check(const uint8_t *b, size_t len, void *arg)
{
	const char	*probe = arg;

	if (len != strlen(probe) || memcmp(b, probe, len) != 0)
		return ("tunnel_key mismatch: the reply does not decrypt");
	return (NULL);
}

int
main(int argc, char *argv[])
{
	struct carrier_conf	 cc;
	struct health_set	*hs;
	struct fronted		*f;
	char			 err[512], *ca = NULL, *acct, probe[200];
	size_t			 calen = 0, i;
	FILE			*fp;
	int			 ch, guard;

	signal(SIGPIPE, SIG_IGN);
	memset(&cc, 0, sizeof(cc));
	cc.cc_blacklist_base_ms = 3000;
	cc.cc_blacklist_max_ms = 3600000;
	cc.cc_outage_grace_ms = 300000;
	cc.cc_tx_slots_per_bucket = 3;
	cc.cc_idle_slots_per_bucket = 1;
	cc.cc_idle_poll_max_buckets = 2;
	cc.cc_workers_per_endpoint = 3;
	while ((ch = getopt(argc, argv, "c:g:k:s:")) != -1) {
		switch (ch) {
		case 'c':
			if ((fp = fopen(optarg, "r")) == NULL) {
				perror(optarg);
				return (1);
			}
			ca = malloc(1 << 20);
			calen = fread(ca, 1, (1 << 20) - 1, fp);
			fclose(fp);
			break;
		case 'g':
			snprintf(cc.cc_google_host[cc.cc_nghosts++],
			    CONF_HOST_LEN, "%s", optarg);
			break;
		case 's':
			snprintf(cc.cc_sni[cc.cc_nsni++], CONF_HOST_LEN, "%s",
			    optarg);
			break;
		case 'k':
			acct = strchr(optarg, '@');
			if (acct != NULL)
				*acct++ = '\0';
			snprintf(cc.cc_scripts[cc.cc_nscripts].cs_id,
			    CONF_SCRIPT_ID_LEN, "%s", optarg);
			snprintf(cc.cc_scripts[cc.cc_nscripts].cs_account,
			    CONF_ACCOUNT_LEN, "%s", acct ? acct : "");
			cc.cc_nscripts++;
			break;
		default:
			return (2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || cc.cc_nscripts == 0)
		return (2);
	loop = ev_default_loop(0);
	hs = health_set_new(&cc, 1);
	f = fronted_new(loop, &cc, (uint8_t *)ca, calen, hs, err,
	    sizeof(err));
	if (f == NULL) {
		fprintf(stderr, "fronted_new: %s\n", err);
		return (1);
	}
	for (i = 0; i < cc.cc_nscripts && i < MAXEP; i++) {
		eps[i] = fronted_endpoint_new(f, cc.cc_scripts[i].cs_id,
		    cc.cc_scripts[i].cs_account, err, sizeof(err));
		if (eps[i] == NULL) {
			fprintf(stderr, "endpoint: %s\n", err);
			return (1);
		}
		neps++;
	}
	if (strcmp(argv[0], "exchange") == 0 && argc == 4) {
		todo = strtoul(argv[1], NULL, 10);
		bodylen = strtoul(argv[2], NULL, 10);
		par = strtoul(argv[3], NULL, 10);
		drive_next();
	} else if (strcmp(argv[0], "once") == 0) {
		todo = 1;
		bodylen = 200;
		par = 1;
		drive_next();
	} else if (strcmp(argv[0], "preflight") == 0) {
		for (i = 0; i < sizeof(probe) - 1; i++)
			probe[i] = 'A' + i % 26;
		probe[i] = '\0';
		fronted_preflight(f, eps, neps, (uint8_t *)probe,
		    strlen(probe), drive_check, drive_done, probe);
	} else if (strcmp(argv[0], "sniprobe") == 0) {
		fronted_sni_probe(f, eps[0], drive_done, NULL);
	} else
		return (2);
	for (guard = 0; !finished && guard < 1000000; guard++)
		ev_run(loop, EVRUN_ONCE);
	if (strcmp(argv[0], "exchange") == 0) {
		for (i = 0; i < 8; i++)
			if (counts[i])
				printf("%s %d\n", ep_result_str(i), counts[i]);
		printf("mismatch %d\n", mismatch);
	} else if (strcmp(argv[0], "once") == 0)
		printf("%s: %s\n", ep_result_str(lastres), lastdetail);
	health_set_free(hs);
	for (i = 0; i < neps; i++)
		eps[i]->ep_ops->eo_free(eps[i]);
	fronted_free(f);
	free(ca);
	return (finished ? 0 : 1);
}
