/*
 * Time for the POST transports' quota: America/Los_Angeles computed, since
 * the worker has no tzdata in its chroot (Apps Script quotas reset at
 * Pacific midnight), and the RFC 3339 timestamps of the quota state file.
 * Pure functions of their arguments.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "health_pt.h"

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long
health_pt_days_from_civil(long y, unsigned m, unsigned d)
{
	long		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (long)doe - 719468);
}

static void
health_pt_civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

/* Day number of the n-th Sunday of a month. */
static long
health_pt_nth_sunday(long y, unsigned m, int n)
{
	long	 first = health_pt_days_from_civil(y, m, 1);
	long	 wd = ((first % 7) + 7 + 4) % 7;	/* 1970-01-01: Thu */

	return (first + (7 - wd) % 7 + 7 * (n - 1));
}

/*
 * US rule since 2007: DST from the second Sunday of March 02:00 PST
 * (10:00 UTC) to the first Sunday of November 02:00 PDT (09:00 UTC).
 */
int
health_pt_offset(time_t t)
{
	long		 y, days = (long)((t - (t % 86400 + 86400) % 86400) /
			    86400);
	unsigned	 m, d;
	time_t		 start, end;

	health_pt_civil_from_days(days, &y, &m, &d);
	start = (time_t)health_pt_nth_sunday(y, 3, 2) * 86400 + 10 * 3600;
	end = (time_t)health_pt_nth_sunday(y, 11, 1) * 86400 + 9 * 3600;
	return (t >= start && t < end ? -7 * 3600 : -8 * 3600);
}

void
health_pt_date(time_t t, char buf[11])
{
	long		 y;
	unsigned	 m, d;
	time_t		 l = t + health_pt_offset(t);

	health_pt_civil_from_days((long)((l - (l % 86400 + 86400) % 86400) /
	    86400), &y, &m, &d);
	snprintf(buf, 11, "%04ld-%02u-%02u", y, m, d);
}

time_t
health_pt_next_midnight(time_t t)
{
	time_t	 l = t + health_pt_offset(t), mid;
	long	 day = (long)((l - (l % 86400 + 86400) % 86400) / 86400);

	mid = (time_t)(day + 1) * 86400;	/* local midnight, as local */
	/*
	 * Its offset: midnight is 07:00 or 08:00 UTC and the switches are at
	 * 09:00 / 10:00 UTC, so 07:00 UTC of that day tells the truth.
	 */
	return (mid - health_pt_offset(mid + 7 * 3600));
}

/* t as RFC 3339 UTC, "2026-03-08T10:00:00Z". */
void
health_pt_rfc3339(double t, char buf[40])
{
	long		 y, days = (long)floor(t / 86400);
	unsigned	 m, d;
	long		 sec = (long)(t - (double)days * 86400);

	health_pt_civil_from_days(days, &y, &m, &d);
	snprintf(buf, 40, "%04ld-%02u-%02uT%02ld:%02ld:%02ldZ", y, m, d,
	    sec / 3600, sec / 60 % 60, sec % 60);
}

/* RFC 3339 with Z or an offset, fraction ignored.  -1: not one. */
int
health_pt_parse_rfc3339(const char *s, double *out)
{
	int		 y, mo, d, hh, mi, ss, oh = 0, om = 0, n = 0;
	double		 t;
	const char	*p;

	if (sscanf(s, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &hh,
	    &mi, &ss, &n) != 6 || n == 0)
		return (-1);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 ||
	    ss > 60)
		return (-1);
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	t = (double)health_pt_days_from_civil(y, mo, d) * 86400 + hh * 3600 +
	    mi * 60 + ss;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return (-1);
		t -= (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
		p += 6;
	} else
		return (-1);
	if (*p != '\0')
		return (-1);
	*out = t;
	return (0);
}
