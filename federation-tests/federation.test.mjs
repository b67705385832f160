// Stoa federating for real: `stoa serve` processes on loopback, each with its own database and
// host name, and an independent peer built on Fedify, driven through the scenarios a Mastodon or
// Lemmy user would go through.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startCommunity } from "./community.mjs";
import { startPeer } from "./peer.mjs";
import { freePort, startStoa } from "./stoa.mjs";

const AP = "application/activity+json";
let a;
let b;
let peer;
let community;

before(async () => {
  [a, b] = await Promise.all([startStoa(), startStoa()]);
  peer = await startPeer(await freePort());
  community = await startCommunity(await freePort());
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop(), peer?.stop(), community?.stop()]);
});

async function until(what, check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`gave up waiting: ${what}`);
}

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

  // Edits and deletions travel both ways.
  const peerReply = peer.reply(pageId, "<p>Typo here.</p>", `${a.base}/u/bora`);
  await peer.send({ id: new URL(`${a.base}/u/bora`), inboxId: new URL(`${a.base}/u/bora/inbox`) }, peerReply);
  const peerNote = (await peerReply.getObject()).id.href;
  const replyPosts = async () => (await a.api("GET", `/api/v1/threads/${thread.body.id}`)).body.posts;
  await until("the peer's second reply lands", async () => (await replyPosts()).length === 4);
  await peer.send(
    { id: new URL(`${a.base}/u/bora`), inboxId: new URL(`${a.base}/u/bora/inbox`) },
    await peer.edit(peerReply, "<p>Typo fixed.</p>", `${a.base}/u/bora`),
  );
  await until("the peer's edit shows", async () =>
    (await replyPosts()).some((post) => post.body_html.includes("Typo fixed")),
  );
  await peer.send(
    { id: new URL(`${a.base}/u/bora`), inboxId: new URL(`${a.base}/u/bora/inbox`) },
    peer.remove(peerNote, `${a.base}/u/bora`),
  );
  await until("the peer's deletion shows", async () =>
    (await replyPosts()).some((post) => post.deleted && post.author.local === false),
  );
  const edited = await a.api("PATCH", `/api/v1/posts/${thread.body.post_id}`, { body: "Hello, edited **fediverse**." }, token);
  assert.equal(edited.status, 200);
  await peer.waitFor("Announce of the edit", (activity) =>
    activity.type === "Announce" && activity.object?.type === "Update" && JSON.stringify(activity).includes("edited"),
  );
  const removed = await a.api("DELETE", `/api/v1/posts/${reply.body.post_id}`, undefined, token);
  assert.equal(removed.status, 204);
  await peer.waitFor("Announce of the deletion", (activity) =>
    activity.type === "Announce" && activity.object?.type === "Delete" && JSON.stringify(activity).includes(replyId),
  );
});

test("the Fedify peer's RFC 9421 signatures verify on the first knock", async () => {
  // A forum no other test follows, on the instance the peer has not written to yet: Fedify
  // remembers per server which scheme worked, so this is the peer's very first knock there.
  const token = await b.member("bea");
  const forum = `${b.base}/f/music`;
  const inboxOf = (url) => ({ id: new URL(url), inboxId: new URL(`${url}/inbox`) });
  await peer.send(inboxOf(forum), peer.follow(forum));
  await peer.waitFor("Accept from the music forum", (activity) => activity.type === "Accept" && activity.actor === forum);
  const thread = await b.api("POST", "/api/v1/forums/music/threads", { title: "First knock", body: "Knock knock." }, token);
  assert.equal(thread.status, 201);
  const pageId = `${b.base}/t/${thread.body.id}`;
  await peer.send(inboxOf(`${b.base}/u/bea`), peer.reply(pageId, "<p>Who is there?</p>", `${b.base}/u/bea`));
  await peer.send({ id: new URL(forum), inboxId: new URL(`${b.base}/inbox`) }, peer.like(pageId));
  await until("the peer's reply and like land", async () => {
    const posts = (await b.api("GET", `/api/v1/threads/${thread.body.id}`)).body.posts;
    return posts.length === 2 && posts[0].like_count === 1;
  });

  // A forum inbox, a member inbox and the shared inbox: each took RFC 9421 the first time, so
  // the peer never fell back to draft-cavage.
  const posts = peer.outgoing.filter((request) => request.method === "POST" && new URL(request.url).origin === b.base);
  const listed = JSON.stringify(posts, null, 1);
  assert.equal(posts.length, 3, listed);
  assert.deepEqual(posts.filter((request) => request.status === 401), [], `a POST was refused: ${listed}`);
  for (const request of posts) {
    assert.equal(request.scheme, "rfc9421", listed);
    assert.ok(request.status >= 200 && request.status < 300, listed);
  }
});

