'use strict';
/*
 * Unit test of contrib/apps-script/Code.gs in the emulator's Apps Script
 * stand-in (gas.js), with an injected UrlFetchApp.fetch:
 *   node test-codegs.js path/to/Code.gs
 * Prints one line per check; exits non-zero on the first failure.
 */
const assert = require('assert');
const gas = require('./gas.js');

const code = process.argv[2];
let n = 0;

function check(name, fn) {
  fn();
  n++;
  console.log('ok ' + n + ' - ' + name);
}

const GOOD = 'QUJD'.repeat(40);		/* 160 base64 chars */

function withFetch(urls, fetch, counting) {
  return gas.load(code, { relayUrls: urls, fetch, counting });
}

check('valid body is forwarded verbatim as text/plain', () => {
  const seen = [];
  const s = withFetch(['http://exit.example:8443/tunnel'], (url, o) => {
    seen.push({ url, o });
    return new gas.HTTPResponse(200, Buffer.from('UkVQTFk='));
  });
  const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
  assert.ok(r.ok);
  assert.strictEqual(r.content, 'UkVQTFk=');
  assert.strictEqual(r.mime, 'TEXT');
  assert.strictEqual(seen.length, 1);
  assert.strictEqual(seen[0].url, 'http://exit.example:8443/tunnel');
  assert.strictEqual(seen[0].o.method, 'post');
  assert.strictEqual(seen[0].o.contentType, 'text/plain');
  assert.strictEqual(seen[0].o.payload, GOOD);
  assert.strictEqual(seen[0].o.muteHttpExceptions, true);
  assert.strictEqual(seen[0].o.followRedirects, false);
  /* Only UrlFetchApp's documented options (no timeoutSeconds). */
  assert.deepStrictEqual(s.stats.unknown_options, []);
  assert.strictEqual(seen[0].o.timeoutSeconds, undefined);
});

check('the routing token ?r= is passed on to every relay URL', () => {
  const seen = [];
  const s = withFetch(['http://a.example:8443/tunnel',
    'http://b.example/tunnel?x=1'], (url) => {
    seen.push(url);
    return new gas.HTTPResponse(seen.length === 1 ? 502 : 200,
      Buffer.from('UkVQTFk='));
  });
  const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD },
    parameter: { r: '0123456789abcdef' } });
  assert.ok(r.ok);
  assert.deepStrictEqual(seen, [
    'http://a.example:8443/tunnel?r=0123456789abcdef',
    'http://b.example/tunnel?x=1&r=0123456789abcdef']);
  /* Anything but a plain token is dropped, never passed on. */
  for (const bad of ['a&b=c', 'x y', '../', 'a'.repeat(65), '']) {
    seen.length = 0;
    seen.push('skip');		/* the first URL answers 200 now */
    gas.invoke(s, 'doPost', { postData: { contents: GOOD },
      parameter: { r: bad } });
    assert.strictEqual(seen[1], 'http://a.example:8443/tunnel', bad);
  }
  /* Older carriers send none. */
  seen.length = 0;
  seen.push('skip');
  gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
  assert.strictEqual(seen[1], 'http://a.example:8443/tunnel');
});

check('the emulator ignores and counts options UrlFetchApp lacks', () => {
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gas-')),
    'T.gs');
  fs.writeFileSync(f, 'function go() { return UrlFetchApp.fetch("http://x",' +
    ' { method: "post", timeoutSeconds: 5, deadline: 3 }); }');
  let got = null;
  const s = gas.load(f, { fetch: (url, o) => { got = o;
    return new gas.HTTPResponse(200, Buffer.from('')); } });
  s.ctx.go();
  assert.deepStrictEqual(got, { method: 'post' });
  assert.deepStrictEqual(s.stats.unknown_options, ['timeoutSeconds',
    'deadline']);
  assert.strictEqual(gas.URLFETCH_TIMEOUT_S, 60);
  fs.rmSync(path.dirname(f), { recursive: true });
});

check('junk bodies: bad_payload JSON and no UrlFetch spent', () => {
  const s = withFetch(['http://exit.example/tunnel'], () => {
    throw new Error('must not fetch');
  });
  const cases = {
    too_short: 'QUJD',
    bad_length: GOOD + 'Q',
    bad_chars: '<html>' + GOOD.slice(6),
    bad_chars_tail: GOOD.slice(0, -4) + '!!!!',
    empty: ''
  };
  for (const k of Object.keys(cases)) {
    const r = gas.invoke(s, 'doPost', { postData: { contents: cases[k] } });
    assert.ok(r.ok, k);
    assert.strictEqual(r.mime, 'JSON', k);
    const j = JSON.parse(r.content);
    assert.strictEqual(j.e, 'bad_payload', k);
    assert.ok(j.reason, k);
  }
  const r = gas.invoke(s, 'doPost', {});
  assert.strictEqual(JSON.parse(r.content).e, 'bad_payload');
  assert.strictEqual(s.stats.fetches, 0);
});

check('too long body rejected', () => {
  const s = withFetch(['http://exit.example/tunnel'], () => {
    throw new Error('must not fetch');
  });
  const big = 'A'.repeat(12 * 1024 * 1024 + 4);
  const r = gas.invoke(s, 'doPost', { postData: { contents: big } });
  assert.strictEqual(JSON.parse(r.content).reason, 'too_long');
});

