/* direct_post endpoint over httpc (direct.c). */
#ifndef GR_DIRECT_H
#define GR_DIRECT_H

#include "conf.h"

struct ev_loop;
struct tls_config;
struct cendpoint;

#define DIRECT_MAX_BODY	(32U * 1024 * 1024)	/* client response cap */

struct cendpoint *direct_new(struct ev_loop *, const char *url,
		    struct tls_config *, size_t maxidle);

#endif /* GR_DIRECT_H */
