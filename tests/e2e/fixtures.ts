import { test as base, expect } from "@playwright/test";

export { expect };

/**
 * The `test` every spec imports (tests/e2e/abuse-http.spec.ts checks that they all do): Playwright's, with every
 * page watched for Content-Security-Policy violations, so that each page test on each backend project also proves
 * the pages run under the site's policy (lib/security-headers.ts). A violation fails the test that caused it, named:
 * - in a page: its `securitypolicyviolation` event, which says the directive and what was blocked;
 * - in the inference worker: the console error it writes for its own `securitypolicyviolation` events
 *   (lib/browser/inference.worker.ts), since Playwright passes on no line the browser itself logs in a worker;
 *   the browser's own console lines for the page's violations are kept too.
 * A test that provokes violations on purpose reads them from `cspViolations` and empties the list.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  // Playwright reads a fixture's dependencies from its first parameter: this one has none.
  cspViolations: async ({}, run) => {
    await run([]);
  },
  context: async ({ context, cspViolations }, run) => {
    await context.exposeBinding("__reportCspViolation", (_source, text: string) => cspViolations.push(text));
    await context.addInitScript(() => {
      const report = (window as unknown as { __reportCspViolation: (text: string) => void }).__reportCspViolation;
      document.addEventListener("securitypolicyviolation", (event) => {
        const where = event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}` : "";
        report(`${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"}${where} on ${location.pathname}`);
      });
    });
    context.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(`console${message.worker() ? " (worker)" : ""}: ${message.text()}`);
    });
    await run(context);
    expect(cspViolations, "Content-Security-Policy violations").toEqual([]);
  },
});