test("in authorized-fetch mode Stoa refuses the peer's unsigned GET and answers its signed one", async () => {
  const d = await startStoa({ env: { STOA_AUTHORIZED_FETCH: "1" } });
  const reader = await startPeer(await freePort());
  try {
    const token = await d.member("dora");
    const title = "For signed readers";
    const thread = await d.api("POST", "/api/v1/forums/books/threads", { title, body: "Show your key." }, token);
    assert.equal(thread.status, 201);
    const pageId = `${d.base}/t/${thread.body.id}`;

    // The thread: refused unsigned, served signed in either scheme.
    assert.equal((await reader.fetchUnsigned(pageId)).status, 401);
    for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"]) {
      const signed = await reader.fetchSigned(pageId, spec);
      assert.equal(signed.status, 200, `${spec}: ${JSON.stringify(signed.body)}`);
      assert.equal(signed.body.type, "Page");
      assert.equal(signed.body.name, title);
    }
    // Fedify's own signed lookup gets in on its first knock.
    const before = reader.outgoing.length;
    const page = await reader.lookup(pageId);
    assert.equal(page?.name?.toString(), title);
    assert.deepEqual(
      reader.outgoing.slice(before).map(({ scheme, status }) => ({ scheme, status })),
      [{ scheme: "rfc9421", status: 200 }],
    );

    // Following still works: Stoa reads the peer's actor, and the peer checks the signatures of
    // the Accept and of the Announce of a new thread with the forum's key. Fedify fetches that key
    // signed for its personal inbox and unsigned for its shared one (unless cached by then);
    // either way Stoa answers.
    const forum = `${d.base}/f/books`;
    await reader.send({ id: new URL(forum), inboxId: new URL(`${forum}/inbox`) }, reader.follow(forum));
    await reader.waitFor("Accept", (activity) => activity.type === "Accept" && activity.actor === forum);
    const later = await d.api("POST", "/api/v1/forums/books/threads", { title: "After the follow", body: "Announced." }, token);
    assert.equal(later.status, 201);
    await reader.waitFor("Announce of the thread started after the follow", (activity) =>
      activity.type === "Announce" && JSON.stringify(activity).includes(`${d.base}/t/${later.body.id}`),
    );
    const keyFetches = reader.outgoing.filter((request) => request.method === "GET" && request.url.split("#")[0] === forum);
    assert.ok(keyFetches.length > 0);
    assert.ok(keyFetches.every((request) => request.status === 200), JSON.stringify(keyFetches, null, 1));

    // Unsigned, the forum's actor document is the key only, and that is enough for Fedify.
    const keyOnly = await reader.fetchUnsigned(forum);
    assert.equal(keyOnly.status, 200);
    assert.deepEqual(
      Object.keys(keyOnly.body).filter((key) => key !== "@context").sort(),
      ["id", "inbox", "preferredUsername", "publicKey", "type"],
    );
    assert.equal(keyOnly.body.id, forum);
    const key = await reader.fetchKey(keyOnly.body.publicKey.id);
    assert.equal(key?.ownerId?.href, forum);
    const full = await reader.fetchSigned(forum);
    assert.equal(full.status, 200);
    assert.equal(full.body.type, "Group");
    assert.ok(full.body.outbox, "a signed fetch gets the whole actor document");
  } finally {
    await reader.stop();
    await d.stop();
  }
});

