'use strict';
/*
 * A stand-in for the exit's POST /tunnel, for transport tests that do not
 * need the real exit:  node fake-exit.js PORT
 * POST /tunnel answers 200 text/plain with the request body (an echo);
 * POST /status/<N> answers status N with an empty body.
 */
const http = require('http');
const port = parseInt(process.argv[2], 10);
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const m = /^\/status\/(\d+)/.exec(req.url);
    if (m) {
      res.writeHead(parseInt(m[1], 10), { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => {
  process.stderr.write('fake-exit ready on ' + port + '\n');
});
process.on('SIGTERM', () => process.exit(0));
