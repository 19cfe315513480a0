'use strict';
/*
 * Google front end + Apps Script emulator for the fronted transport tests.
 *
 *   node google-emu.js CONFIG.json
 *
 * An HTTPS server (test CA) on a loopback address that answers by Host
 * header like Google's edge:
 *   Host script.google.com
 *     POST /macros/s/<ID>/exec  runs doPost of the real Code.gs, stores
 *                               the output and answers 302 to
 *                               script.googleusercontent.com; a thrown
 *                               error is Google's HTML error page, with
 *                               status 500 or, as real web apps have been
 *                               seen to answer, 200 ("error_status")
 *     GET  /macros/s/<ID>/exec  doGet, same 302 flow
 *   Host script.googleusercontent.com
 *     GET /macros/echo?user_content_key=K   the stored output (once)
 *   Host accounts.google.com    a sign-in page (for "not public")
 * doPost runs in worker threads (one invocation per thread at a time); its
 * synchronous UrlFetchApp.fetch blocks only that thread while the main
 * thread performs the request.
 *
 * CONFIG: { "address": "127.0.7.1", "port": 443, "cert": "...",
 *   "key": "...", "code": ".../Code.gs", "control_port": N,
 *   "state_dir": "...", "refuse_sni": ["mail.google.com"],
 *   "error_status": 500, "urlfetch_timeout_s": 60,
 *   "accounts": { "acct-a": { "workspace": false, "daily_limit": 20000,
 *     "window_s": 86400 } },
 *   "deployments": { "<ID>": { "relay_urls": ["http://..."],
 *     "account": "acct-a", "mode": "ok", "delay_ms": 0,
 *     "counting": false, "quota_after": -1, "error_status": 500 } } }
 * Modes: ok | quota | html | 429 | 404 | slow | private.
 * "quota_after": N switches the deployment to quota after N POSTs.
 * Quotas are the Google account's, as in Apps Script: every UrlFetch call
 * of every deployment of an account counts against its daily_limit
 * (20,000 a day; 100,000 with "workspace": true); past it fetch throws
 * Google's "Service invoked too many times for one day: urlfetch.", for
 * all of the account's deployments at once, until window_s after the
 * account's first call of the period.  A deployment without "account"
 * is an account of its own.  UrlFetch's timeout is Google's fixed one
 * (urlfetch_timeout_s, 60), not an option of the script.
 * Control (plain HTTP on 127.0.0.1:control_port):
 *   GET /mode?id=ID&mode=M[&delay=MS][&error_status=200|500]
 *   GET /errors?status=200|500          every deployment's error status
 *   GET /account?name=A[&used=N][&limit=N][&window_s=N]
 *   GET /refuse?sni=NAME[&off=1]        GET /stats   JSON counters
 */
const fs = require('fs');
const http = require('http');
const https = require('https');
const tls = require('tls');
const zlib = require('zlib');
const crypto = require('crypto');
const path = require('path');
const { Worker, isMainThread, parentPort, workerData, MessageChannel,
  receiveMessageOnPort } = require('worker_threads');
const gas = require('./gas.js');

/* ---------------- worker thread: runs the script ---------------- */

if (!isMainThread) {
  const scripts = new Map();
  const cfg = workerData;
  let currentId = null;

  function scriptFor(id) {
    let s = scripts.get(id);
    if (!s) {
      const d = cfg.deployments[id];
      s = gas.load(cfg.code, {
        relayUrls: d.relay_urls,
        counting: !!d.counting,
        propertiesFile: path.join(cfg.state_dir, 'props-' +
          crypto.createHash('sha256').update(id).digest('hex')
            .slice(0, 16) + '.json'),
        log: (line) => parentPort.postMessage({ log: true, id, line }),
        fetch: (url, o) => {
          if (currentQuota) {
            throw new Error(gas.QUOTA_MESSAGE);
          }
          return syncFetch(url, o);
        }
      });
      scripts.set(id, s);
    }
    return s;
  }
  let currentQuota = false;

  /*
   * UrlFetchApp.fetch is synchronous: the main thread does the HTTP
   * request and answers on a private port; this thread sleeps on a shared
   * flag meanwhile (spawning curl per fetch costs ~250 ms here).
   */
  function syncFetch(url, o) {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const ch = new MessageChannel();
    parentPort.postMessage({ fetch: true, id: currentId, url,
      opts: o || {}, flag, port: ch.port2 }, [ch.port2]);
    const limit = cfg.urlfetch_timeout_s * 1000 + 5000;
    Atomics.wait(flag, 0, 0, limit);
    const m = receiveMessageOnPort(ch.port1);
    ch.port1.close();
    if (!m) {
      throw new Error('Exception: Timeout: ' + url);
    }
    if (m.message.error) {
      throw new Error(m.message.error);
    }
    const resp = new gas.HTTPResponse(m.message.code,
      Buffer.from(m.message.body));
    if (!(o && o.muteHttpExceptions) && m.message.code >= 400) {
      throw new Error('Exception: Request failed for ' + url +
        ' returned code ' + m.message.code);
    }
    return resp;
  }

  parentPort.on('message', (m) => {
    currentQuota = m.quota;
    currentId = m.id;
    let r;
    try {
      r = gas.invoke(scriptFor(m.id), m.fn, m.e);
    } catch (err) {
      r = { ok: false, message: 'Error: ' + String(err) };
    }
    parentPort.postMessage(r);
  });
  return;
}

