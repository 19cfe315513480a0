/*
 * Session table: sessions by 16-byte id (uthash), plus a list of all of
 * them for sweeps.  The table holds no reference: the owner removes a
 * session before dropping its last reference.
 */
#include "gr_config.h"

#include <stdlib.h>

/* A failed bucket allocation fails the add instead of exit(3). */
static int	sess_table_oom;
#define HASH_NONFATAL_OOM	1
#define uthash_nonfatal_oom(obj)	(sess_table_oom = 1)

#include "session.h"

void
sess_table_init(struct sess_table *st)
{
	st->st_hash = NULL;
	st->st_count = 0;
	TAILQ_INIT(&st->st_all);
}

struct sess *
sess_table_find(struct sess_table *st, const uint8_t id[WIRE_SID_LEN])
{
	struct sess	*s;

	HASH_FIND(s_hh, st->st_hash, id, WIRE_SID_LEN, s);
	return (s);
}

/* Add a session; -1 if the id is taken or memory ran out. */
int
sess_table_add(struct sess_table *st, struct sess *s)
{
	if (sess_table_find(st, s->s_id) != NULL)
		return (-1);
	sess_table_oom = 0;
	HASH_ADD(s_hh, st->st_hash, s_id, WIRE_SID_LEN, s);
	if (sess_table_oom)
		return (-1);
	TAILQ_INSERT_TAIL(&st->st_all, s, s_all_entry);
	st->st_count++;
	return (0);
}

void
sess_table_del(struct sess_table *st, struct sess *s)
{
	HASH_DELETE(s_hh, st->st_hash, s);
	TAILQ_REMOVE(&st->st_all, s, s_all_entry);
	st->st_count--;
}
