/**
 * Baseline `socketio`: the same relay as `bare`, on socket.io, with the same insert: what most
 * teams would build. Widgets emit `message`; staff sockets join the `staff` room and get it back.
 *
 *   node bench/baselines/socketio.mjs <port> <dataDir>
 */
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 4200);
const dataDir = process.argv[3] ?? '/tmp/bench-socketio';
mkdirSync(dataDir, { recursive: true });
const db = new Database(join(dataDir, 'socketio.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO messages (conversation, body, created_at) VALUES (?, ?, ?)');

const server = createServer((_req, res) => { res.writeHead(200); res.end('ok'); });
const io = new Server(server, { serveClient: false });
io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'staff') {
    socket.join('staff');
    return;
  }
  const conversation = socket.id;
  socket.on('message', (frame) => {
    const { lastInsertRowid } = insert.run(conversation, frame.body, Date.now());
    io.to('staff').emit('message', { ...frame, rowId: Number(lastInsertRowid), conversation });
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