/* ---------------- main thread ---------------- */

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
cfg.port = cfg.port || 443;
cfg.gzip_max = cfg.gzip_max === undefined ? 256 * 1024 : cfg.gzip_max;
cfg.state_dir = cfg.state_dir || path.dirname(process.argv[2]);
cfg.deployments = cfg.deployments || {};
cfg.error_status = cfg.error_status || 500;
cfg.urlfetch_timeout_s = cfg.urlfetch_timeout_s || 60;
cfg.accounts = cfg.accounts || {};
function accountInit(a) {
  a.daily_limit = a.daily_limit || (a.workspace ? 100000 : 20000);
  a.window_s = a.window_s || 86400;
  a.used = a.used || 0;
  a.first_use = 0;
  a.refused = 0;
  return a;
}
for (const name of Object.keys(cfg.accounts)) {
  accountInit(cfg.accounts[name]);
}
for (const id of Object.keys(cfg.deployments)) {
  const d = cfg.deployments[id];
  d.account = d.account || 'deployment:' + id;
  if (!cfg.accounts[d.account]) {
    cfg.accounts[d.account] = accountInit({});
  }
  d.mode = d.mode || 'ok';
  d.delay_ms = d.delay_ms || 0;
  d.posts = 0;
  d.gets = 0;
  d.errors = 0;
  d.quota_after = d.quota_after === undefined ? -1 : d.quota_after;
}
const refused = new Set(cfg.refuse_sni || []);
const stats = { snis: {}, refused_handshakes: 0, echo_gets: 0,
  bad_host: 0, bad_echo: 0 };
const stored = new Map();		/* user_content_key -> output */

function log(s) {
  process.stderr.write(new Date().toISOString() + ' google-emu: ' + s +
    '\n');
}

function shortId(id) {
  return id.length > 14 ? id.slice(0, 6) + '...' + id.slice(-6) : id;
}

/* A pool of script workers; grows while every worker is busy. */
const idle = [];
let nworkers = 0;
const waiting = [];

function runScript(id, fn, e, quota) {
  return new Promise((resolve) => {
    const job = { msg: { id, fn, e, quota }, resolve };
    const w = idle.pop();
    if (w) {
      dispatch(w, job);
    } else if (nworkers < 64) {
      nworkers++;
      const nw = new Worker(__filename, { workerData: {
        code: cfg.code, deployments: cfg.deployments,
        state_dir: cfg.state_dir,
        urlfetch_timeout_s: cfg.urlfetch_timeout_s } });
      nw.on('error', (err) => log('worker error ' + err));
      dispatch(nw, job);
    } else {
      waiting.push(job);
    }
  });
}

/*
 * The account's daily UrlFetch quota: counts this call, or returns
 * Google's error once the account has spent it.
 */
function accountCharge(id) {
  const d = cfg.deployments[id];
  const a = d ? cfg.accounts[d.account] : null;
  const now = Date.now();
  if (!a) {
    return null;
  }
  if (a.first_use && now - a.first_use >= a.window_s * 1000) {
    a.used = 0;
    a.first_use = 0;
  }
  if (a.used >= a.daily_limit) {
    a.refused++;
    return gas.QUOTA_MESSAGE;
  }
  if (!a.first_use) {
    a.first_use = now;
  }
  a.used++;
  return null;
}

