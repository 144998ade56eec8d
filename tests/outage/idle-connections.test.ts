import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startApp, type TestApp } from "../support/harness.js";

/** Opens a raw TCP connection to the app and resolves once it is connected. */
function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once("close", () => resolve()));

// Generous bounds against a loaded machine: what matters is that the server ends the connection.
describe("idle connections", { timeout: 30_000 }, () => {
  let t: TestApp;
  before(async () => {
    // The request timeout stays long: the harness's own requests (its login) must not run into it
    // while a loaded machine stalls the event loop.
    t = await startApp({ HTTP_HEADERS_TIMEOUT_MS: "500", HTTP_KEEP_ALIVE_TIMEOUT_MS: "500" });
  });
  after(() => t.close());

  it("closes a connection that sends nothing within the headers timeout", async () => {
    const socket = await open(t.url);
    socket.resume();
    await closed(socket);
  });

  it("closes a connection that sends only half a request head", async () => {
    const socket = await open(t.url);
    socket.resume();
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await closed(socket);
  });

  it("closes a keep-alive connection idle past its timeout, after answering", async () => {
    const socket = await open(t.url);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = closed(socket);
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    await ended;
    const response = Buffer.concat(chunks).toString();
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.match(response, /keep-alive/i);
  });
});
