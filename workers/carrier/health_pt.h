/*
 * America/Los_Angeles without tzdata (US rule since 2007) and RFC 3339
 * stamps, for the POST transports' daily quota (health_pt.c).
 */
#ifndef GR_HEALTH_PT_H
#define GR_HEALTH_PT_H

#include <time.h>

int		 health_pt_offset(time_t utc);		/* -8h or -7h, s */
time_t		 health_pt_next_midnight(time_t utc);
void		 health_pt_date(time_t utc, char buf[11]);	/* Y-m-d */
void		 health_pt_rfc3339(double utc, char buf[40]);
int		 health_pt_parse_rfc3339(const char *, double *utc);

#endif /* GR_HEALTH_PT_H */
