/*
 * gooserelayd forwarder for Google Apps Script (forwarder protocol v2).
 *
 * The carrier (client side) POSTs each encrypted batch, as base64 text, to
 * this web app through a Google front end.  doPost hands the text to the
 * exit server's /tunnel URL and returns the exit's answer verbatim.  The
 * forwarder cannot read the traffic: it only moves opaque base64.
 *
 * Install:
 *   1. script.google.com -> New project; replace Code.gs with this file.
 *   2. Put your exit server's URL(s) in RELAY_URLS below, e.g.
 *      'http://203.0.113.7:8443/tunnel'.  Several URLs are tried in order.
 *   3. Deploy -> New deployment -> type "Web app"; Execute as: Me;
 *      Who has access: Anyone.  Copy the Deployment ID (AKfycb...) into
 *      script_keys of the carrier's configuration.
 *   4. Editing this file later needs a new deployment version
 *      (Deploy -> Manage deployments -> Edit -> New version).
 *
 * Compatible with GooseRelayVPN clients and servers (protocol 1).
 */

// Exit server /tunnel URLs, tried in order until one answers 200.
var RELAY_URLS = [
  'http://YOUR_SERVER_IP:8443/tunnel'
];

// Count invocations per day (America/Los_Angeles) in the script
// properties, shown by doGet.  Costs a little time per request.
var ENABLE_INVOCATION_COUNTING = false;

var FORWARDER_VERSION = 2;
var PROTOCOL_VERSION = 1;
var MAX_TUNNEL_PAYLOAD_CHARS = 12 * 1024 * 1024;
// UrlFetchApp has no timeout option (its options are contentType,
// headers, method, payload, useIntranet, validateHttpsCertificates,
// followRedirects, muteHttpExceptions, escaping): Google cuts a fetch off
// after about 60 s.  doGet reports that, it is not a setting.
var URLFETCH_TIMEOUT_SECONDS = 60;
var ERROR_SNIPPET_CHARS = 1024;
var QUOTA_TIME_ZONE = 'America/Los_Angeles';

// A relay URL that points back at Apps Script would loop forever and burn
// the daily quota: script.google.com/macros/..., /a/macros/<domain>/...,
// and the script.googleusercontent.com echo hosts.
var APPS_SCRIPT_URL_RE =
  /^\s*https?:\/\/([a-z0-9-]+\.)*(script\.google\.com|[a-z0-9-]*script\.googleusercontent\.com)(:\d+)?\/(a\/macros\/[^\/]+\/|macros\/)/i;

var BASE64_CHARS_RE = /^[A-Za-z0-9+\/=]*$/;

// The carrier's routing token (?r=<hex> on the script URL): passed on to
// the relay URL so that a load balancer in front of several exits sends
// all requests of one client to the same exit, although Google fetches
// from changing addresses (docs/fleet.md).  It is an opaque keyed hash;
// anything else in that parameter is dropped, never passed on.
var ROUTING_TOKEN_RE = /^[A-Za-z0-9_-]{1,64}$/;

// What a failed fetch may say on the error page, which anyone who knows
// the deployment ID can read: UrlFetch's own messages name the exit's
// URL, so only these fixed sentences go out (the carrier classifies
// them: quota, rate limit; anything else is "exit unreachable"); the
// detail goes to the execution log (console.error) for the owner.
var PUBLIC_FETCH_ERRORS = [
  [/too many times for one day/i,
    'Service invoked too many times for one day: urlfetch.'],
  [/bandwidth quota exceeded/i, 'Bandwidth quota exceeded.'],
  [/too many times in a short time/i,
    'Service invoked too many times in a short time: urlfetch.'],
  [/time(d)? ?out/i, 'timeout']
];