test("a member of one Stoa follows a forum of another and joins its threads", async () => {
  const ada = await a.member("ada");
  const bo = await b.member("bo");
  const bHost = new URL(b.base).host;
  const followed = await a.api("POST", "/api/v1/follows", { forum: `books@${bHost}` }, ada);
  assert.equal(followed.status, 200, JSON.stringify(followed.body));
  assert.equal(followed.body.slug, `books@${bHost}`);
  await until("B accepts the Follow", async () =>
    (await a.api("GET", "/api/v1/follows", undefined, ada)).body.forums[0]?.state === "accepted",
  );

  // B's new thread appears on A.
  const started = await b.api("POST", "/api/v1/forums/books/threads", { title: "From B", body: "Hello from **B**." }, bo);
  assert.equal(started.status, 201);
  let threadOnA;
  await until("B's thread reaches A", async () => {
    const forum = (await a.api("GET", `/api/v1/forums/books@${bHost}`)).body;
    threadOnA = forum.threads?.find((t) => t.title === "From B");
    return threadOnA !== undefined;
  });
  const onA = (await a.api("GET", `/api/v1/threads/${threadOnA.id}`)).body;
  assert.equal(onA.posts[0].author.name, `bo@${bHost}`);
  assert.match(onA.posts[0].body_html, /<strong>B<\/strong>/);

  // A's reply lands on B under the starter; B's like of it reaches A.
  const reply = await a.api("POST", `/api/v1/threads/${threadOnA.id}/replies`, { parent_id: onA.posts[0].id, body: "Hello from A." }, ada);
  assert.equal(reply.status, 201);
  let onB;
  await until("A's reply reaches B", async () => {
    onB = (await b.api("GET", `/api/v1/threads/${started.body.id}`)).body;
    return onB.posts.length === 2;
  });
  assert.equal(onB.posts[1].parent_id, started.body.post_id);
  assert.equal(onB.posts[1].author.name, `ada@${new URL(a.base).host}`);
  const like = await b.api("POST", `/api/v1/posts/${onB.posts[1].id}/like`, {}, bo);
  assert.equal(like.status, 200);
  await until("B's like reaches A", async () =>
    (await a.api("GET", `/api/v1/threads/${threadOnA.id}`)).body.posts[1].like_count === 1,
  );

  // An edit and a deletion on B show on A.
  await b.api("PATCH", `/api/v1/posts/${started.body.post_id}`, { body: "Edited on B." }, bo);
  await until("B's edit reaches A", async () =>
    (await a.api("GET", `/api/v1/threads/${threadOnA.id}`)).body.posts[0].body_html.includes("Edited on B"),
  );
  await b.api("DELETE", `/api/v1/posts/${started.body.post_id}`, undefined, bo);
  await until("B's deletion reaches A", async () =>
    (await a.api("GET", `/api/v1/threads/${threadOnA.id}`)).body.posts[0].deleted === true,
  );
});

test("deliveries wait for a receiver that is down, and survive the sender's restart", async () => {
  // Retries every 2, 4, 8 … seconds instead of minutes.
  const c = await startStoa({ env: { STOA_DELIVERY_RETRY_UNIT_SECS: "1" } });
  const port = await freePort();
  let receiver = await startPeer(port);
  try {
    const token = await c.member("cato");
    const forum = `${c.base}/f/books`;
    await receiver.send({ id: new URL(forum), inboxId: new URL(`${forum}/inbox`) }, receiver.follow(forum));
    await receiver.waitFor("Accept", (activity) => activity.type === "Accept");

    // The receiver goes down; a thread started meanwhile reaches it once it is back.
    await receiver.stop();
    const first = await c.api("POST", "/api/v1/forums/books/threads", { title: "While you were out", body: "One." }, token);
    assert.equal(first.status, 201);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    receiver = await startPeer(port);
    await receiver.waitFor("the thread started while it was down", (activity) =>
      activity.type === "Announce" && JSON.stringify(activity).includes(`${c.base}/t/${first.body.id}`),
    30000);

    // Down again; this time the sender restarts before the receiver comes back.
    await receiver.stop();
    const second = await c.api("POST", "/api/v1/forums/books/threads", { title: "Across a restart", body: "Two." }, token);
    assert.equal(second.status, 201);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await c.restart();
    receiver = await startPeer(port);
    await receiver.waitFor("the thread started before the sender restarted", (activity) =>
      activity.type === "Announce" && JSON.stringify(activity).includes(`${c.base}/t/${second.body.id}`),
    30000);
  } finally {
    await receiver.stop();
    await c.stop();
  }
});

