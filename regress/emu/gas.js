'use strict';
/*
 * A small Google Apps Script runtime for tests: loads a .gs file in a vm
 * context with stand-ins for UrlFetchApp, ContentService,
 * PropertiesService, Utilities, LockService and Logger.  UrlFetchApp.fetch
 * is synchronous like the real one: it runs curl(1) with spawnSync (the
 * emulator calls doPost in worker threads, so one slow fetch only blocks
 * its own invocation).  Tests may inject their own fetch function.
 *
 * Like the real UrlFetchApp, fetch takes only Google's documented options
 * (URLFETCH_OPTIONS) and ignores any other; the ones a script passed
 * anyway are counted in stats.unknown_options.  Its timeout is Google's
 * fixed one (about 60 s), whatever the script asks for.  console.error
 * lines (the execution log) are kept in stats.errors.
 */
const vm = require('vm');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const MimeType = {
  TEXT: 'TEXT', JSON: 'JSON', CSV: 'CSV', JAVASCRIPT: 'JAVASCRIPT',
  RSS: 'RSS', ATOM: 'ATOM', ICAL: 'ICAL', VCARD: 'VCARD', XML: 'XML'
};
const MIME_HEADER = {
  TEXT: 'text/plain', JSON: 'application/json', CSV: 'text/csv',
  JAVASCRIPT: 'application/javascript', XML: 'application/xml',
  RSS: 'application/rss+xml', ATOM: 'application/atom+xml',
  ICAL: 'text/calendar', VCARD: 'text/vcard'
};

class TextOutput {
  constructor(content) {
    this.content = content === undefined ? '' : String(content);
    this.mime = MimeType.TEXT;
  }
  setMimeType(m) { this.mime = m; return this; }
  getMimeType() { return this.mime; }
  getContent() { return this.content; }
  setContent(c) { this.content = String(c); return this; }
  append(c) { this.content += String(c); return this; }
}

class HTTPResponse {
  constructor(code, body) { this.code = code; this.body = body; }
  getResponseCode() { return this.code; }
  getContentText() { return this.body.toString('utf8'); }
  getBlob() { return { getBytes: () => Array.from(this.body) }; }
  getHeaders() { return {}; }
}

/* The real service's message when the daily UrlFetch quota is spent. */
const QUOTA_MESSAGE =
  'Exception: Service invoked too many times for one day: urlfetch.';

/* developers.google.com/apps-script/reference/url-fetch: fetch(url, params) */
const URLFETCH_OPTIONS = ['contentType', 'headers', 'method', 'payload',
  'useIntranet', 'validateHttpsCertificates', 'followRedirects',
  'muteHttpExceptions', 'escaping'];
/* Not an option: Google stops a fetch after about this long. */
const URLFETCH_TIMEOUT_S = 60;

/* UrlFetchApp.fetch through curl; throws like Apps Script on failure. */
function curlFetch(url, opts) {
  opts = opts || {};
  const method = String(opts.method || 'get').toUpperCase();
  const args = ['-sS', '-X', method, '-H', 'Expect:', '-o', '-',
    '-w', '\n%{http_code}',
    '--max-time', String(URLFETCH_TIMEOUT_S)];
  if (opts.contentType) {
    args.push('-H', 'Content-Type: ' + opts.contentType);
  }
  if (opts.followRedirects !== false) {
    args.push('-L');
  }
  let input;
  if (opts.payload !== undefined) {
    args.push('--data-binary', '@-');
    input = Buffer.from(String(opts.payload), 'utf8');
  }
  args.push('--', url);
  const r = spawnSync('curl', args, {
    input, maxBuffer: 256 * 1024 * 1024
  });
  if (r.error) {
    throw new Error('Exception: ' + r.error.message);
  }
  if (r.status === 28) {
    throw new Error('Exception: Timeout: ' + url);
  }
  if (r.status !== 0) {
    throw new Error('Exception: Address unavailable: ' + url + ' (' +
      r.stderr.toString().trim() + ')');
  }
  const out = r.stdout;
  const nl = out.lastIndexOf(10);
  const code = parseInt(out.slice(nl + 1).toString(), 10);
  const resp = new HTTPResponse(code, out.slice(0, nl));
  if (!opts.muteHttpExceptions && code >= 400) {
    throw new Error('Exception: Request failed for ' + url +
      ' returned code ' + code);
  }
  return resp;
}

/* Script properties kept in a JSON file (shared by worker threads). */
function fileProperties(file) {
  function load() {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      return {};
    }
  }
  function save(o) {
    const tmp = file + '.' + process.pid + '.' + Math.random();
    fs.writeFileSync(tmp, JSON.stringify(o));
    fs.renameSync(tmp, file);
  }
  return {
    getProperty(k) { const o = load(); return k in o ? o[k] : null; },
    setProperty(k, v) { const o = load(); o[k] = String(v); save(o);
      return this; },
    deleteProperty(k) { const o = load(); delete o[k]; save(o);
      return this; },
    getProperties() { return load(); }
  };
}