check('relay loop detected, before any fetch', () => {
  const loops = [
    'https://script.google.com/macros/s/AKfycbxyz/exec',
    'https://script.google.com/a/macros/example.com/s/AKfycbxyz/exec',
    'https://script.googleusercontent.com/macros/echo?user_content_key=x',
    'HTTPS://SCRIPT.GOOGLE.COM/macros/s/x/exec'
  ];
  for (const u of loops) {
    const s = withFetch(['http://ok.example/tunnel', u], () => {
      throw new Error('must not fetch');
    });
    const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
    assert.ok(!r.ok, u);
    assert.ok(/relay_loop_detected/.test(r.message), r.message);
    assert.strictEqual(s.stats.fetches, 0);
  }
  const s = withFetch(['https://script.google.com.evil.example/tunnel'],
    () => new gas.HTTPResponse(200, Buffer.from('x')));
  assert.ok(gas.invoke(s, 'doPost', { postData: { contents: GOOD } }).ok);
});

check('relays tried in order; first 200 wins', () => {
  const order = [];
  const s = withFetch(['http://a/tunnel', 'http://b/tunnel',
    'http://c/tunnel'], (url) => {
    order.push(url);
    if (url === 'http://a/tunnel') {
      throw new Error('Exception: Address unavailable: http://a/tunnel');
    }
    if (url === 'http://b/tunnel') {
      return new gas.HTTPResponse(502, Buffer.from('bad gateway'));
    }
    return new gas.HTTPResponse(200, Buffer.from('from-c'));
  });
  const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
  assert.ok(r.ok);
  assert.strictEqual(r.content, 'from-c');
  assert.deepStrictEqual(order, ['http://a/tunnel', 'http://b/tunnel',
    'http://c/tunnel']);
});

check('all relays failing throws with each reason', () => {
  const s = withFetch(['http://a/tunnel', 'http://b/tunnel'], (url) => {
    if (url === 'http://a/tunnel') {
      return new gas.HTTPResponse(204, Buffer.from(''));
    }
    throw new Error(gas.QUOTA_MESSAGE);
  });
  const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
  assert.ok(!r.ok);
  assert.strictEqual(r.message, 'Error: upstream status 204 | upstream ' +
    'fetch error: Service invoked too many times for one day: urlfetch.');
});

check('the error page never shows the exit: generic text, detail logged',
  () => {
    const exit = 'http://203.0.113.7:8443/tunnel';
    const s = withFetch([exit, 'http://198.51.100.9/tunnel',
      'http://192.0.2.1/tunnel'], (url) => {
      if (url === exit) {
        throw new Error('Exception: Address unavailable: ' + url);
      }
      if (url === 'http://192.0.2.1/tunnel') {
        throw new Error('Exception: Timeout: ' + url);
      }
      return new gas.HTTPResponse(502, Buffer.from('<h1>nginx/1.22.1 at ' +
        '198.51.100.9</h1>' + 'x'.repeat(5000)));
    });
    const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
    assert.ok(!r.ok);
    assert.strictEqual(r.message, 'Error: upstream fetch error: exit ' +
      'unreachable | upstream status 502 | upstream fetch error: timeout');
    assert.ok(!/203\.0|198\.51|192\.0|nginx/.test(r.message));
    /* The owner still sees why, in the execution log, capped. */
    assert.strictEqual(s.stats.errors.length, 3);
    assert.ok(s.stats.errors[0].indexOf('203.0.113.7') >= 0,
      s.stats.errors[0]);
    assert.ok(s.stats.errors[1].indexOf('nginx/1.22.1') >= 0);
    assert.ok(s.stats.errors[1].length < 1024 + 100);
  });

check('a quota error stops at the first URL (the quota is the account\'s)',
  () => {
    const s = withFetch(['http://a/tunnel', 'http://b/tunnel'], () => {
      throw new Error(gas.QUOTA_MESSAGE);
    });
    const r = gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
    assert.ok(/too many times for one day: urlfetch/.test(r.message));
    assert.strictEqual(s.stats.fetches, 1);
  });

check('doGet metadata JSON and legacy text', () => {
  const s = withFetch(['http://a/tunnel', 'http://b/tunnel'], () => null);
  let r = gas.invoke(s, 'doGet', { parameter: {} });
  assert.strictEqual(r.mime, 'JSON');
  const j = JSON.parse(r.content);
  assert.strictEqual(j.ok, true);
  assert.ok(/^\d{4}-\d{2}-\d{2}$/.test(j.date));
  assert.strictEqual(j.count, null);
  assert.strictEqual(j.counting_enabled, false);
  assert.strictEqual(j.max_payload_chars, 12582912);
  /* Google's fixed UrlFetch limit, not a setting. */
  assert.strictEqual(j.timeout_seconds, 60);
  assert.strictEqual(j.relay_count, 2);
  assert.strictEqual(j.version, 2);
  assert.strictEqual(j.protocol, 1);
  r = gas.invoke(s, 'doGet', { parameter: { legacy: '1' } });
  assert.strictEqual(r.content, 'GooseRelay forwarder OK');
  assert.strictEqual(r.mime, 'TEXT');
});

check('invocation counting', () => {
  const s = withFetch(['http://a/tunnel'],
    () => new gas.HTTPResponse(200, Buffer.from('ok')), true);
  for (let i = 0; i < 3; i++) {
    gas.invoke(s, 'doPost', { postData: { contents: GOOD } });
  }
  gas.invoke(s, 'doPost', { postData: { contents: 'junk' } });
  const j = JSON.parse(gas.invoke(s, 'doGet', {}).content);
  assert.strictEqual(j.counting_enabled, true);
  assert.strictEqual(j.count, 3);
});

console.log(n + ' checks passed');
