#!/usr/bin/env node
// The production server on every core: `npm start` (after `npm run build`).
//
// Inference on the server runs one request at a time per process (lib/server/queue.ts), on one core; a
// cluster of Next.js processes sharing one port puts the other cores to work, each with its own copy of the models
// (a few MB). On serverless hosting (Vercel) this file is not used: the platform runs one function instance per
// concurrent request.
//
//   node scripts/serve.mjs [-H host] [-p port]     WEB_CONCURRENCY=N sets the number of processes (default: cores)
import cluster from "node:cluster";
import http from "node:http";
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
  const server = http.createServer((request, response) => {
    if (setClientAddress) request.headers["x-real-ip"] = request.socket.remoteAddress ?? "";
    handle(request, response);
  });
  server.listen(port, hostname, () => {
    if (cluster.isPrimary) console.log(`serving on http://${hostname}:${port} with 1 process`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
