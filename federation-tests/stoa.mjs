// Starts real `stoa serve` processes, each with its own SQLite database and host name — or
// several processes sharing one database and one public URL behind a proxy.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import net from "node:net";

const repo = path.resolve(import.meta.dirname, "..");
const binary = process.env.STOA_BIN ?? path.join(repo, "target", "debug", "stoa");

export async function freePort() {
  return await new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A database of its own for one instance: a SQLite file in its data folder, or, when
// STOA_TEST_DATABASE_URL names a PostgreSQL server, a fresh database there (made with psql).
function databaseUrl() {
  const admin = process.env.STOA_TEST_DATABASE_URL;
  if (!admin) return "";
  const name = `stoa_test_fed_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  execFileSync("psql", [admin, "-q", "-c", `CREATE DATABASE ${name}`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.href;
}

// Starts `stoa serve` with this environment; resolves once it listens.
async function spawnStoa(env) {
  const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("stoa did not start in 60 s")), 60000);
    child.stdout.on("data", (chunk) => {
      if (chunk.toString().includes("Stoa is running")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`stoa exited with ${code}`)));
  });
  return child;
}

// `publicBase` is the URL the instance is known by when a proxy in front of it is (default: its
// own port); `dataDir` and `database` given again start another process on the same database.
export async function startStoa({ port, dataDir, database, publicBase, env: extra = {} } = {}) {
  port ??= await freePort();
  dataDir ??= mkdtempSync(path.join(tmpdir(), "stoa-fed-"));
  database ??= databaseUrl();
  const base = publicBase ?? `http://localhost:${port}`;
  const direct = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    STOA_BIND: `127.0.0.1:${port}`,
    STOA_BASE_URL: base,
    STOA_DATA_DIR: dataDir,
    STOA_DATABASE_URL: database,
    STOA_DEV_FEDERATION: "1",
    STOA_LOG: process.env.STOA_LOG ?? "warn",
    ...extra,
  };
  let child = await spawnStoa(env);
  const api = async (method, route, body, token) => {
    const response = await fetch(`${direct}${route}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    base,
    port,
    dataDir,
    database,
    api,
    async member(name) {
      const password = "correct horse battery";
      const created = await api("POST", "/api/v1/accounts", { username: name, password });
      if (created.status !== 201) throw new Error(JSON.stringify(created));
      const session = await api("POST", "/api/v1/sessions", { username: name, password });
      return session.body.token;
    },
    // An administrator, made as an operator makes one (`stoa admin create-user NAME --admin`,
    // the password on standard input), signed in.
    async admin(name) {
      const password = "correct horse battery";
      execFileSync(binary, ["admin", "create-user", name, "--admin"], { env, input: `${password}\n` });
      const session = await api("POST", "/api/v1/sessions", { username: name, password });
      return session.body.token;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
    // The same instance again: same port, data folder and database.
    async restart() {
      await this.stop();
      child = await spawnStoa(env);
    },
  };
}
