// An independent ActivityPub peer built on Fedify: one Person ("peer") with its own RSA key,
// a personal and a shared inbox that record every activity whose signature Fedify verified, and
// helpers to send activities. Served over plain HTTP on loopback.

import http from "node:http";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import { Accept, Announce, Create, Endpoints, Follow, Like, Note, Person, Undo, Update, Delete } from "@fedify/vocab";

export async function startPeer(port) {
  const base = `http://localhost:${port}`;
  const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const received = [];
  const federation = createFederation({
    kv: new MemoryKvStore(),
    origin: base,
    // Everything here runs on loopback.
    allowPrivateAddress: true,
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== "peer") return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Fedify Peer",
        url: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((key) => key.multikey),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "peer" ? [keyPair] : []));
  const record = async (_ctx, activity) => {
    received.push(await activity.toJsonLd({ format: "compact" }));
  };
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Accept, record)
    .on(Announce, record)
    .on(Create, record)
    .on(Update, record)
    .on(Delete, record)
    .on(Like, record)
    .on(Undo, record);

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const request = new Request(new URL(req.url, base), {
      method: req.method,
      headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
    });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));

  const context = () => federation.createContext(new URL(base), undefined);
  const actorId = new URL(`${base}/users/peer`);
  let counter = 0;
  const nextId = (kind) => new URL(`${base}/${kind}/${Date.now()}-${++counter}`);

  return {
    base,
    actorId,
    received,
    // Stops listening and drops open connections, as a server that went down would.
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
    async send(recipient, activity) {
      await context().sendActivity({ identifier: "peer" }, recipient, activity);
    },
    follow(target) {
      return new Follow({ id: nextId("follows"), actor: actorId, object: new URL(target) });
    },
    reply(inReplyTo, content, to) {
      const note = new Note({
        id: nextId("notes"),
        attribution: actorId,
        replyTarget: new URL(inReplyTo),
        content,
        to: new URL(to),
      });
      return new Create({ id: nextId("creates"), actor: actorId, object: note, to: new URL(to) });
    },
    // The reply's note edited: same id, new content.
    async edit(create, content, to) {
      const edited = (await create.getObject()).clone({ content });
      return new Update({ id: nextId("updates"), actor: actorId, object: edited, to: new URL(to) });
    },
    remove(objectId, to) {
      return new Delete({ id: nextId("deletes"), actor: actorId, object: new URL(objectId), to: new URL(to) });
    },
    like(object) {
      return new Like({ id: nextId("likes"), actor: actorId, object: new URL(object) });
    },
    async waitFor(what, matches, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = received.find(matches);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the Fedify peer received no ${what}; it has ${JSON.stringify(received, null, 1)}`);
    },
  };
}
