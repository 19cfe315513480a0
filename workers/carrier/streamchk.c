/*
 * Why the stream to a URL fails, when the failure itself cannot say: an
 * upgrade refused with HTTP 404 (a GooseRelayVPN v1.5 server has no
 * /stream; ours may have stream_enabled: false) or a stream closed after
 * the hello without an answer (the exit could not open it: another
 * tunnel_key?).  One look at POST /tunnel on the same host and port
 * (epcheck.c: a probe, and the v1.5 layout if that gets 204) tells, and
 * the stream says it as its failure from then on (stream.c).  Plain ws://
 * only: the carrier has no TLS client context of its own for https.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "direct.h"
#include "epcheck.h"
#include "log.h"

struct streamchk {
	struct carrier		*sc_car;
	struct cendpoint	*sc_ep;		/* direct, on /tunnel */
	char			 sc_label[CONF_URL_LEN + CONF_HOST_LEN + 16];
	char			 sc_tunnel[CONF_URL_LEN];
	int			 sc_refused;	/* 404, not a closed hello */
	ev_idle			 sc_free;	/* after its callback */
	streamchk_cb		 sc_cb;
	void			*sc_arg;
};

static void
streamchk_free_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct streamchk	*sc = w->data;

	ev_idle_stop(loop, w);
	sc->sc_ep->ep_ops->eo_free(sc->sc_ep);
	free(sc);
}

static void
streamchk_done(struct cendpoint *ep, enum epcheck_verdict v,
    enum ep_result res, const char *detail, int version, void *arg)
{
	struct streamchk	*sc = arg;
	char			 what[CONF_URL_LEN + 200];

	what[0] = '\0';
	switch (v) {
	case ECV_V15:
		snprintf(what, sizeof(what), "no /stream: server speaks the "
		    "GooseRelayVPN v1.5 layout: set wire_compat: v1.5 (and "
		    "relay_urls: [\"%s\"]: v1.5 serves POST only)",
		    sc->sc_tunnel);
		break;
	case ECV_V16:
		snprintf(what, sizeof(what), "server speaks the GooseRelayVPN "
		    "v1.6 layout: remove wire_compat: v1.5");
		break;
	case ECV_KEY:
		snprintf(what, sizeof(what), "tunnel_key mismatch: the exit "
		    "cannot decrypt our requests in either batch layout "
		    "(HTTP 204 from %s)", sc->sc_tunnel);
		break;
	case ECV_ANSWERED:
		if (sc->sc_refused)
			snprintf(what, sizeof(what), "no /stream (HTTP 404), "
			    "but %s answers: use it in relay_urls",
			    sc->sc_tunnel);
		break;
	case ECV_FAIL:
		log_debug("stream: %s: no verdict from %s: %s", sc->sc_label,
		    sc->sc_tunnel, detail);
		break;
	}
	sc->sc_cb(sc->sc_label, what[0] != '\0' ? what : NULL, sc->sc_arg);
	/* The endpoint is still in its own callback: free it later. */
	ev_idle_init(&sc->sc_free, streamchk_free_cb);
	sc->sc_free.data = sc;
	ev_idle_start(sc->sc_car->c_loop, &sc->sc_free);
}

int
streamchk_start(struct carrier *car, const char *label, int tls,
    const char *host, int port, const char *addr, int refused,
    streamchk_cb cb, void *arg)
{
	struct streamchk	*sc;

	if (tls)
		return (-1);
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (-1);
	snprintf(sc->sc_label, sizeof(sc->sc_label), "%s", label);
	snprintf(sc->sc_tunnel, sizeof(sc->sc_tunnel), strchr(host, ':') ?
	    "http://[%s]:%d/tunnel" : "http://%s:%d/tunnel", host, port);
	sc->sc_car = car;
	sc->sc_refused = refused;
	sc->sc_cb = cb;
	sc->sc_arg = arg;
	if ((sc->sc_ep = direct_new(car->c_loop, sc->sc_tunnel, addr, NULL,
	    1)) == NULL) {
		free(sc);
		return (-1);
	}
	sc->sc_ep->ep_text_only = 1;
	sc->sc_ep->ep_v15 = car->c_conf.cc_wire_compat == WIRE_COMPAT_V15;
	if (epcheck_start(car, sc->sc_ep, 0, 10.0, streamchk_done, sc) ==
	    -1) {
		sc->sc_ep->ep_ops->eo_free(sc->sc_ep);
		free(sc);
		return (-1);
	}
	return (0);
}
