#!/usr/bin/env node
// The production server on every core: `npm start` (after `npm run build`).
//
// Inference on the server runs one request at a time per process (lib/server/queue.ts), on one core; a
// cluster of Next.js processes sharing one port puts the other cores to work, each with its own copy of the models
// (a few MB). On serverless hosting (Vercel) this file is not used: the platform runs one function instance per
// concurrent request.
//
//   node scripts/serve.mjs [-H host] [-p port]     WEB_CONCURRENCY=N sets the number of processes (default: cores)
//
// Each process's HTTP server is bounded (docs/server.md, "Timeouts"): a client has HEADERS_TIMEOUT_MS (10 s) to send
// its request's headers and REQUEST_TIMEOUT_MS (60 s) for the whole request, checked every second, so slow or
// stalled connections are closed rather than held; a malformed or timed-out request gets a JSON error, not a log.
import cluster from "node:cluster";
import http, { STATUS_CODES } from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import next from "next";

const { values } = parseArgs({
  options: { hostname: { type: "string", short: "H" }, port: { type: "string", short: "p" } },
  allowPositionals: false,
});
const hostname = values.hostname ?? process.env.HOSTNAME ?? "0.0.0.0";
const port = Number(values.port ?? process.env.PORT ?? 3000);
const processes = Number(process.env.WEB_CONCURRENCY ?? os.availableParallelism());
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${values.port ?? process.env.PORT}`);
if (!Number.isInteger(processes) || processes < 1) throw new Error(`WEB_CONCURRENCY must be a positive integer, not ${process.env.WEB_CONCURRENCY}`);

/** A positive whole number of milliseconds from the environment, or the default. */
function milliseconds(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive number of milliseconds, not ${process.env[name]}`);
  return value;
}

/**
 * The limits of one connection, chosen for this site: every request is small (bodies at most 4 MB, the pages send
 * 64x64 crops and tiles) and no answer streams for long.
 */
const LIMITS = {
  // Headers arrive in one packet from any real client; 10 s leaves room for a phone on a bad network, and a
  // slowloris (headers dribbled in to hold connections) is cut off after it. Node's default is 60 s.
  headersTimeout: milliseconds("HEADERS_TIMEOUT_MS", 10_000),
  // The whole request, body included: 4 MB (the largest body a route reads) at about 0.5 Mbit/s. Node's default
  // is 300 s.
  requestTimeout: milliseconds("REQUEST_TIMEOUT_MS", 60_000),
  // An idle connection between requests: Node's default. Longer would hold sockets for nothing; behind a load
  // balancer this must be longer than the balancer's own idle timeout.
  keepAliveTimeout: 5_000,
  // How often Node checks the two timeouts above; its default, 30 s, would let a connection outstay them by as much.
  connectionsCheckingInterval: 1_000,
};
// The socket's own inactivity limit: nothing sent or received for this long (a client that stopped reading the
// answer, say). Inference waits at most 10 s for its turn (lib/server/queue.ts) and then takes a few seconds.
const IDLE_SOCKET_MS = 30_000;

/**
 * Methods Node parses but Next cannot: its Request (undici) refuses TRACE (a "forbidden method"), and Next answers
 * 500 text/plain with a stack trace in the log. It is passed on as GET with the method in a header, and proxy.ts
 * answers 405 from its table of routes. (CONNECT never reaches the request handler; TRACK and other methods Node's
 * parser does not know are 400 JSON from answerClientError.)
 */
const UNSUPPORTED_METHODS = new Set(["TRACE"]);
const UNSUPPORTED_METHOD_HEADER = "x-unsupported-method";

/** A JSON error written straight to the socket: for requests that never reach Next (bad HTTP, a timeout). */
function answerClientError(error, socket) {
  // A client that hung up needs no answer; one whose answer has started cannot get another.
  if (error.code === "ECONNRESET" || !socket.writable || socket._httpMessage?.headersSent) return socket.destroy();
  const [status, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "The request took too long to arrive; the connection is closed."]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "The request's headers are too large."]
        : [400, "The request is not valid HTTP."];
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

if (cluster.isPrimary && processes > 1) {
  let stopping = false;
  for (let i = 0; i < processes; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    // A crashed process is replaced, so one bad request cannot take the site down for good.
    console.error(`server process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`serving on http://${hostname}:${port} with ${processes} processes`);
} else {
  const app = next({ dev: false, hostname, port, dir: path.resolve(import.meta.dirname, "..") });
  await app.prepare();
  const handle = app.getRequestHandler();
  // Per-client limits (lib/server/client-address.ts) read the visitor's address from a header, since a route
  // handler never sees the socket: x-real-ip, as Vercel sets it, set here from the socket over whatever the visitor
  // sent. An operator who names another header (a proxy of their own in front) keeps it.
  const setClientAddress = !process.env.CLIENT_IP_HEADER;
  if (setClientAddress) process.env.CLIENT_IP_HEADER = "x-real-ip";
  const server = http.createServer(LIMITS, (request, response) => {
    if (setClientAddress) request.headers["x-real-ip"] = request.socket.remoteAddress ?? "";
    delete request.headers[UNSUPPORTED_METHOD_HEADER];
    if (UNSUPPORTED_METHODS.has(request.method)) {
      request.headers[UNSUPPORTED_METHOD_HEADER] = request.method;
      request.method = "GET";
    }
    handle(request, response);
  });
  server.keepAliveTimeout = LIMITS.keepAliveTimeout;
  server.setTimeout(IDLE_SOCKET_MS);
  server.on("clientError", answerClientError);
  server.listen(port, hostname, () => {
    if (cluster.isPrimary) console.log(`serving on http://${hostname}:${port} with 1 process`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