function memoryProperties() {
  const o = {};
  return {
    getProperty(k) { return k in o ? o[k] : null; },
    setProperty(k, v) { o[k] = String(v); return this; },
    deleteProperty(k) { delete o[k]; return this; },
    getProperties() { return Object.assign({}, o); }
  };
}

function formatDate(date, tz, fmt) {
  const parts = {};
  new Intl.DateTimeFormat('en-US', {
    timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false
  }).formatToParts(date).forEach((p) => { parts[p.type] = p.value; });
  if (parts.hour === '24') {
    parts.hour = '00';
  }
  return fmt.replace(/yyyy/g, parts.year).replace(/MM/g, parts.month)
    .replace(/dd/g, parts.day).replace(/HH/g, parts.hour)
    .replace(/mm/g, parts.minute).replace(/ss/g, parts.second);
}

/*
 * Load a script.  opts: relayUrls (overrides RELAY_URLS), counting
 * (overrides ENABLE_INVOCATION_COUNTING), fetch (replaces curl),
 * propertiesFile, log (function).
 */
function load(file, opts) {
  opts = opts || {};
  const props = opts.propertiesFile ? fileProperties(opts.propertiesFile) :
    memoryProperties();
  const fetchImpl = opts.fetch || curlFetch;
  const stats = { fetches: 0, unknown_options: [], errors: [] };
  const sandbox = {
    UrlFetchApp: {
      fetch(url, o) {
        stats.fetches++;
        const known = {};
        for (const k of Object.keys(o || {})) {
          if (URLFETCH_OPTIONS.indexOf(k) >= 0) {
            known[k] = o[k];
          } else if (stats.unknown_options.indexOf(k) < 0) {
            stats.unknown_options.push(k);
          }
        }
        return fetchImpl(url, known);
      }
    },
    ContentService: {
      MimeType,
      createTextOutput(s) { return new TextOutput(s); }
    },
    PropertiesService: {
      getScriptProperties() { return props; },
      getUserProperties() { return props; },
      getDocumentProperties() { return props; }
    },
    LockService: {
      getScriptLock() {
        return { tryLock() { return true; }, waitLock() {},
          releaseLock() {}, hasLock() { return true; } };
      }
    },
    Utilities: {
      formatDate,
      sleep(ms) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),
        0, 0, ms); },
      base64Encode(s) { return Buffer.from(s).toString('base64'); },
      base64Decode(s) { return Array.from(Buffer.from(s, 'base64')); }
    },
    Logger: { log() { if (opts.log) { opts.log(Array.from(arguments)
      .join(' ')); } } },
    console: {
      log() {}, warn() {}, info() {},
      error() {
        const line = Array.from(arguments).join(' ');
        if (stats.errors.length < 1000) {
          stats.errors.push(line);
        }
        if (opts.log) {
          opts.log(line);
        }
      }
    }
  };
  const ctx = vm.createContext(sandbox);
  const src = fs.readFileSync(file, 'utf8');
  vm.runInContext(src, ctx, { filename: path.basename(file) });
  if (opts.relayUrls) {
    vm.runInContext('RELAY_URLS = ' + JSON.stringify(opts.relayUrls) + ';',
      ctx);
  }
  if (opts.counting !== undefined) {
    vm.runInContext('ENABLE_INVOCATION_COUNTING = ' +
      JSON.stringify(!!opts.counting) + ';', ctx);
  }
  return { ctx, stats, props };
}

/*
 * Run doPost/doGet.  Returns { ok: true, content, mime, header } or
 * { ok: false, message } for a thrown error (as Google reports it).
 */
function invoke(script, fn, e) {
  try {
    const out = script.ctx[fn](e);
    if (!(out instanceof TextOutput)) {
      return { ok: true, content: '', mime: 'TEXT',
        header: 'text/html; charset=utf-8' };
    }
    return { ok: true, content: out.getContent(), mime: out.getMimeType(),
      header: (MIME_HEADER[out.getMimeType()] || 'text/plain') +
        '; charset=utf-8' };
  } catch (err) {
    let msg = err && err.message ? String(err.message) : String(err);
    if (!/^[A-Za-z]*(Error|Exception):/.test(msg)) {
      msg = (err && err.name ? err.name : 'Error') + ': ' + msg;
    }
    return { ok: false, message: msg };
  }
}

module.exports = { load, invoke, curlFetch, QUOTA_MESSAGE, MimeType,
  HTTPResponse, formatDate, URLFETCH_OPTIONS, URLFETCH_TIMEOUT_S };
