/*
 * One look at an endpoint outside the traffic: see epcheck.h.  The probe
 * asks for nothing and resets nothing (tunnel_probe_plain()), so a check
 * never disturbs the carrier's sessions, whatever client id it uses.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "carrier.h"
#include "epcheck.h"
#include "log.h"

struct epcheck {
	struct carrier		*ec_car;
	struct cendpoint	*ec_ep;
	int			 ec_flags;
	int			 ec_v15;	/* this probe's layout */
	int			 ec_second;	/* in the other layout */
	double			 ec_timeout;
	uint8_t			 ec_cid[WIRE_CID_LEN];
	uint8_t			 ec_sid[WIRE_SID_LEN];
	struct wbuf		 ec_body;
	struct wbuf		 ec_scratch;
	epcheck_cb		 ec_cb;
	void			*ec_arg;
};

static struct wire_batch	 epcheck_rxb;
static int			 epcheck_rxb_init;

static void	epcheck_done(struct cendpoint *, enum ep_result, int,
		    const uint8_t *, size_t, int, const char *, void *);

const char *
epcheck_verdict_str(enum epcheck_verdict v)
{
	switch (v) {
	case ECV_ANSWERED:
		return ("answered");
	case ECV_V15:
		return ("GooseRelayVPN v1.5 layout");
	case ECV_V16:
		return ("GooseRelayVPN v1.6 layout only");
	case ECV_KEY:
		return ("tunnel_key mismatch");
	case ECV_FAIL:
		return ("failed");
	}
	return ("?");
}

static void
epcheck_free(struct epcheck *ec)
{
	wbuf_free(&ec->ec_body);
	wbuf_free(&ec->ec_scratch);
	free(ec);
}

/* Seal the probe in this stage's layout and send it. */
static int
epcheck_send(struct epcheck *ec)
{
	struct carrier		*car = ec->ec_car;
	struct wire_encopts	 eo;
	struct wire_frame	 f;
	struct wbuf		 payload = { NULL, 0, 0 };
	const char		*err = NULL;
	int			 rc;

	memset(&eo, 0, sizeof(eo));
	eo.eo_layout = ec->ec_v15 ? WIRE_LAYOUT_V15 : WIRE_LAYOUT_V16;
	tunnel_probe_plain(car, &payload);
	memset(&f, 0, sizeof(f));
	memcpy(f.f_sid, ec->ec_sid, WIRE_SID_LEN);
	f.f_flags = WIRE_F_ACK;
	f.f_payload = payload.wb_data;
	f.f_len = payload.wb_len;
	wbuf_reset(&ec->ec_body);
	/* Text: what every server of every version reads. */
	rc = wire_body_seal(car->c_aead, ec->ec_cid, &f, 1, &eo, 1,
	    &ec->ec_body, &ec->ec_scratch, &err);
	wbuf_free(&payload);
	if (rc == -1)
		return (-1);
	return (ec->ec_ep->ep_ops->eo_exchange(ec->ec_ep, ec->ec_body.wb_data,
	    ec->ec_body.wb_len, 0, ec->ec_timeout, epcheck_done, ec));
}

int
epcheck_start(struct carrier *car, struct cendpoint *ep, int flags,
    double timeout, epcheck_cb cb, void *arg)
{
	struct epcheck	*ec;

	if ((ec = calloc(1, sizeof(*ec))) == NULL)
		return (-1);
	ec->ec_car = car;
	ec->ec_ep = ep;
	ec->ec_flags = flags;
	ec->ec_timeout = timeout;
	ec->ec_cb = cb;
	ec->ec_arg = arg;
	ec->ec_v15 = ep->ep_v15;
	if (flags & EPC_OTHER) {
		ec->ec_second = 1;
		ec->ec_v15 = !ec->ec_v15;
	}
	if (RAND_bytes(ec->ec_cid, sizeof(ec->ec_cid)) != 1 ||
	    RAND_bytes(ec->ec_sid, sizeof(ec->ec_sid)) != 1 ||
	    epcheck_send(ec) == -1) {
		epcheck_free(ec);
		return (-1);
	}
	return (0);
}

/* Does the reply carry the RST+JSON answer to our probe? */
static int
epcheck_versioned(const struct epcheck *ec, const struct wire_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->b_nframes; i++)
		if ((b->b_frames[i].f_flags & WIRE_F_RST) &&
		    memcmp(b->b_frames[i].f_sid, ec->ec_sid,
		    WIRE_SID_LEN) == 0 && b->b_frames[i].f_len > 0)
			return (1);
	return (0);
}

static void
epcheck_done(struct cendpoint *ep, enum ep_result res, int sent,
    const uint8_t *body, size_t len, int binary, const char *detail,
    void *arg)
{
	struct epcheck		*ec = arg;
	struct carrier		*car = ec->ec_car;
	struct wire_batch	*b = &epcheck_rxb;
	enum epcheck_verdict	 v = ECV_FAIL;
	const char		*err = NULL;
	int			 version = 0, opened = 0;

	if (!epcheck_rxb_init) {
		wire_batch_init(b);
		epcheck_rxb_init = 1;
	}
	if (res == EP_OK) {
		if (wire_body_open(car->c_aead, body, len, !binary, b,
		    &err) == 0)
			opened = 1;
		else {
			/* A 200 that does not open: not under our key. */
			res = EP_FAIL_KEY;
			detail = "the reply does not decrypt";
		}
	}
	if (opened) {
		version = epcheck_versioned(ec, b);
		/*
		 * A v1.5 server answers in its layout, whatever it got, and
		 * never with version info; ours mirrors the layout but
		 * answers the probe.  The current layout opened only after
		 * the v1.5 one failed: a v1.6+ Go server.
		 */
		if (b->b_layout == WIRE_LAYOUT_V15 && !version)
			v = ECV_V15;
		else if (ec->ec_second && !ec->ec_v15)
			v = ECV_V16;
		else
			v = ECV_ANSWERED;
	} else if (res == EP_FAIL_KEY && !ec->ec_second &&
	    !(ec->ec_flags & EPC_ONE_LAYOUT)) {
		/* Once more in the other layout. */
		ec->ec_second = 1;
		ec->ec_v15 = !ec->ec_v15;
		if (epcheck_send(ec) == 0)
			return;
		v = ECV_FAIL;
		res = EP_FAIL_SOFT;
		detail = "cannot send the second probe";
	} else if (res == EP_FAIL_KEY)
		v = ECV_KEY;
	ec->ec_cb(ep, v, res, detail != NULL ? detail : "", version,
	    ec->ec_arg);
	epcheck_free(ec);
}
