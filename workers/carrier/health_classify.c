/*
 * Non-batch bodies of the POST transports (docs/protocol.md 4.4): what a
 * text-mode answer that is not a base64 batch says (an error page, JSON,
 * a forwarder message) and the failure class it means for the endpoint's
 * health.  Pure functions of the bytes; bounded to the first
 * HEALTH_CLASSIFY_MAX of a body.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "health.h"

#define HEALTH_CLASSIFY_MAX	(64 * 1024)

const char *
health_memcasemem(const uint8_t *h, size_t hl, const char *n)
{
	size_t	 nl = strlen(n), i;

	if (nl == 0 || hl < nl)
		return (NULL);
	for (i = 0; i + nl <= hl; i++)
		if (strncasecmp((const char *)h + i, n, nl) == 0)
			return ((const char *)h + i);
	return (NULL);
}

int
health_nonbatch(const uint8_t *b, size_t len)
{
	static const char *const prefixes[] = {
		"<!doctype", "<html", "relay_loop_detected", "exception:",
		"upstream status ", "upstream fetch error:", "{", "[", "http/"
	};
	size_t	 i, n;

	while (len > 0 && isspace(*b)) {
		b++;
		len--;
	}
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (len >= n && strncasecmp((const char *)b, prefixes[i],
		    n) == 0)
			return (1);
	}
	n = len < 4096 ? len : 4096;
	return (health_memcasemem(b, n, "upstream status ") != NULL ||
	    health_memcasemem(b, n, "upstream fetch error:") != NULL);
}

struct health_rule {
	const char	*hr_text;
	enum ep_result	 hr_class;
	const char	*hr_reason;
};

/* First match wins: quota before everything (its pages say "try again"). */
static const struct health_rule health_rules[] = {
	{ "service invoked too many times for one day", EP_FAIL_QUOTA,
	    "daily Apps Script quota exhausted" },
	{ "bandwidth quota exceeded", EP_FAIL_QUOTA, "bandwidth quota "
	    "exceeded" },
	{ "quota exceeded", EP_FAIL_QUOTA, "quota exceeded" },
	{ "daily limit", EP_FAIL_QUOTA, "daily limit reached" },
	/* Persian UI: "... too many times for one day: urlfetch" */
	{ "\xd8\xb1\xd9\x88\xd8\xb2: urlfetch", EP_FAIL_QUOTA,
	    "daily Apps Script quota exhausted" },
	{ "relay_loop_detected", EP_FAIL_HARD, "relay loop: RELAY_URLS in "
	    "Code.gs points at Apps Script" },
	{ "upstream status 204", EP_FAIL_KEY, "the exit answered HTTP 204 "
	    "(it could not decrypt the request)" },
	{ "\"status\":204", EP_FAIL_KEY, "the exit answered HTTP 204 (it "
	    "could not decrypt the request)" },
	{ "bad_payload", EP_FAIL_HARD, "Code.gs rejected the request body" },
	{ "too many times in a short time", EP_FAIL_RATE, "rate limited" },
	{ "per second", EP_FAIL_RATE, "rate limited" },
	{ "too many scripts running simultaneously", EP_FAIL_RATE,
	    "too many simultaneous executions" },
	{ "rate limit", EP_FAIL_RATE, "rate limited" },
	{ "too many requests", EP_FAIL_RATE, "rate limited" },
	{ "authorization is required", EP_FAIL_HARD, "authorization "
	    "required (redeploy, Execute as: Me)" },
	{ "unauthorized", EP_FAIL_HARD, "unauthorized" },
	{ "permission denied", EP_FAIL_HARD, "permission denied" },
	{ "you do not have permission", EP_FAIL_HARD, "permission denied" },
	{ "sign in", EP_FAIL_HARD, "deployment not public (Who has access "
	    "must be Anyone)" },
	{ "not permitted by your admin", EP_FAIL_HARD, "blocked by a "
	    "Workspace admin policy" },
	{ "administrator", EP_FAIL_HARD, "blocked by a Workspace admin "
	    "policy" },
	{ "not_found", EP_FAIL_HARD, "deployment not found" },
	{ "unable to open the file", EP_FAIL_HARD, "deployment not found "
	    "(wrong or deleted Deployment ID)" },
	{ "script id", EP_FAIL_HARD, "bad script id" },
	{ "deployment", EP_FAIL_HARD, "deployment problem" },
	{ "server not available", EP_FAIL_SOFT, "Apps Script server not "
	    "available" },
	{ "please try again", EP_FAIL_SOFT, "transient Apps Script error" },
	{ "try again later", EP_FAIL_SOFT, "transient Apps Script error" },
	{ "upstream fetch error", EP_FAIL_SOFT, "Apps Script could not reach "
	    "the exit" },
	{ "upstream status", EP_FAIL_SOFT, "the exit answered an error" },
};

enum ep_result
health_classify_text(const uint8_t *b, size_t len, const char **reason)
{
	size_t	 i;

	if (len > HEALTH_CLASSIFY_MAX)
		len = HEALTH_CLASSIFY_MAX;
	for (i = 0; i < sizeof(health_rules) / sizeof(health_rules[0]); i++)
		if (health_memcasemem(b, len, health_rules[i].hr_text)) {
			*reason = health_rules[i].hr_reason;
			return (health_rules[i].hr_class);
		}
	*reason = "unexpected non-batch response";
	return (EP_FAIL_SOFT);
}
