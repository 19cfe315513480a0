/* direct_post endpoint over httpc (direct.c). */
#ifndef GR_DIRECT_H
#define GR_DIRECT_H

#include "conf.h"

struct ev_loop;
struct tls_config;
struct cendpoint;

#define DIRECT_MAX_BODY	(32U * 1024 * 1024)	/* client response cap */

/*
 * addr: the numeric addresses to dial (carrier_conf cc_relay_addr, from
 * the supervisor); NULL or "" dials the URL's host, which must then be
 * numeric.  direct_set_addr: new ones after a reload.
 */
struct cendpoint *direct_new(struct ev_loop *, const char *url,
		    const char *addr, struct tls_config *, size_t maxidle);
void		 direct_set_addr(struct cendpoint *, const char *addr);
/* dead_host_timeout_ms for its connections (failover.c). */
void		 direct_set_dead_host(struct cendpoint *, unsigned ms);
/* httpc_pool_redials() of the endpoint's pool. */
uint64_t	 direct_redials(struct cendpoint *);

#endif /* GR_DIRECT_H */
