import * as Comlink from "comlink";
import { ModelWorker } from "./model-worker";

/** Entry point of the inference worker: `new Worker(new URL("./inference.worker.ts", import.meta.url), { type: "module" })`. */
Comlink.expose(new ModelWorker());

// A Content-Security-Policy violation here (lib/security-headers.ts) would otherwise show only in the browser's own
// log of the worker, which neither the page nor Playwright reads: say it in the console, where the browser tests'
// watch (tests/e2e/fixtures.ts) fails the test, and a developer sees it.
self.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy: ${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} in the inference worker`);
});
