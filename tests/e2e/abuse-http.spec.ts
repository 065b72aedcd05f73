import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { homedir, tmpdir } from "node:os";
import { API_ROUTES, allowedMethods } from "@/lib/api-routes";
import { startServer } from "../../scripts/local-server.mjs";
import { expect, test } from "./fixtures";

/**
 * A hostile visitor against the production build (issue 15, findings 3-5), on loopback, each test bounded: the
 * security headers and the Content-Security-Policy (and that the browser tests' CSP watch catches a violation), JSON
 * errors for bad methods and bad percent-encoding, browsers on other sites refused where a request changes something
 * or runs inference while curl-like clients are served, slow connections closed, a client hanging up logged in one
 * line, and /api/health naming no absolute path. Raw sockets (node:net) send what fetch will not (TRACE, dribbled
 * headers). Most tests use the suite's server (scripts/serve.mjs with its defaults); the slow-body and hang-up tests
 * start one of their own with short timeouts and its log in reach.
 */

const HEADERS_TIMEOUT_MS = 10_000; // scripts/serve.mjs's default

/** A raw HTTP exchange: sends `request`, reads until the server closes the connection or `ms` pass. */
function exchange(base: string, request: string | Buffer, ms = 10_000): Promise<{ status: number; headers: Record<string, string>; body: string; raw: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${ms} ms`)), ms);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString("latin1");
      const [head, ...rest] = raw.split("\r\n\r\n");
      const [statusLine, ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      // Chunked bodies arrive as "<size>\r\n<data>\r\n0\r\n\r\n": the JSON is the line that is not a size.
      const body = headers["transfer-encoding"] === "chunked" ? rest.join("\r\n\r\n").split("\r\n").filter((_, i) => i % 2 === 1).join("") : rest.join("\r\n\r\n");
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body, raw });
    });
  });
}

const baseOf = () => test.info().project.use.baseURL!;

test.describe("security headers", () => {
  test("every page, API answer and static file carries them; pages get a fresh nonce on every script", async ({ request }) => {
    const home = await request.get("/");
    const html = await home.text();
    const assets = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(0);
    const paths = ["/", "/denoise", "/latent", "/api/health", "/api/models/manifest.json", "/api/no-such-route", "/tfjs-wasm/tfjs-backend-wasm-simd.wasm", "/samples/face-101.png", assets[0]];
    for (const path of paths) {
      const response = await request.get(path);
      const headers = response.headers();
      const csp = headers["content-security-policy"] ?? "";
      expect.soft(csp, path).toContain("frame-ancestors 'none'");
      expect.soft(csp, path).toContain("'wasm-unsafe-eval'");
      expect.soft(csp, path).toMatch(/object-src 'none'/);
      expect.soft(csp, path).not.toContain("'unsafe-eval'");
      expect.soft(csp, path).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect.soft(headers["x-content-type-options"], path).toBe("nosniff");
      expect.soft(headers["x-frame-options"], path).toBe("DENY");
      expect.soft(headers["referrer-policy"], path).toBe("same-origin");
      expect.soft(headers["permissions-policy"], path).toContain("camera=()");
      expect.soft(headers["strict-transport-security"], path).toMatch(/^max-age=\d{8,}/);
      expect.soft(headers["x-powered-by"], path).toBeUndefined();
    }

    // Pages: the nonce is new on every response, and every script in the HTML carries it.
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const page = await request.get("/denoise");
      const nonce = /'nonce-([^']+)'/.exec(page.headers()["content-security-policy"])?.[1];
      expect(nonce).toBeTruthy();
      const scripts = [...(await page.text()).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  test("the browser tests' watch catches a violation: inline script, eval, a data: worker, another origin, in a worker", async ({ page, cspViolations }) => {
    await page.goto("/");
    await page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "window.__injectedRan = true";
      document.body.append(script);
      // A string timer is eval by another name; page.evaluate's own code is exempt from the policy, a timer is not.
      setTimeout("window.__evalRan = true", 0);
      try {
        new Worker("data:text/javascript,postMessage(1)");
      } catch {
        // refused
      }
      fetch("https://example.invalid/steal").catch(() => {});
    });
    await expect
      .poll(() => cspViolations.map((v) => v.split(" ")[0]))
      .toEqual(expect.arrayContaining(["script-src-elem", "script-src", "worker-src", "connect-src"]));
    expect(await page.evaluate(() => ["__injectedRan", "__evalRan"].filter((name) => name in window))).toEqual([]);
    cspViolations.length = 0;

    // In the inference worker (on the plain-JS backend, which this project runs), where no page script listens.
    await page.goto("/latent?backends=cpu");
    await expect.poll(() => page.workers().some((w) => w.url().includes("/_next/static/"))).toBe(true);
    const inference = page.workers().find((w) => w.url().includes("/_next/static/"))!;
    await inference.evaluate(() => void fetch("https://example.invalid/steal").catch(() => {}));
    await expect.poll(() => cspViolations).toContainEqual(expect.stringMatching(/^console \(worker\): Content Security Policy: connect-src blocked https:\/\/example\.invalid\/steal in the inference worker/));
    cspViolations.length = 0;
  });

  test("a page test whose page violates the policy fails", async ({ page, cspViolations }) => {
    test.fail(true, "the fixture in tests/e2e/fixtures.ts must fail this test: its page ran into the policy");
    await page.goto("/");
    await page.evaluate(() => document.body.append(Object.assign(document.createElement("script"), { textContent: "1" })));
    await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  });

  test("every spec takes its test from ./fixtures, so every page test runs watched", () => {
    const specs = readdirSync("tests/e2e").filter((f) => f.endsWith(".spec.ts"));
    for (const spec of specs) {
      const source = readFileSync(`tests/e2e/${spec}`, "utf8");
      expect.soft(source, spec).toMatch(/import \{[^}]*\btest\b[^}]*\} from "\.\/fixtures"/);
      expect.soft(source, spec).not.toMatch(/import \{[^}]*\btest\b[^}]*\} from "@playwright\/test"/);
    }
  });
});

test.describe("JSON errors", () => {
  test("a method a route, page or file does not take: 405 with Allow and a JSON body, from the one table of routes", async () => {
    const base = baseOf();
    for (const route of API_ROUTES) {
      const path = route.path.replace(/\[\.\.\.\w+\]/, "manifest.json").replace(/\[\w+\]/g, "x");
      const allow = allowedMethods(route);
      const wrong = ["PUT", "PATCH", "DELETE", "GET", "POST"].find((m) => !allow.includes(m))!;
      const response = await fetch(`${base}${path}`, { method: wrong });
      expect.soft(response.status, `${wrong} ${path}`).toBe(405);
      expect.soft(response.headers.get("allow"), `${wrong} ${path}`).toBe(allow.join(", "));
      expect.soft((await response.json()).error, `${wrong} ${path}`).toMatch(/not allowed/);
    }
    const options = await fetch(`${base}/api/denoise`, { method: "OPTIONS" });
    expect([options.status, options.headers.get("allow")]).toEqual([204, "POST, OPTIONS"]);
    // Pages and the public folder's files (which Next's file server answered 500 text/plain), with a body or none.
    for (const path of ["/denoise", "/samples/face-101.png", "/tfjs-wasm/tfjs-backend-wasm-simd.wasm", "/illustrations/how-clean.png"]) {
      for (const [method, body] of [["POST", "a=b"], ["PUT", undefined], ["DELETE", undefined], ["OPTIONS", undefined]]) {
        const response = await fetch(`${base}${path}`, { method, body });
        expect.soft(response.status, `${method} ${path}`).toBe(405);
        expect.soft(response.headers.get("allow"), `${method} ${path}`).toBe("GET, HEAD");
        expect.soft((await response.json()).error, `${method} ${path}`).toBe(`${method} is not allowed on ${path}; it answers GET, HEAD.`);
      }
    }
  });

  test("TRACE (which fetch cannot send) gets the same 405, not 500 text/plain; TRACK, which Node cannot parse, 400 JSON", async () => {
    const base = baseOf();
    for (const path of ["/api/denoise", "/api/health", "/", "/_next/static/chunks/x.js"]) {
      const trace = await exchange(base, `TRACE ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect.soft(trace.status, `TRACE ${path}`).toBe(405);
      expect.soft(trace.headers["content-type"], `TRACE ${path}`).toMatch(/^application\/json/);
      expect.soft(JSON.parse(trace.body).error, `TRACE ${path}`).toMatch(/TRACE is not allowed/);
    }
    const trace = await exchange(base, "TRACE /api/denoise HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(trace.headers["allow"]).toBe("POST, OPTIONS");
    const unknown = await exchange(base, "TRACK /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([unknown.status, JSON.parse(unknown.body).error]).toEqual([400, "The request is not valid HTTP."]);
  });

  test("malformed percent-encoding: 400 JSON on the API, the no-such-share or not-found page elsewhere; nothing answers 500", async ({ request }) => {
    for (const path of ["/api/models/%ff", "/api/share/%ff", "/api/share/%c0%ae", "/api/share/%ff/noisy.png", "/api/%ff"]) {
      const response = await request.get(path);
      expect.soft(response.status(), path).toBe(400);
      expect.soft((await response.json()).error, path).toMatch(/percent-encoding/);
    }
    // A share's address gets the styled "no such share" page (abuse-shares.spec.ts looks at its styles), any other
    // the site's not-found page: both 404 HTML, under the policy.
    for (const [path, says] of [["/share/%ff", "No such share"], ["/share/%c0%ae", "No such share"], ["/%ff", "404"], ["/denoise/%ff", "404"]]) {
      const response = await request.get(path);
      expect.soft(response.status(), path).toBe(404);
      expect.soft(response.headers()["content-type"], path).toMatch(/^text\/html/);
      expect.soft(response.headers()["content-security-policy"], path).toMatch(/'nonce-/);
      expect.soft(await response.text(), path).toContain(says);
    }
    const unknown = await request.get("/api/nothing/here");
    expect([unknown.status(), (await unknown.json()).error]).toEqual([404, "There is no API route at this address."]);
  });
});

