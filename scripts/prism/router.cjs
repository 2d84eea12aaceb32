// For scripts/prism-check.sh: one API URL for bcprune, requests routed by API family — the V2 orders
// (`/stores/{hash}/v2/…`) to Prism, which validates them and the fake store's answers against
// orders.v2.yml, everything else (the customers V3 lookups) straight to the fake store. Prism proxies
// one spec at a time; bcprune sends both families through one base URL.
// Usage: node router.cjs LISTEN_PORT ORDERS_PORT OTHER_PORT
'use strict';
const http = require('http');
const [listen, orders, other] = process.argv.slice(2).map(Number);
http
  .createServer((req, res) => {
    const port = /^\/stores\/[^/]+\/v2\//.test(req.url) ? orders : other;
    const upstream = http.request(
      { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`router: ${error.message}\n`);
    });
    req.pipe(upstream);
  })
  .listen(listen, '127.0.0.1');
