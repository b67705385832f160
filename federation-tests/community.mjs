// A second Fedify peer that behaves as a Lemmy community does: a Group ("club") with its
// moderators published as `attributedTo` (and `moderators`), an outbox of
// `Announce{Create{Page}}`, threads as `Page`s by its member "mod" and comments as `Note`s with
// `inReplyTo`, and everything that happens in it re-broadcast to its followers as
// `Announce{activity}`. It accepts Follows, keeps what its inboxes receive, and answers the
// documents it names. Served over plain HTTP on loopback.

import http from "node:http";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Accept,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Group,
  Note,
  Page,
  Person,
  Undo,
  Update,
} from "@fedify/vocab";

const PUBLIC = new URL("https://www.w3.org/ns/activitystreams#Public");

export async function startCommunity(port) {
  const base = `http://localhost:${port}`;
  const keys = {
    club: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
    mod: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  };
  const groupId = new URL(`${base}/users/club`);
  const modId = new URL(`${base}/users/mod`);
  const moderatorsId = new URL(`${base}/users/club/moderators`);
  const followersId = new URL(`${base}/users/club/followers`);
  // Threads and comments by id (their path's number), as the community holds them now.
  const posts = new Map();
  // Who follows the community: { id, inbox } of each follower's actor.
  const followers = [];
  // What its inboxes received, as JSON.
  const received = [];
  let counter = 0;
  const nextId = (kind) => new URL(`${base}/${kind}/${Date.now()}-${++counter}`);

  const federation = createFederation({ kv: new MemoryKvStore(), origin: base, allowPrivateAddress: true });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      const pairs = await ctx.getActorKeyPairs(identifier);
      if (identifier === "club") {
        return new Group({
          id: groupId,
          preferredUsername: "club",
          name: "The Club",
          summary: "<p>A community on a Lemmy-like server.</p>",
          url: groupId,
          inbox: ctx.getInboxUri(identifier),
          outbox: ctx.getOutboxUri(identifier),
          followers: followersId,
          endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
          // Lemmy 0.19 names its moderators collection here.
          attribution: moderatorsId,
          publicKey: pairs[0].cryptographicKey,
        });
      }
      if (identifier === "mod") {
        return new Person({
          id: modId,
          preferredUsername: "mod",
          name: "The Moderator",
          url: modId,
          inbox: ctx.getInboxUri(identifier),
          publicKey: pairs[0].cryptographicKey,
        });
      }
      return null;
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => (keys[identifier] ? [keys[identifier]] : []));
  federation.setObjectDispatcher(Page, "/post/{id}", async (_ctx, { id }) => {
    const post = posts.get(`post/${id}`);
    return post instanceof Page ? post : null;
  });
  federation.setObjectDispatcher(Note, "/comment/{id}", async (_ctx, { id }) => {
    const post = posts.get(`comment/${id}`);
    return post instanceof Note ? post : null;
  });
  // The history, newest first, as Lemmy lists it: the community's Announce of each Create{Page}.
  federation.setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, identifier) => {
    if (identifier !== "club") return null;
    const threads = [...posts.values()].filter((p) => p instanceof Page).reverse();
    return {
      items: threads.map(
        (page) =>
          new Announce({
            id: new URL(`${page.id.href}/announce`),
            actor: groupId,
            to: PUBLIC,
            cc: followersId,
            object: new Create({ id: new URL(`${page.id.href}/create`), actor: modId, to: PUBLIC, cc: groupId, object: page }),
          }),
      ),
    };
  });

  const record = async (_ctx, activity) => {
    received.push(await activity.toJsonLd({ format: "compact" }));
  };
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, async (ctx, follow) => {
      await record(ctx, follow);
      const follower = await follow.getActor(ctx);
      if (follower?.id == null || follower.inboxId == null) return;
      followers.push({ id: follower.id, inboxId: follower.endpoints?.sharedInbox ?? follower.inboxId });
      await ctx.sendActivity(
        { identifier: "club" },
        follower,
        new Accept({ id: nextId("accepts"), actor: groupId, object: follow, to: follower.id }),
      );
    })
    .on(Create, record)
    .on(Update, record)
    .on(Delete, record)
    .on(Undo, record);

  const server = http.createServer(async (req, res) => {
    // Lemmy's moderators collection: a plain list of actors.
    if (req.method === "GET" && req.url === "/users/club/moderators") {
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.end(JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", type: "OrderedCollection", id: moderatorsId.href, orderedItems: [modId.href] }));
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const request = new Request(new URL(req.url, base), {
      method: req.method,
      headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : Buffer.concat(chunks),
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

  // Re-broadcasts an activity of the moderator to every follower, as the community does.
  const announce = async (activity) => {
    const wrapped = new Announce({ id: nextId("announces"), actor: groupId, to: PUBLIC, cc: followersId, object: activity });
    for (const follower of followers) {
      await context().sendActivity({ identifier: "club" }, follower, wrapped);
    }
  };

  return {
    base,
    groupId,
    received,
    handle: `club@${new URL(base).host}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
    // A thread the moderator started before anyone followed: in the outbox, never delivered.
    thread(number, title, content) {
      const id = new URL(`${base}/post/${number}`);
      const page = new Page({ id, attribution: modId, name: title, content, mediaType: "text/html", tos: [groupId, PUBLIC], audience: groupId });
      posts.set(`post/${number}`, page);
      return page;
    },
    // A new thread, announced to the followers.
    async announceThread(number, title, content) {
      const page = this.thread(number, title, content);
      await announce(new Create({ id: nextId("creates"), actor: modId, to: PUBLIC, cc: groupId, object: page, audiences: [groupId] }));
      return page;
    },
    // The moderator's comment under a post, announced.
    async comment(number, inReplyTo, content) {
      const note = new Note({ id: new URL(`${base}/comment/${number}`), attribution: modId, replyTarget: new URL(inReplyTo), content, to: PUBLIC, cc: groupId, audience: groupId });
      posts.set(`comment/${number}`, note);
      await announce(new Create({ id: nextId("creates"), actor: modId, to: PUBLIC, cc: groupId, object: note }));
      return note;
    },
    // The moderator renames a thread: Announce{Update{Page}}.
    async rename(number, title) {
      const page = posts.get(`post/${number}`).clone({ name: title });
      posts.set(`post/${number}`, page);
      await announce(new Update({ id: nextId("updates"), actor: modId, to: PUBLIC, cc: groupId, object: page }));
    },
    // The moderator deletes their comment: gone from the server, then Announce{Delete}.
    async deleteComment(number) {
      const id = posts.get(`comment/${number}`).id;
      posts.delete(`comment/${number}`);
      await announce(new Delete({ id: nextId("deletes"), actor: modId, to: PUBLIC, cc: groupId, object: id }));
    },
    async waitFor(what, matches, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = received.find(matches);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the community received no ${what}; it has ${JSON.stringify(received, null, 1)}`);
    },
  };
}