test("an unsigned activity is refused with 401", async () => {
  const response = await fetch(`${a.base}/inbox`, {
    method: "POST",
    headers: { "content-type": AP },
    body: JSON.stringify({ id: `${peer.base}/x`, type: "Follow", actor: peer.actorId.href, object: `${a.base}/f/books` }),
  });
  assert.equal(response.status, 401);
});

test("a report from the Fedify peer summons a jury of members, who hide the post", async () => {
  // A small forum's settings: juries of three, accounts of any age.
  const c = await startStoa({ env: { STOA_JURY_SIZE: "3", STOA_JURY_MIN_ACCOUNT_AGE_DAYS: "0" } });
  try {
    const ann = await c.member("ann");
    const spammer = await c.member("spammer");
    const thread = await c.api("POST", "/api/v1/forums/books/threads", { title: "Reading lists", body: "Lists?" }, ann);
    assert.equal(thread.status, 201);
    const spam = await c.api("POST", `/api/v1/threads/${thread.body.id}/replies`, { parent_id: thread.body.post_id, body: "Buy my pills." }, spammer);
    assert.equal(spam.status, 201);
    // Those who may sit: members who wrote lately — ann, jo and kim; never the author.
    const jurors = [];
    for (const name of ["jo", "kim"]) {
      const token = await c.member(name);
      await c.api("POST", `/api/v1/threads/${thread.body.id}/replies`, { parent_id: thread.body.post_id, body: `${name} reads.` }, token);
      jurors.push(token);
    }

    const reported = `${c.base}/p/${spam.body.post_id}`;
    await peer.send(
      { id: new URL(`${c.base}/f/books`), inboxId: new URL(`${c.base}/f/books/inbox`) },
      peer.flag([`${c.base}/u/spammer`, reported], "Spam, reported from Fedify."),
    );
    let duties = [];
    await until("the jurors are summoned", async () => {
      duties = (await c.api("GET", "/api/v1/juries", undefined, jurors[0])).body;
      return duties.length === 1;
    });
    const alert = duties[0].id;
    const seen = await c.api("GET", `/api/v1/juries/${alert}`, undefined, jurors[1]);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.post.id, spam.body.post_id);
    assert.equal(seen.body.details, "Spam, reported from Fedify.");
    assert.ok(!JSON.stringify(seen.body).includes("peer@"), "the reporter stays unnamed");

    for (const token of jurors) {
      const voted = await c.api("POST", `/api/v1/juries/${alert}/votes`, { vote: "hide", comment: "An ad." }, token);
      assert.equal(voted.status, 200, JSON.stringify(voted.body));
    }
    const view = (await c.api("GET", `/api/v1/threads/${thread.body.id}`)).body;
    const hidden = view.posts.find((p) => p.id === spam.body.post_id);
    assert.deepEqual(hidden.removal, { by: "jury", reason: "2 of 3 voted to hide it (other)" });
    assert.ok(!hidden.body_html.includes("Buy my pills."));
  } finally {
    await c.stop();
  }
});