function doPost(e) {
  assertNoRelayLoop_();

  var payload = '';
  if (e && e.postData && typeof e.postData.contents === 'string') {
    payload = e.postData.contents;
  }
  var bad = checkPayload_(payload);
  if (bad) {
    // Junk costs no UrlFetch call.
    return jsonOutput_({
      e: 'bad_payload',
      reason: bad,
      length: payload.length,
      version: FORWARDER_VERSION,
      protocol: PROTOCOL_VERSION
    });
  }

  if (ENABLE_INVOCATION_COUNTING) {
    countInvocation_();
  }

  var failures = [];
  var token = routingToken_(e);
  for (var i = 0; i < RELAY_URLS.length; i++) {
    var url = withRoutingToken_(RELAY_URLS[i], token);
    var resp;
    try {
      resp = UrlFetchApp.fetch(url, {
        method: 'post',
        contentType: 'text/plain',
        payload: payload,
        muteHttpExceptions: true,
        followRedirects: false
      });
    } catch (err) {
      var pub = publicFetchError_(err);
      console.error('RELAY_URLS[' + i + ']: fetch failed: ' +
        errorText_(err));
      failures.push('upstream fetch error: ' + pub);
      if (/urlfetch|quota/.test(pub)) {
        // The quota is the account's: every other URL would fail too.
        break;
      }
      continue;
    }
    var status = resp.getResponseCode();
    if (status === 200) {
      return ContentService.createTextOutput(resp.getContentText())
        .setMimeType(ContentService.MimeType.TEXT);
    }
    var text = '';
    try {
      text = String(resp.getContentText());
    } catch (err2) {
      text = '';
    }
    console.error('RELAY_URLS[' + i + ']: status ' + status + ': ' +
      text.substring(0, ERROR_SNIPPET_CHARS));
    failures.push('upstream status ' + status);
  }
  if (failures.length === 0) {
    failures.push('upstream fetch error: RELAY_URLS is empty');
  }
  // Throwing makes Google answer with an error page, which the client
  // classifies; a 200 here would look like a (broken) batch.
  throw new Error(failures.join(' | '));
}

function doGet(e) {
  if (e && e.parameter && String(e.parameter.legacy) === '1') {
    return ContentService.createTextOutput('GooseRelay forwarder OK')
      .setMimeType(ContentService.MimeType.TEXT);
  }
  var date = todayKey_();
  var count = null;
  if (ENABLE_INVOCATION_COUNTING) {
    count = readCount_(date);
  }
  return jsonOutput_({
    ok: true,
    date: date,
    count: count,
    counting_enabled: ENABLE_INVOCATION_COUNTING,
    max_payload_chars: MAX_TUNNEL_PAYLOAD_CHARS,
    timeout_seconds: URLFETCH_TIMEOUT_SECONDS,
    relay_count: RELAY_URLS.length,
    version: FORWARDER_VERSION,
    protocol: PROTOCOL_VERSION
  });
}

function assertNoRelayLoop_() {
  for (var i = 0; i < RELAY_URLS.length; i++) {
    if (APPS_SCRIPT_URL_RE.test(String(RELAY_URLS[i]))) {
      throw new Error('relay_loop_detected: RELAY_URLS[' + i + '] points ' +
        'at Apps Script; it must be the exit server /tunnel URL');
    }
  }
}

// The routing token of this request, or '' (none or malformed).
function routingToken_(e) {
  var r = e && e.parameter ? e.parameter.r : undefined;
  return typeof r === 'string' && ROUTING_TOKEN_RE.test(r) ? r : '';
}

function withRoutingToken_(url, token) {
  if (!token) {
    return url;
  }
  return url + (url.indexOf('?') >= 0 ? '&' : '?') + 'r=' + token;
}

// Cheap shape check of a base64 batch; returns a reason or ''.
function checkPayload_(p) {
  if (p.length < 40) {
    return 'too_short';
  }
  if (p.length > MAX_TUNNEL_PAYLOAD_CHARS) {
    return 'too_long';
  }
  if (p.length % 4 === 1) {
    return 'bad_length';
  }
  if (!BASE64_CHARS_RE.test(p.substring(0, 128)) ||
      !BASE64_CHARS_RE.test(p.substring(p.length - 32))) {
    return 'bad_chars';
  }
  return '';
}

function todayKey_() {
  return Utilities.formatDate(new Date(), QUOTA_TIME_ZONE, 'yyyy-MM-dd');
}

function countInvocation_() {
  // Counting must never break forwarding.
  try {
    var props = PropertiesService.getScriptProperties();
    var key = 'count_' + todayKey_();
    var n = parseInt(props.getProperty(key) || '0', 10) || 0;
    props.setProperty(key, String(n + 1));
  } catch (err) {
    // ignored
  }
}

function readCount_(date) {
  try {
    var v = PropertiesService.getScriptProperties()
      .getProperty('count_' + date);
    return v === null ? 0 : (parseInt(v, 10) || 0);
  } catch (err) {
    return null;
  }
}

function publicFetchError_(err) {
  var msg = errorText_(err);
  for (var i = 0; i < PUBLIC_FETCH_ERRORS.length; i++) {
    if (PUBLIC_FETCH_ERRORS[i][0].test(msg)) {
      return PUBLIC_FETCH_ERRORS[i][1];
    }
  }
  return 'exit unreachable';
}

function errorText_(err) {
  if (err && err.message) {
    return String(err.message);
  }
  return String(err);
}

function jsonOutput_(obj) {
  return ContentService.createTextOutput(JSON.stringify(obj))
    .setMimeType(ContentService.MimeType.JSON);
}
