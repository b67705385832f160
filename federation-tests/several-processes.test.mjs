// Two `stoa serve` processes on one database (the same SQLite file, or the same PostgreSQL
// database when STOA_TEST_DATABASE_URL is set) behind one public URL, as in production behind a
// load balancer: threads and replies written through both at once reach a following peer each
// exactly once, and a session made on one process works on the other.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { startPeer } from "./peer.mjs";
import { freePort, startStoa } from "./stoa.mjs";

let first;
let second;
let proxy;
let peer;

// A proxy on `port` that hands requests to the backends in turn, headers (Host included) and
// body as they came.
async function startProxy(port, backends) {
  let next = 0;
  const server = http.createServer((req, res) => {
    const backend = backends[next++ % backends.length];
    const forward = http.request(
      { host: "127.0.0.1", port: backend.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

before(async () => {
  const port = await freePort();
  const publicBase = `http://localhost:${port}`;
  // One after the other: the first creates the schema and the starter forums.
  first = await startStoa({ publicBase });
  second = await startStoa({ publicBase, dataDir: first.dataDir, database: first.database });
  proxy = await startProxy(port, [first, second]);
  peer = await startPeer(await freePort());
});

after(async () => {
  await Promise.all([first?.stop(), second?.stop(), proxy?.stop(), peer?.stop()]);
});

async function until(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`gave up waiting: ${what}`);
}

test("two processes on one database send each activity once, and share sessions", async () => {
  const forum = `${first.base}/f/books`;
  await peer.send({ id: new URL(forum), inboxId: new URL(`${forum}/inbox`) }, peer.follow(forum));
  await peer.waitFor("Accept", (activity) => activity.type === "Accept");

  // A session made on one process works on the other.
  const token = await first.member("ana");
  const me = await second.api("GET", "/api/v1/follows", undefined, token);
  assert.equal(me.status, 200, JSON.stringify(me.body));

  // Threads and replies written through both processes at once.
  const threads = await Promise.all(
    [first, second, first, second].map((process, n) =>
      process.api("POST", "/api/v1/forums/books/threads", { title: `Thread ${n}`, body: `Body ${n}.` }, token),
    ),
  );
  for (const thread of threads) assert.equal(thread.status, 201, JSON.stringify(thread.body));
  const replies = await Promise.all(
    threads.flatMap((thread, n) =>
      [first, second].map((process) =>
        process.api(
          "POST",
          `/api/v1/threads/${thread.body.id}/replies`,
          { parent_id: thread.body.post_id, body: `A reply to ${n}.` },
          token,
        ),
      ),
    ),
  );
  for (const reply of replies) assert.equal(reply.status, 201, JSON.stringify(reply.body));

  // Each new thread is announced twice (Create and the plain Announce), each reply once.
  const expected = threads.length * 2 + replies.length;
  const announces = () => peer.incoming.filter((request) => request.id?.includes("/activities/announce"));
  await until(`${expected} announces`, () => new Set(announces().map((r) => r.id)).size >= expected);
  // Both processes keep working a while longer: nothing may arrive twice.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const ids = announces().map((request) => request.id);
  assert.equal(new Set(ids).size, expected, JSON.stringify(ids));
  assert.equal(ids.length, expected, `an activity arrived twice: ${JSON.stringify(ids.sort())}`);
});
