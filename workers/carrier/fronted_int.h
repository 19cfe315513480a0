/*
 * Inside the apps_script transport: what fronted.c (pools, calls, the
 * endpoint, redirects) and fronted_check.c (the SNI probe and the
 * pre-flight doGet + probe POST) share.  No other file includes it.
 */
#ifndef GR_FRONTED_INT_H
#define GR_FRONTED_INT_H

#include <sys/queue.h>

#include <ev.h>

#include "conf.h"
#include "endpoint.h"

struct health_set;
struct httpc_call;
struct httpc_pool;
struct tls_config;

struct fronted_pool {
	struct httpc_pool	*fp_pool;
	char			 fp_sni[CONF_HOST_LEN];
	char			 fp_host[CONF_HOST_LEN];
	int			 fp_dead;	/* dropped by the SNI probe */
	/* SNI probe */
	int			 fp_ok;
	int			 fp_tries;
	double			 fp_lat[2];
};

struct fronted_ep;
struct fcall;

/* Final result of one request (after redirects). */
typedef void	(*fcall_cb)(struct fcall *, int herr, const char *errstr,
		    int sent, int status, const uint8_t *, size_t, void *);

struct fcall {
	TAILQ_ENTRY(fcall)	 fc_entry;
	struct fronted_ep	*fc_ep;
	struct fronted_pool	*fc_pool;
	struct httpc_call	*fc_hc;
	fcall_cb		 fc_cb;
	void			*fc_arg;
	/* for exchanges */
	cendpoint_cb		 fc_ecb;
	void			*fc_earg;
	int			 fc_redirects;
	int			 fc_sent;
	double			 fc_start;
	double			 fc_deadline;
	ev_timer		 fc_defer;	/* follow the redirect */
	char			 fc_host[CONF_HOST_LEN];
	char			 fc_path[2048];
	char			 fc_detail[512];
};

TAILQ_HEAD(fcalls, fcall);

struct fronted_ep {
	struct cendpoint	 fe_ep;
	struct fronted		*fe_f;
	char			 fe_id[CONF_SCRIPT_ID_LEN];
	char			 fe_path[CONF_SCRIPT_ID_LEN + 32];
	char			 fe_short[64];
	struct fcalls		 fe_calls;
};

struct fronted {
	struct ev_loop		*f_loop;
	struct tls_config	*f_tls;
	struct health_set	*f_hs;
	struct fronted_pool	*f_pools;
	size_t			 f_npools;
	size_t			 f_rr;
	struct fcalls		 f_free;
	char			 f_ghost[CONF_HOST_LEN];
	/* local-offline recovery probe (4.4) */
	ev_timer		 f_otimer;
	ev_io			 f_oio;
	int			 f_ofd;
	double			 f_ostart;
	/* SNI probe */
	size_t			 f_probing;
	void			(*f_probe_done)(size_t, void *);
	void			*f_probe_arg;
};

/* fronted.c */
struct fcall	*fronted_fcall_start(struct fronted_ep *, struct fronted_pool *,
		    const char *query, const uint8_t *body, size_t len,
		    double timeout, fcall_cb, void *);
enum ep_result	 fronted_herr_class(int);

#endif /* GR_FRONTED_INT_H */
