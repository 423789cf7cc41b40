// A minimal Node.js + ws broadcast server: the seed system's design, for the fan-out
// benchmark (bench/fanout.py). Deliberately plain, as a user would write it:
//   GET  /ws       -> WebSocket; every socket gets every broadcast message
//   POST /publish  -> body is a JSON array of message strings; each is sent to every
//                     open socket with ws.send() (ws's defaults: no permessage-deflate)
//   GET  /stats    -> {"sockets": n, "rss": bytes}
// Listens on 127.0.0.1 and an ephemeral port, printed as "listening on http://HOST:PORT".
'use strict';
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const messages = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const message of messages) {
        for (const client of wss.clients) {
          if (client.readyState === WebSocket.OPEN) client.send(message);
        }
      }
      res.writeHead(204);
      res.end();
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ sockets: wss.clients.size, rss: process.memoryUsage().rss }));
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
