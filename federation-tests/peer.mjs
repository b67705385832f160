// An independent ActivityPub peer built on Fedify: one Person ("peer") with its own RSA key,
// a personal and a shared inbox that record every activity whose signature Fedify verified,
// helpers to send activities and to read documents signed or unsigned, and a log of every HTTP
// request the peer made. Served over plain HTTP on loopback.

import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { createFederation, fetchKey, generateCryptoKeyPair, MemoryKvStore, signRequest } from "@fedify/fedify";
import {
  Accept,
  Announce,
  Create,
  CryptographicKey,
  Delete,
  Endpoints,
  Flag,
  Follow,
  Like,
  Note,
  Person,
  Undo,
  Update,
} from "@fedify/vocab";

const AP = "application/activity+json";

// Fedify makes all its HTTP requests through `globalThis.fetch`, looked up at each call, so one
// wrapper sees them all. Whatever a peer does (serving a request, sending, reading) runs inside
// its own log, so two peers in one process, and the tests' own requests, are told apart.
const outgoingLog = new AsyncLocalStorage();
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const log = outgoingLog.getStore();
  if (log === undefined) return await plainFetch(input, init);
  const request = input instanceof Request ? input : undefined;
  // Read off the arguments rather than copied into a new Request, which would consume the body.
  const headers = new Headers(init?.headers ?? request?.headers);
  const entry = {
    method: (init?.method ?? request?.method ?? "GET").toUpperCase(),
    url: request?.url ?? String(input),
    scheme: headers.has("signature-input") ? "rfc9421" : headers.has("signature") ? "draft-cavage" : "unsigned",
    status: null,
  };
  log.push(entry);
  const response = await plainFetch(input, init);
  entry.status = response.status;
  return response;
};

// The status and body (JSON when it parses) of a response.
async function readResponse(response) {
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, body };
}

export async function startPeer(port) {
  const base = `http://localhost:${port}`;
  const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const received = [];
  // Every POST that reached the peer, as it came, before Fedify (which drops an activity id it
  // has seen) reads it: { path, id, body } (body: the JSON as sent, null if it was not JSON).
  const incoming = [];
  // Every request this peer made, in the order made: { method, url, scheme, status }, where scheme
  // is "rfc9421", "draft-cavage" or "unsigned", and status stays null if no response came.
  const outgoing = [];
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

  const server = http.createServer((req, res) => outgoingLog.run(outgoing, () => serve(req, res)));
  const serve = async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (req.method === "POST") {
      let id = null;
      let json = null;
      try {
        json = JSON.parse(body.toString());
        id = json.id ?? null;
      } catch {
        // Not JSON: counted without an id.
      }
      incoming.push({ path: req.url, id, body: json });
    }
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
  };
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));

  const context = () => federation.createContext(new URL(base), undefined);
  const actorId = new URL(`${base}/users/peer`);
  let counter = 0;
  const nextId = (kind) => new URL(`${base}/${kind}/${Date.now()}-${++counter}`);

  return {
    base,
    actorId,
    received,
    incoming,
    outgoing,
    // Stops listening and drops open connections, as a server that went down would.
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
    async send(recipient, activity) {
      await outgoingLog.run(outgoing, () => context().sendActivity({ identifier: "peer" }, recipient, activity));
    },
    // A GET for the ActivityPub document at url, signed with the peer's key in the given scheme
    // ("rfc9421" or "draft-cavage-http-signatures-12"), tried once: { status, body }.
    async fetchSigned(url, spec = "rfc9421") {
      return await outgoingLog.run(outgoing, async () => {
        const [{ keyId }] = await context().getActorKeyPairs("peer");
        const request = new Request(url, { headers: { accept: AP } });
        return await readResponse(await fetch(await signRequest(request, keyPair.privateKey, keyId, { spec })));
      });
    },
    // The same GET, unsigned: { status, body }.
    async fetchUnsigned(url) {
      return await outgoingLog.run(outgoing, async () => readResponse(await fetch(url, { headers: { accept: AP } })));
    },
    // A public key as Fedify fetches one to check a delivery to its shared inbox: unsigned,
    // through the federation's own loader (whose short-lived cache only ever holds what it fetched
    // unsigned), bypassing the key cache. Null if no usable key was found.
    async fetchKey(keyId) {
      return await outgoingLog.run(outgoing, async () => {
        const { documentLoader, contextLoader } = context();
        return (await fetchKey(new URL(keyId), CryptographicKey, { documentLoader, contextLoader })).key;
      });
    },
    // The object at url as Fedify's own lookup reads it: through the loader that signs as the
    // peer, RFC 9421 first and draft-cavage if refused. Null if it could not be read.
    async lookup(url) {
      return await outgoingLog.run(outgoing, async () => {
        const ctx = context();
        const documentLoader = await ctx.getDocumentLoader({ identifier: "peer" });
        return await ctx.lookupObject(url, { documentLoader });
      });
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
    // A report, as Mastodon's report form makes one: the reported objects and the reason.
    flag(objects, content) {
      return new Flag({ id: nextId("flags"), actor: actorId, objects: objects.map((o) => new URL(o)), content });
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
