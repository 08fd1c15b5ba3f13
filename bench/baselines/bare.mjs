/**
 * Baseline `bare`: the practical limit of this stack. A minimal `ws` relay that inserts each
 * widget message into better-sqlite3 (WAL, one prepared statement) and forwards it to every
 * connected staff socket. No validation, no encryption, no audit.
 *
 *   node bench/baselines/bare.mjs <port> <dataDir>
 *   widget side: ws://host:port/widget   frames: {"id":n,"body":"..."}
 *   staff side:  ws://host:port/staff    receives the same frame with the stored row id
 */
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 4100);
const dataDir = process.argv[3] ?? '/tmp/bench-bare';
mkdirSync(dataDir, { recursive: true });
const db = new Database(join(dataDir, 'bare.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO messages (conversation, body, created_at) VALUES (?, ?, ?)');

const staff = new Set();
const server = createServer((_req, res) => { res.writeHead(200); res.end('ok'); });
const wss = new WebSocketServer({ server });
let nextVisitor = 0;
wss.on('connection', (ws, req) => {
  if (req.url?.startsWith('/staff')) {
    staff.add(ws);
    ws.on('close', () => staff.delete(ws));
    return;
  }
  const conversation = `v${nextVisitor++}`;
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data));
    const { lastInsertRowid } = insert.run(conversation, frame.body, Date.now());
    const out = JSON.stringify({ ...frame, rowId: Number(lastInsertRowid), conversation });
    for (const s of staff) s.send(out);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
