'use strict';
// The image's HEALTHCHECK: healthy when GET /healthz answers 200.
const http = require('http');
const port = Number(process.env.PORT || 8080);
const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
