// Stoa federating for real: `stoa serve` processes on loopback, each with its own database and
// host name, and an independent peer built on Fedify, driven through the scenarios a Mastodon or
// Lemmy user would go through.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startPeer } from "./peer.mjs";
import { freePort, startStoa } from "./stoa.mjs";

const AP = "application/activity+json";
let a;
let b;
let peer;

before(async () => {
  [a, b] = await Promise.all([startStoa(), startStoa()]);
  peer = await startPeer(await freePort());
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop(), peer?.stop()]);
});

async function getJson(url, accept = AP) {
  const response = await fetch(url, { headers: { accept } });
  assert.equal(response.status, 200, `${url}: ${response.status}`);
  return await response.json();
}

test("webfinger and actor lookup of a forum and a member, on each instance", async () => {
  await a.member("alice");
  for (const instance of [a, b]) {
    const host = new URL(instance.base).host;
    const finger = await getJson(
      `${instance.base}/.well-known/webfinger?resource=acct:books@${host}`,
      "application/jrd+json",
    );
    const self = finger.links.find((link) => link.rel === "self");
    assert.equal(self.href, `${instance.base}/f/books`);
    const group = await getJson(self.href);
    assert.equal(group.type, "Group");
    assert.equal(group.preferredUsername, "books");
    assert.ok(group.publicKey.publicKeyPem.includes("BEGIN PUBLIC KEY"));
  }
  const person = await getJson(`${a.base}/u/alice`);
  assert.equal(person.type, "Person");
  assert.equal(person.inbox, `${a.base}/u/alice/inbox`);
});

test("the Fedify peer follows a forum, sees its threads, and joins them", async () => {
  const token = await a.member("bora");
  const forum = `${a.base}/f/books`;

  // Follow → Accept, both signed and verified by the other side.
  const follow = peer.follow(forum);
  await peer.send({ id: new URL(forum), inboxId: new URL(`${forum}/inbox`) }, follow);
  const accept = await peer.waitFor("Accept", (activity) => activity.type === "Accept");
  assert.equal(accept.actor, forum);
  const page = await fetch(`${a.base}/f/books`).then((r) => r.text());
  assert.match(page, /1 follower/);

  // A new local thread reaches the peer.
  const thread = await a.api("POST", "/api/v1/forums/books/threads", { title: "Fedify meets Stoa", body: "Hello, **fediverse**." }, token);
  assert.equal(thread.status, 201);
  const pageId = `${a.base}/t/${thread.body.id}`;
  const announced = await peer.waitFor("Announce of the new thread", (activity) =>
    activity.type === "Announce" && JSON.stringify(activity).includes(pageId),
  );
  assert.equal(announced.actor, forum);

  // The peer's reply, addressed only to the thread's author, lands under the starter post.
  await peer.send(
    { id: new URL(`${a.base}/u/bora`), inboxId: new URL(`${a.base}/u/bora/inbox`) },
    peer.reply(pageId, "<p>Greetings from Fedify.</p>", `${a.base}/u/bora`),
  );
  let view;
  for (let i = 0; i < 50; i++) {
    view = (await a.api("GET", `/api/v1/threads/${thread.body.id}`)).body;
    if (view.posts.length === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(view.posts.length, 2);
  const remote = view.posts[1];
  assert.equal(remote.depth, 1);
  assert.equal(remote.parent_id, thread.body.post_id);
  assert.equal(remote.author.local, false);
  assert.equal(remote.author.name, `peer@${new URL(peer.base).host}`);
  assert.match(remote.body_html, /Greetings from Fedify/);

  // A local reply reaches the peer.
  const reply = await a.api("POST", `/api/v1/threads/${thread.body.id}/replies`, { parent_id: remote.id, body: "Welcome!" }, token);
  assert.equal(reply.status, 201);
  const replyId = `${a.base}/p/${reply.body.post_id}`;
  await peer.waitFor("Announce of the local reply", (activity) =>
    activity.type === "Announce" && JSON.stringify(activity).includes(replyId),
  );

  // Likes travel: the peer's Like is counted on the post.
  await peer.send({ id: new URL(forum), inboxId: new URL(`${a.base}/inbox`) }, peer.like(pageId));
  let liked;
  for (let i = 0; i < 50; i++) {
    liked = (await a.api("GET", `/api/v1/threads/${thread.body.id}`)).body.posts[0].like_count;
    if (liked === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(liked, 1);
});

test("an unsigned activity is refused with 401", async () => {
  const response = await fetch(`${a.base}/inbox`, {
    method: "POST",
    headers: { "content-type": AP },
    body: JSON.stringify({ id: `${peer.base}/x`, type: "Follow", actor: peer.actorId.href, object: `${a.base}/f/books` }),
  });
  assert.equal(response.status, 401);
});