test("the Fedify peer sees a forum's moderation in Lemmy's shapes, and is refused once banned or blocked", async () => {
  const c = await startStoa();
  try {
    const root = await c.admin("root");
    const helen = await c.member("helen");
    const ann = await c.member("ann");
    const forum = `${c.base}/f/books`;
    const peerName = `peer@${new URL(peer.base).host}`;
    await peer.send({ id: new URL(forum), inboxId: new URL(`${forum}/inbox`) }, peer.follow(forum));
    await peer.waitFor("the forum's Accept", (activity) => activity.type === "Accept" && activity.actor === forum);
    // What reached the peer from this forum, as sent, once Fedify took it too.
    const announced = async (what, matches) => {
      let found;
      await until(what, async () => {
        found = peer.incoming.find((request) => request.body?.type === "Announce" && request.body.actor === forum && matches(request.body.object));
        return found && peer.received.some((activity) => activity.id === found.body.id);
      });
      return found.body.object;
    };

    // An admin appoints a host: `Add` of the member to the forum's moderators.
    assert.equal((await c.api("PUT", "/api/v1/forums/books/hosts/helen", undefined, root)).status, 204);
    const add = await announced("the host's appointment", (object) => object.type === "Add");
    assert.equal(add.object, `${c.base}/u/helen`);
    assert.equal(add.target, `${forum}/moderators`);

    // The peer replies in a thread; the host removes the reply and locks the thread.
    const thread = await c.api("POST", "/api/v1/forums/books/threads", { title: "House rules", body: "Be kind." }, ann);
    const pageId = `${c.base}/t/${thread.body.id}`;
    const spam = peer.reply(pageId, "<p>Buy pills.</p>", forum);
    const spamNote = (await spam.getObject()).id.href;
    await peer.send({ id: new URL(forum), inboxId: new URL(`${c.base}/inbox`) }, spam);
    let reply;
    await until("the peer's reply lands", async () => {
      reply = (await c.api("GET", `/api/v1/threads/${thread.body.id}`)).body.posts.find((p) => p.author.name === peerName);
      return reply !== undefined;
    });
    assert.equal((await c.api("POST", `/api/v1/posts/${reply.id}/removal`, { reason: "Spam." }, helen)).status, 204);
    const removal = await announced("the removal", (object) => object.type === "Delete");
    assert.equal(removal.actor, `${c.base}/u/helen`);
    assert.equal(removal.summary, "Spam.");
    // The peer's own post, by the id it gave it.
    assert.equal(removal.object, spamNote);
    assert.equal((await c.api("POST", `/api/v1/threads/${thread.body.id}/lock`, { reason: "Closed." }, helen)).status, 204);
    const lock = await announced("the lock", (object) => object.type === "Lock");
    assert.equal(lock.object, pageId);

    // The host bans the peer from the forum: `Block` with the forum as target and a reason.
    const bans = `/api/v1/forums/books/bans/${encodeURIComponent(peerName)}`;
    assert.equal((await c.api("PUT", bans, { reason: "Spam." }, helen)).status, 204);
    const block = await announced("the ban", (object) => object.type === "Block");
    assert.equal(block.target, forum);
    assert.equal(block.summary, "Spam.");

    // Banned, its reply to an open thread is refused (403) and not stored.
    const open = await c.api("POST", "/api/v1/forums/books/threads", { title: "Open thread", body: "Talk." }, ann);
    const openPage = `${c.base}/t/${open.body.id}`;
    const refusedReply = async (text) => {
      const before = peer.outgoing.length;
      await peer.send({ id: new URL(forum), inboxId: new URL(`${c.base}/inbox`) }, peer.reply(openPage, `<p>${text}</p>`, forum)).catch(() => {});
      const posted = peer.outgoing.slice(before).filter((request) => request.method === "POST" && request.url === `${c.base}/inbox`);
      assert.ok(posted.length > 0 && posted.every((request) => request.status === 403), JSON.stringify(posted));
      const view = (await c.api("GET", `/api/v1/threads/${open.body.id}`)).body;
      assert.ok(!JSON.stringify(view).includes(text), "the refused reply is not stored");
    };
    await refusedReply("Banned words.");

    // The ban lifted, an admin blocks the peer's server: refused again, its earlier post hidden.
    assert.equal((await c.api("DELETE", bans, undefined, helen)).status, 204);
    assert.equal((await c.api("PUT", `/api/v1/admin/domain-blocks/${new URL(peer.base).hostname}`, { reason: "Abuse." }, root)).status, 204);
    await refusedReply("Blocked words.");
  } finally {
    await c.stop();
  }
});

