/*
 * gooserelayctl <-> gooserelayd control socket wire format.  One request
 * per connection, both directions framed and bounded:
 *
 *	request:  struct ctl_req  + cr_len bytes of command text
 *	          ("status", "reload", "log verbose", "test crash exit")
 *	reply:    struct ctl_rep  + cp_len bytes of text
 *
 * Integers are in host byte order (a local socket).  A request that is
 * not framed, too long, or not printable text gets an error reply (when
 * the frame allows one) and the connection is closed.
 */
#ifndef GR_CTLPROTO_H
#define GR_CTLPROTO_H

#include <stdint.h>

#define CTL_MAGIC	0x47524331U	/* "GRC1" */
#define CTL_REQ_MAX	256
#define CTL_REP_MAX	65536
#define CTL_TIMEOUT_S	5.0
/* A reload answers when the workers did: up to two timeouts, queued. */
#define CTL_RELOAD_TIMEOUT_S	65.0

#define CTL_OK		0
#define CTL_ERROR	1

struct ctl_req {
	uint32_t	 cr_magic;
	uint32_t	 cr_len;
};

struct ctl_rep {
	uint32_t	 cp_magic;
	uint32_t	 cp_status;	/* CTL_OK or CTL_ERROR */
	uint32_t	 cp_len;
};

#endif /* GR_CTLPROTO_H */