test.describe("cross-site requests", () => {
  const decode = { z: [[0, 0]] };

  test("a browser on another site is refused 403 JSON; curl-like clients and our own pages are served", async ({ page }) => {
    const base = baseOf();
    const post = (path: string, headers: Record<string, string> = {}, method = "POST") =>
      fetch(`${base}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(decode) });

    // Plain API clients send neither Origin nor Sec-Fetch-Site.
    expect((await post("/api/vae/decode")).status).toBe(200);
    // A browser says where the request came from.
    expect((await post("/api/vae/decode", { origin: new URL(base).origin, "sec-fetch-site": "same-origin" })).status).toBe(200);
    const otherSites: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "https://evil.example" }, { origin: "null" }];
    for (const headers of otherSites) {
      for (const [path, method] of [["/api/vae/decode", "POST"], ["/api/vae/encode", "POST"], ["/api/denoise", "POST"], ["/api/share", "POST"], ["/api/share/x", "DELETE"]]) {
        const response = await post(path, headers, method);
        expect.soft(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
        expect.soft((await response.json()).error, `${method} ${path}`).toMatch(/refused/);
      }
    }
    // Reading stays open to everyone.
    expect((await fetch(`${base}/api/health`, { headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" } })).status).toBe(200);

    // An ordinary form on another site (localhost is another site than 127.0.0.1), posting to the decoder.
    const attacker = base.replace("127.0.0.1", "localhost");
    await page.route(`${attacker}/attacker`, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<form method="post" action="${base}/api/vae/decode" enctype="text/plain"><input name='{"z":[[0,0]],"x":"' value='"}'></form>`,
      }),
    );
    await page.goto(`${attacker}/attacker`);
    const [refused] = await Promise.all([page.waitForResponse(`${base}/api/vae/decode`), page.locator("form").evaluate((form: HTMLFormElement) => form.submit())]);
    await page.waitForURL(`${base}/api/vae/decode`);
    expect(refused.status()).toBe(403);
    expect(await page.locator("body").textContent()).toContain("refused");
    expect(refused.request().headers()["origin"]).toBe(new URL(attacker).origin);

    // Our own page's request is served.
    await page.goto("/");
    const own = await page.evaluate(async (body) => (await fetch("/api/vae/decode", { method: "POST", headers: { "content-type": "application/json" }, body })).status, JSON.stringify(decode));
    expect(own).toBe(200);
  });
});