test("a member of one Stoa sees a forum's host on another remove a post and lock its thread", async () => {
  // Two fresh instances, so that the other tests' follows and hosts do not meet these.
  const [c, d] = await Promise.all([startStoa(), startStoa()]);
  try {
    const dHost = new URL(d.base).host;
    const ada = await c.member("ada");
    const root = await d.admin("root");
    const helen = await d.member("helen");
    const bo = await d.member("bo");
    assert.equal((await d.api("PUT", "/api/v1/forums/books/hosts/helen", undefined, root)).status, 204);
    await c.api("POST", "/api/v1/follows", { forum: `books@${dHost}` }, ada);
    await until("D accepts the Follow", async () =>
      (await c.api("GET", "/api/v1/follows", undefined, ada)).body.forums[0]?.state === "accepted",
    );
    const started = await d.api("POST", "/api/v1/forums/books/threads", { title: "Pills", body: "Buy now." }, bo);
    const spam = await d.api("POST", `/api/v1/threads/${started.body.id}/replies`, { parent_id: started.body.post_id, body: "Cheap pills." }, bo);
    let onC;
    await until("the thread and its reply reach C", async () => {
      const forum = (await c.api("GET", `/api/v1/forums/books@${dHost}`)).body;
      const listed = forum.threads?.find((t) => t.title === "Pills");
      if (!listed) return false;
      onC = (await c.api("GET", `/api/v1/threads/${listed.id}`)).body;
      return onC.posts.length === 2;
    });

    assert.equal((await d.api("POST", `/api/v1/posts/${spam.body.post_id}/removal`, { reason: "Spam." }, helen)).status, 204);
    assert.equal((await d.api("POST", `/api/v1/threads/${started.body.id}/lock`, { reason: "Closed." }, helen)).status, 204);
    await until("the removal and the lock reach C", async () => {
      const view = (await c.api("GET", `/api/v1/threads/${onC.id}`)).body;
      return view.locked === true && view.posts[1].removal?.reason === "Spam.";
    });
    const view = (await c.api("GET", `/api/v1/threads/${onC.id}`)).body;
    assert.deepEqual(view.posts[1].removal, { by: "host", reason: "Spam." });
    assert.ok(!view.posts[1].body_html.includes("Cheap pills"));
    const refused = await c.api("POST", `/api/v1/threads/${onC.id}/replies`, { parent_id: view.posts[0].id, body: "Let me in." }, ada);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    const page = await fetch(`${c.base}/t/${onC.id}`).then((r) => r.text());
    assert.match(page, /Removed by a host, helen@[^:]+:\d+: Spam\./);
    assert.match(page, /This thread is locked/);
  } finally {
    await Promise.all([c.stop(), d.stop()]);
  }
});

test("a Lemmy-like community: its history comes in, members post and reply there, its edits and deletions apply", async () => {
  const token = await b.member("lemmy_fan");
  community.thread(1, "Older thread", "<p>From before anyone followed.</p>");
  community.thread(2, "Newer thread", "<p>Also from before.</p>");

  // Following it: the community accepts, and its history comes in from its outbox.
  const followed = await b.api("POST", "/api/v1/follows", { forum: community.handle }, token);
  assert.equal(followed.status, 200, JSON.stringify(followed.body));
  const slug = followed.body.slug;
  const threads = async () => (await b.api("GET", `/api/v1/forums/${encodeURIComponent(slug)}`)).body.threads ?? [];
  await until("the community's history is here", async () => (await threads()).length === 2);
  const follows = (await b.api("GET", "/api/v1/follows", undefined, token)).body;
  assert.equal(follows.forums[0].state, "accepted");
  // Lemmy publishes no replies collections: the threads alone (it had no comments yet).
  const forumPage = async () => await fetch(`${b.base}/f/${encodeURIComponent(slug)}`).then((r) => r.text());
  await until("the forum's page says its history is in", async () =>
    /Its history was brought in from its server: 2 threads and 0 replies\./.test(await forumPage()),
  );
  // Its moderator, read from the collection its Group names as `attributedTo`, may moderate it.
  const group = await getJson(community.groupId.href);
  assert.equal(group.attributedTo, `${community.base}/users/club/moderators`);

  // A new thread and a comment, announced as Lemmy does, land in place.
  await community.announceThread(3, "Announced thread", "<p>Fresh.</p>");
  await until("the announced thread is here", async () => (await threads()).some((t) => t.title === "Announced thread"));
  const fresh = (await threads()).find((t) => t.title === "Announced thread");
  await community.comment(1, `${community.base}/post/3`, "<p>First comment.</p>");
  const posts = async () => (await b.api("GET", `/api/v1/threads/${fresh.id}`)).body.posts;
  await until("the comment is under the thread", async () => (await posts()).length === 2);
  assert.equal((await posts())[1].depth, 1);

  // A member here replies there and starts a thread there: both go to the community's inbox.
  const starter = (await posts())[0];
  const reply = await b.api("POST", `/api/v1/threads/${fresh.id}/replies`, { parent_id: starter.id, body: "Hello from Stoa." }, token);
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  const created = await community.waitFor("the member's reply", (activity) => activity.type === "Create" && JSON.stringify(activity).includes("Hello from Stoa."));
  assert.equal(created.object.inReplyTo, `${community.base}/post/3`);
  const started = await b.api("POST", `/api/v1/forums/${encodeURIComponent(slug)}/threads`, { title: "Started from Stoa", body: "A thread written elsewhere." }, token);
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const createdPage = await community.waitFor("the member's thread", (activity) => activity.type === "Create" && JSON.stringify(activity).includes("Started from Stoa"));
  assert.equal(createdPage.object.type, "Page");
  assert.equal(createdPage.object.name, "Started from Stoa");

  // Its moderator renames a thread and deletes a comment: both apply here.
  await community.rename(3, "Renamed thread");
  await until("the rename shows", async () => (await threads()).some((t) => t.title === "Renamed thread"));
  await community.deleteComment(1);
  await until("the comment is deleted", async () => (await posts()).some((p) => p.deleted && !p.author.local));
});

