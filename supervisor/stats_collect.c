/*
 * Gathering of workers' stats replies (stats_collect.h).  Workers are
 * sandboxed but not trusted: every reply is bounded and parsed as JSON
 * before it is passed on, and the supervisor's idea of who sent it
 * (role, instance) overrides whatever the worker wrote.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stats_collect.h"

enum stats_collect_state {
	SCS_UNUSED = 0,
	SCS_WAIT,
	SCS_DONE,
	SCS_FAIL
};

struct stats_collect_slot {
	enum stats_collect_state cs_state;
	char		 cs_role[16];
	int		 cs_instance;
	char		*cs_buf;
	size_t		 cs_len;
	json_t		*cs_obj;
	char		 cs_err[64];
};

struct stats_collect {
	uint32_t	 sc_reqid;
	size_t		 sc_max;
	size_t		 sc_n;
	struct stats_collect_slot sc_slot[];
};

struct stats_collect *
stats_collect_new(uint32_t reqid, size_t nworkers, size_t maxbytes)
{
	struct stats_collect	*sc;

	if (nworkers > 1024)
		return NULL;
	sc = calloc(1, sizeof(*sc) + nworkers *
	    sizeof(struct stats_collect_slot));
	if (sc == NULL)
		return NULL;
	sc->sc_reqid = reqid;
	sc->sc_max = maxbytes;
	sc->sc_n = nworkers;
	return sc;
}

void
stats_collect_free(struct stats_collect *sc)
{
	size_t	 i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->sc_n; i++) {
		free(sc->sc_slot[i].cs_buf);
		json_decref(sc->sc_slot[i].cs_obj);
	}
	free(sc);
}

uint32_t
stats_collect_reqid(const struct stats_collect *sc)
{
	return sc->sc_reqid;
}

int
stats_collect_expect(struct stats_collect *sc, size_t slot,
    const char *role, int instance)
{
	struct stats_collect_slot	*s;

	if (slot >= sc->sc_n)
		return -1;
	s = &sc->sc_slot[slot];
	s->cs_state = SCS_WAIT;
	snprintf(s->cs_role, sizeof(s->cs_role), "%s", role);
	s->cs_instance = instance;
	return 0;
}

static int
stats_collect_error(struct stats_collect_slot *s, const char *why)
{
	snprintf(s->cs_err, sizeof(s->cs_err), "%s", why);
	s->cs_state = SCS_FAIL;
	free(s->cs_buf);
	s->cs_buf = NULL;
	s->cs_len = 0;
	return -1;
}

int
stats_collect_piece(struct stats_collect *sc, size_t slot, uint32_t reqid,
    const void *data, size_t len, int more)
{
	struct stats_collect_slot	*s;
	json_error_t			 je;
	char				*nb;

	if (slot >= sc->sc_n || reqid != sc->sc_reqid)
		return -1;
	s = &sc->sc_slot[slot];
	if (s->cs_state != SCS_WAIT)
		return -1;
	if (len > sc->sc_max - s->cs_len || s->cs_len > sc->sc_max)
		return stats_collect_error(s, "reply too large");
	if (len > 0) {
		if ((nb = realloc(s->cs_buf, s->cs_len + len)) == NULL)
			return stats_collect_error(s, "out of memory");
		memcpy(nb + s->cs_len, data, len);
		s->cs_buf = nb;
		s->cs_len += len;
	}
	if (more)
		return 0;
	s->cs_obj = json_loadb(s->cs_buf != NULL ? s->cs_buf : "",
	    s->cs_len, JSON_REJECT_DUPLICATES, &je);
	free(s->cs_buf);
	s->cs_buf = NULL;
	if (s->cs_obj == NULL || !json_is_object(s->cs_obj)) {
		json_decref(s->cs_obj);
		s->cs_obj = NULL;
		return stats_collect_error(s, "reply is not a JSON object");
	}
	/* Who sent it is the supervisor's knowledge, not the worker's. */
	if (json_object_set_new(s->cs_obj, "role",
	    json_string(s->cs_role)) == -1 ||
	    json_object_set_new(s->cs_obj, "instance",
	    json_integer(s->cs_instance)) == -1) {
		json_decref(s->cs_obj);
		s->cs_obj = NULL;
		return stats_collect_error(s, "out of memory");
	}
	s->cs_state = SCS_DONE;
	return 1;
}

void
stats_collect_fail(struct stats_collect *sc, size_t slot, const char *reason)
{
	if (slot >= sc->sc_n || sc->sc_slot[slot].cs_state != SCS_WAIT)
		return;
	stats_collect_error(&sc->sc_slot[slot], reason);
}

int
stats_collect_done(const struct stats_collect *sc)
{
	size_t	 i;

	for (i = 0; i < sc->sc_n; i++)
		if (sc->sc_slot[i].cs_state == SCS_WAIT)
			return 0;
	return 1;
}

char *
stats_collect_json(const struct stats_collect *sc)
{
	const struct stats_collect_slot	*s;
	json_t				*arr, *o;
	char				*text;
	size_t				 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < sc->sc_n; i++) {
		s = &sc->sc_slot[i];
		if (s->cs_state == SCS_UNUSED)
			continue;
		if (s->cs_state == SCS_DONE)
			o = json_incref(s->cs_obj);
		else
			o = json_pack("{s:s, s:i, s:s}", "role", s->cs_role,
			    "instance", s->cs_instance, "error",
			    s->cs_state == SCS_WAIT ? "no reply yet" :
			    s->cs_err);
		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(arr);
	return text;
}