/* A fetch asked for by a script thread (see syncFetch). */
function doFetch(m) {
  const o = m.opts;
  const quota = accountCharge(m.id);
  if (quota) {
    m.port.postMessage({ error: quota });
    m.port.close();
    Atomics.store(m.flag, 0, 1);
    Atomics.notify(m.flag, 0);
    return;
  }
  const u = new URL(m.url);
  const mod = u.protocol === 'https:' ? https : http;
  const payload = o.payload !== undefined ?
    Buffer.from(String(o.payload), 'utf8') : null;
  const headers = {};
  if (o.contentType) {
    headers['Content-Type'] = o.contentType;
  }
  if (payload) {
    headers['Content-Length'] = payload.length;
  }
  let done = false;
  function reply(msg) {
    if (done) {
      return;
    }
    done = true;
    m.port.postMessage(msg);
    m.port.close();
    Atomics.store(m.flag, 0, 1);
    Atomics.notify(m.flag, 0);
  }
  const req = mod.request(u, { method: String(o.method || 'get')
    .toUpperCase(), headers, agent: fetchAgent(u.protocol) }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => reply({ code: res.statusCode,
      body: Buffer.concat(chunks) }));
    res.on('error', (e) => reply({ error: 'Exception: ' + e.message }));
  });
  req.setTimeout(cfg.urlfetch_timeout_s * 1000, () => {
    reply({ error: 'Exception: Timeout: ' + m.url });
    req.destroy();
  });
  req.on('error', (e) => reply({ error: 'Exception: Address unavailable: ' +
    m.url + ' (' + e.message + ')' }));
  req.end(payload || undefined);
}

const agents = {};
function fetchAgent(proto) {
  if (!agents[proto]) {
    agents[proto] = new (proto === 'https:' ? https : http).Agent({
      keepAlive: true, maxSockets: 256 });
  }
  return agents[proto];
}

function dispatch(w, job) {
  const onmsg = (r) => {
    if (r && r.fetch) {
      doFetch(r);
      return;
    }
    if (r && r.log) {
      log(shortId(r.id) + ' console.error: ' + String(r.line)
        .slice(0, 300));
      return;
    }
    w.off('message', onmsg);
    job.resolve(r);
    const next = waiting.shift();
    if (next) {
      dispatch(w, next);
    } else {
      idle.push(w);
    }
  };
  w.on('message', onmsg);
  w.postMessage(job.msg);
}

function escapeHtml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')
    .replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/* The shape of Apps Script's own error page. */
function errorPage(message) {
  return '<!DOCTYPE html><html><head><link rel="shortcut icon" ' +
    'href="//ssl.gstatic.com/docs/script/images/favicon.ico">' +
    '<title>Error</title><style type="text/css" nonce="x">body ' +
    '{background-color: #fff; margin: 0; padding: 0;}.errorMessage ' +
    '{font-family: Arial,sans-serif; font-size: 12pt; font-weight: bold;' +
    ' line-height: 150%; padding-top: 25px;}</style></head><body ' +
    'style="margin:20px"><div><img alt="Google Apps Script" ' +
    'src="//ssl.gstatic.com/docs/script/images/logo.png"></div><div ' +
    'style="text-align:center;font-family:monospace;margin:50px auto 0;' +
    'max-width:600px">' + escapeHtml(message) + ' (line 1, file ' +
    '&quot;Code&quot;)</div></body></html>';
}

function googlePage(title, text) {
  return '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<title>' + escapeHtml(title) + '</title></head><body><div>' +
    escapeHtml(text) + '</div></body></html>';
}

function send(req, res, status, ctype, body, headers) {
  let buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const h = Object.assign({ 'Content-Type': ctype,
    'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate',
    'X-Content-Type-Options': 'nosniff', 'Server': 'ESF' }, headers || {});
  /*
   * Google gzips when asked.  Large bodies are base64 of encrypted data
   * (25 % saved at best) and deflate costs the emulator more than it
   * saves on loopback, so only bodies up to gzip_max (256 KiB) are.
   */
  if (/\bgzip\b/.test(req.headers['accept-encoding'] || '') &&
      buf.length > 64 && buf.length <= cfg.gzip_max) {
    buf = zlib.gzipSync(buf, { level: 1 });
    h['Content-Encoding'] = 'gzip';
  }
  h['Content-Length'] = buf.length;
  res.writeHead(status, h);
  res.end(buf);
}