test("a Stoa in authorized-fetch mode is followed by another, and its history and replies come across", async () => {
  const d = await startStoa({ env: { STOA_AUTHORIZED_FETCH: "1" } });
  try {
    const dora = await d.member("dora");
    const older = await d.api("POST", "/api/v1/forums/europe/threads", { title: "Before the follow", body: "Written first." }, dora);
    assert.equal(older.status, 201);
    const reply = await d.api("POST", `/api/v1/threads/${older.body.id}/replies`, { parent_id: older.body.post_id, body: "And answered." }, dora);
    assert.equal(reply.status, 201);

    // A member of A follows it: every fetch A makes (the forum, its outbox, the thread, its
    // context, the reply) is signed by A's instance actor, which D verifies.
    const fan = await a.member("film_fan");
    const host = new URL(d.base).host;
    const followed = await a.api("POST", "/api/v1/follows", { forum: `europe@${host}` }, fan);
    assert.equal(followed.status, 200, JSON.stringify(followed.body));
    const slug = followed.body.slug;
    let thread;
    await until("D's history reaches A", async () => {
      const threads = (await a.api("GET", `/api/v1/forums/${encodeURIComponent(slug)}`)).body.threads ?? [];
      thread = threads.find((t) => t.title === "Before the follow");
      return thread !== undefined;
    });
    await until("the thread's reply comes with it", async () =>
      (await a.api("GET", `/api/v1/threads/${thread.id}`)).body.posts.length === 2,
    );
    // Unsigned, D's documents stay closed.
    assert.equal((await fetch(`${d.base}/t/${older.body.id}`, { headers: { accept: AP } })).status, 401);
  } finally {
    await d.stop();
  }
});

test("a server that is down does not delay deliveries to the others", async () => {
  const gone = await startPeer(await freePort());
  const forum = `${b.base}/f/science-technology`;
  for (const follower of [peer, gone]) {
    await follower.send({ id: new URL(forum), inboxId: new URL(`${forum}/inbox`) }, follower.follow(forum));
    await follower.waitFor("Accept", (activity) => activity.type === "Accept" && activity.actor === forum);
  }
  await gone.stop();
  const token = await b.member("sci");
  const started = Date.now();
  const thread = await b.api("POST", "/api/v1/forums/science-technology/threads", { title: "While one is down", body: "Hello." }, token);
  assert.equal(thread.status, 201);
  const pageId = `${b.base}/t/${thread.body.id}`;
  await peer.waitFor("the new thread", (activity) => activity.type === "Announce" && JSON.stringify(activity).includes(pageId), 5000);
  assert.ok(Date.now() - started < 5000, `the live follower waited ${Date.now() - started} ms`);
});