test.describe("a bounded, quiet server", () => {
  test("a slowloris of 60 connections dribbling headers is closed after the headers timeout, with 408 JSON", async () => {
    const { hostname, port } = new URL(baseOf());
    const started = Date.now();
    const closedAfter = await Promise.all(
      Array.from(
        { length: 60 },
        () =>
          new Promise<{ ms: number; answer: string }>((resolve) => {
            const chunks: Buffer[] = [];
            const socket = net.connect(Number(port), hostname, () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n"));
            const dribble = setInterval(() => socket.write("X-Slow: 1\r\n"), 1_000);
            // A generous bound: the test fails here, rather than waiting Node's default minute.
            const giveUp = setTimeout(() => socket.destroy(), HEADERS_TIMEOUT_MS + 10_000);
            socket.on("data", (chunk) => chunks.push(chunk));
            socket.on("error", () => {});
            socket.on("close", () => {
              clearInterval(dribble);
              clearTimeout(giveUp);
              resolve({ ms: Date.now() - started, answer: Buffer.concat(chunks).toString() });
            });
          }),
      ),
    );
    const slowest = Math.max(...closedAfter.map((c) => c.ms));
    console.log(`60 slow connections closed after ${Math.min(...closedAfter.map((c) => c.ms))}-${slowest} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms)`);
    expect(slowest).toBeLessThan(HEADERS_TIMEOUT_MS + 5_000);
    for (const { answer } of closedAfter) {
      expect.soft(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect.soft(answer).toContain('{"error":"The request took too long to arrive; the connection is closed."}');
    }
  });

  test.describe("on a server of its own, with a 3 s request timeout", () => {
    let server: ChildProcess;
    let base: string;
    let log = "";

    test.beforeAll(async () => {
      ({ base, child: server } = await startServer(process.execPath, ["scripts/serve.mjs"], {
        env: { WEB_CONCURRENCY: "1", HEADERS_TIMEOUT_MS: "2000", REQUEST_TIMEOUT_MS: "3000" },
        stderr: "pipe",
      }));
      server.stderr!.on("data", (chunk) => (log += chunk));
    });

    test.afterAll(() => {
      server?.kill("SIGTERM");
    });

    test("a body dribbled in is cut off at the request timeout, with 408 JSON", async () => {
      const started = Date.now();
      const { hostname, port } = new URL(base);
      const answer = await new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const socket = net.connect(Number(port), hostname, () =>
          socket.write("POST /api/vae/decode HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"),
        );
        const dribble = setInterval(() => socket.write(" "), 300);
        const giveUp = setTimeout(() => socket.destroy(), 15_000);
        socket.on("data", (chunk) => chunks.push(chunk));
        socket.on("error", () => {});
        socket.on("close", () => {
          clearInterval(dribble);
          clearTimeout(giveUp);
          resolve(Buffer.concat(chunks).toString());
        });
      });
      const ms = Date.now() - started;
      console.log(`a dribbled body was cut off after ${ms} ms (request timeout 3000 ms)`);
      expect(ms).toBeLessThan(3_000 + 3_000);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    });

    test("a client that hangs up mid-upload costs one line in the log, not a stack trace", async () => {
      const { hostname, port } = new URL(base);
      const before = log.length;
      for (const [path, type] of [["/api/vae/encode", "image/png"], ["/api/share", "application/json"]]) {
        await new Promise<void>((resolve) => {
          const socket = net.connect(Number(port), hostname, () => {
            // Declared under each route's body limit (a share's is 0.8 MB), so that the route starts reading it.
            socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 500000\r\n\r\n`);
            socket.write(Buffer.alloc(100_000, 1));
            setTimeout(() => socket.destroy(), 300);
          });
          socket.on("error", () => {});
          socket.on("close", () => resolve());
        });
      }
      await expect.poll(() => log.slice(before).split("\n").filter((l) => /hung up|client closed/i.test(l)).length).toBe(2);
      const lines = log.slice(before).trim().split("\n");
      console.log(lines.join("\n"));
      expect(lines).toHaveLength(2);
      expect(lines.every((l) => /^POST \/api\/(vae\/encode|share): (the client hung up|The client closed the connection while sending the body)/.test(l))).toBe(true);
    });

    test("/api/health names no absolute path", async () => {
      const text = await (await fetch(`${base}/api/health`)).text();
      for (const dir of [process.cwd(), tmpdir(), homedir()]) expect(text).not.toContain(dir);
      expect(JSON.parse(text).storage).toBe("local folder models (read-only)");
    });
  });
});