function redirectTo(req, res, output) {
  const key = crypto.randomBytes(48).toString('base64url');
  stored.set(key, { output, at: Date.now() });
  const loc = 'https://script.googleusercontent.com/macros/echo?' +
    'user_content_key=' + key + '&lib=Memu';
  send(req, res, 302, 'text/html; charset=UTF-8',
    '<HTML><HEAD><TITLE>Moved Temporarily</TITLE></HEAD><BODY>' +
    '<H1>Moved Temporarily</H1>The document has moved <A HREF="' +
    escapeHtml(loc) + '">here</A>.</BODY></HTML>', { Location: loc });
}

/* Behaviour of one deployment, before the script runs. */
function behave(d, req, res) {
  switch (d.mode) {
  case 'html':
    send(req, res, 500, 'text/html; charset=utf-8', googlePage('Error',
      'We\'re sorry, a server error occurred. Please wait a bit and ' +
      'try again.'));
    return true;
  case '429':
    send(req, res, 429, 'text/html; charset=utf-8', googlePage(
      'Too Many Requests', 'Too many requests: please try again later.'));
    return true;
  case '404':
    send(req, res, 404, 'text/html; charset=utf-8', googlePage(
      'Error 404 (Not Found)', 'Sorry, unable to open the file at this ' +
      'time.  Please check the address and try again.'));
    return true;
  case 'private':
    send(req, res, 302, 'text/html; charset=UTF-8', '<HTML></HTML>',
      { Location: 'https://accounts.google.com/ServiceLogin?service=' +
        'wise&passive=1209600&continue=https://script.google.com/' });
    return true;
  }
  return false;
}

async function handleExec(req, res, id, method, body, query) {
  const d = cfg.deployments[id];
  if (!d) {
    stats.unknown_deployment = (stats.unknown_deployment || 0) + 1;
    send(req, res, 404, 'text/html; charset=utf-8', googlePage(
      'Error 404 (Not Found)', 'Sorry, unable to open the file at this ' +
      'time.'));
    return;
  }
  if (method === 'POST') {
    d.posts++;
    if (d.quota_after >= 0 && d.posts > d.quota_after) {
      d.mode = 'quota';
    }
  } else {
    d.gets++;
  }
  if (d.mode === 'slow' || d.delay_ms > 0) {
    await new Promise((r) => setTimeout(r, d.delay_ms));
  }
  if (behave(d, req, res)) {
    d.errors++;
    return;
  }
  const e = { parameter: query, parameters: {}, queryString: '',
    contextPath: '', contentLength: body.length };
  if (method === 'POST') {
    e.postData = { contents: body.toString('utf8'), length: body.length,
      type: (req.headers['content-type'] || '').split(';')[0],
      name: 'postData' };
  }
  const r = await runScript(id, method === 'POST' ? 'doPost' : 'doGet', e,
    d.mode === 'quota');
  if (!r.ok) {
    d.errors++;
    log(shortId(id) + ' ' + method + ' threw: ' + r.message.slice(0, 200));
    send(req, res, d.error_status || cfg.error_status,
      'text/html; charset=utf-8', errorPage(r.message));
    return;
  }
  redirectTo(req, res, r);
}

function handle(req, res) {
  const host = String(req.headers.host || '').toLowerCase()
    .replace(/:443$/, '');
  const u = new URL(req.url, 'https://' + (host || 'x'));
  const chunks = [];
  let len = 0;
  req.on('data', (c) => {
    len += c.length;
    if (len > 60 * 1024 * 1024) {
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const m = /^\/macros\/s\/([^/]+)\/exec$/.exec(u.pathname);
    if (host === 'script.google.com' && m &&
        (req.method === 'POST' || req.method === 'GET')) {
      const query = {};
      u.searchParams.forEach((v, k) => { query[k] = v; });
      handleExec(req, res, m[1], req.method, body, query).catch((err) => {
        log('internal error ' + err.stack);
        send(req, res, 500, 'text/plain', 'emulator error');
      });
      return;
    }
    if (host === 'script.googleusercontent.com' &&
        u.pathname === '/macros/echo' && req.method === 'GET') {
      const key = u.searchParams.get('user_content_key') || '';
      const s = stored.get(key);
      if (!s) {
        stats.bad_echo++;
        send(req, res, 404, 'text/html; charset=utf-8', googlePage(
          'Error 404 (Not Found)', 'The requested URL was not found.'));
        return;
      }
      stored.delete(key);
      stats.echo_gets++;
      send(req, res, 200, s.output.header, s.output.content);
      return;
    }
    if (host === 'accounts.google.com') {
      send(req, res, 200, 'text/html; charset=utf-8', googlePage(
        'Sign in - Google Accounts', 'Sign in to continue to Google ' +
        'Apps Script'));
      return;
    }
    stats.bad_host++;
    send(req, res, 404, 'text/html; charset=UTF-8', googlePage(
      'Error 404 (Not Found)', 'The requested URL ' + u.pathname +
      ' was not found on this server.'));
  });
}

/* Expire stored outputs nobody fetched. */
setInterval(() => {
  const now = Date.now();
  for (const [k, v] of stored) {
    if (now - v.at > 120000) {
      stored.delete(k);
    }
  }
}, 10000).unref();

const cert = fs.readFileSync(cfg.cert);
const key = fs.readFileSync(cfg.key);
const defctx = tls.createSecureContext({ cert, key });
const server = https.createServer({
  cert, key, minVersion: 'TLSv1.2',
  SNICallback: (name, cb) => {
    stats.snis[name] = (stats.snis[name] || 0) + 1;
    if (refused.has(name)) {
      stats.refused_handshakes++;
      cb(new Error('refused SNI ' + name));
      return;
    }
    cb(null, defctx);
  }
}, handle);
server.keepAliveTimeout = 120000;
server.headersTimeout = 130000;
server.requestTimeout = 0;
server.on('tlsClientError', () => {});

const control = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  let out = { ok: true };
  if (u.pathname === '/mode') {
    const d = cfg.deployments[u.searchParams.get('id')];
    if (!d) {
      out = { ok: false, error: 'no such deployment' };
    } else {
      d.mode = u.searchParams.get('mode') || 'ok';
      if (u.searchParams.get('delay')) {
        d.delay_ms = parseInt(u.searchParams.get('delay'), 10);
      }
      if (u.searchParams.get('error_status')) {
        d.error_status = parseInt(u.searchParams.get('error_status'), 10);
      }
      log('deployment ' + shortId(u.searchParams.get('id')) + ' mode ' +
        d.mode);
    }
  } else if (u.pathname === '/errors') {
    cfg.error_status = parseInt(u.searchParams.get('status'), 10) || 500;
    for (const id of Object.keys(cfg.deployments)) {
      delete cfg.deployments[id].error_status;
    }
  } else if (u.pathname === '/account') {
    const a = cfg.accounts[u.searchParams.get('name')];
    if (!a) {
      out = { ok: false, error: 'no such account' };
    } else {
      for (const [q, k] of [['used', 'used'], ['limit', 'daily_limit'],
        ['window_s', 'window_s']]) {
        if (u.searchParams.get(q) !== null) {
          a[k] = parseInt(u.searchParams.get(q), 10);
        }
      }
      if (!a.first_use && a.used > 0) {
        a.first_use = Date.now();
      }
    }
  } else if (u.pathname === '/refuse') {
    const n = u.searchParams.get('sni');
    if (u.searchParams.get('off')) {
      refused.delete(n);
    } else {
      refused.add(n);
    }
  } else if (u.pathname === '/stats') {
    out = { stats, deployments: {}, accounts: {} };
    for (const id of Object.keys(cfg.deployments)) {
      const d = cfg.deployments[id];
      out.deployments[id] = { mode: d.mode, posts: d.posts, gets: d.gets,
        errors: d.errors, account: d.account };
    }
    for (const name of Object.keys(cfg.accounts)) {
      const a = cfg.accounts[name];
      out.accounts[name] = { used: a.used, daily_limit: a.daily_limit,
        refused: a.refused, resets_in_s: a.first_use ?
          Math.max(0, Math.round((a.first_use + a.window_s * 1000 -
            Date.now()) / 1000)) : null };
    }
  } else {
    out = { ok: false, error: 'unknown' };
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(out) + '\n');
});

server.listen(cfg.port, cfg.address, () => {
  control.listen(cfg.control_port || 0, '127.0.0.1', () => {
    log('ready on ' + cfg.address + ':' + cfg.port + ' control ' +
      control.address().port);
  });
});

process.on('SIGTERM', () => process.exit(0));
process.on('exit', (code) => log('exiting with status ' + code));
process.on('uncaughtException', (err) => {
  log('uncaught exception: ' + (err && err.stack ? err.stack : err));
  process.exit(70);
});
