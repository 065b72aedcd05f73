import { NextRequest } from "next/server";
import { afterEach, describe, expect, it } from "vitest";
import { proxy } from "@/proxy";

/**
 * proxy.ts called directly: the pages' CSP nonce, the API's table of routes and methods (404, 405 with Allow,
 * OPTIONS), malformed percent-encoding, and browsers on other sites refused where a request could change something.
 * (The same checks against the built server, raw sockets included: tests/e2e/abuse-http.spec.ts.)
 */

const request = (path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
  new NextRequest(new URL(path, "http://site.example"), { method: init.method ?? "GET", headers: { host: "site.example", ...init.headers } });

/** Whether the proxy let the request through to the route or page (NextResponse.next()). */
const passedOn = (response: Response) => response.headers.get("x-middleware-next") === "1";

afterEach(() => {
  delete process.env.BLOB_READ_WRITE_TOKEN;
});

describe("pages", () => {
  it("get a fresh nonce in their Content-Security-Policy, in the response and in the request Next renders from", () => {
    const [a, b] = [proxy(request("/denoise")), proxy(request("/denoise"))];
    const nonce = (response: Response) => /'nonce-([A-Za-z0-9+/=]{24})'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    expect(passedOn(a)).toBe(true);
    expect(nonce(a)).toBeTruthy();
    expect(nonce(a)).not.toBe(nonce(b));
    // Next hands the page the request headers the proxy set, and reads the nonce from this one.
    expect(a.headers.get("x-middleware-request-content-security-policy")).toBe(a.headers.get("content-security-policy"));
    expect(a.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[^']+' blob: 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self';/);
  });

  it("let the Blob store's origin in when one is configured", () => {
    process.env.BLOB_READ_WRITE_TOKEN = "vercel_blob_rw_AbC123xyz_secret";
    const policy = proxy(request("/latent")).headers.get("content-security-policy");
    expect(policy).toContain("connect-src 'self' https://abc123xyz.public.blob.vercel-storage.com;");
    expect(policy).toContain("img-src 'self' data: blob: https://abc123xyz.public.blob.vercel-storage.com;");
  });

  it("answer 405 JSON to a method other than GET and HEAD", async () => {
    const response = proxy(request("/denoise", { method: "POST" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect((await response.json()).error).toBe("POST is not allowed on /denoise; it answers GET, HEAD.");
  });

  it("with an address that does not decode show the no-such-share or not-found page under the policy, not a 500", () => {
    for (const [path, page] of [["/share/%ff", "/share/-"], ["/share/%c0%ae", "/share/-"], ["/denoise/%ff", "/_malformed-address"]]) {
      const response = proxy(request(path));
      expect(response.headers.get("x-middleware-rewrite"), path).toBe(`http://site.example${page}`);
      expect(response.headers.get("content-security-policy"), path).toMatch(/'nonce-/);
    }
  });
});

describe("API routes", () => {
  it("answer 400 JSON to a path whose percent-encoding does not decode", async () => {
    for (const path of ["/api/models/%ff", "/api/share/%c0%ae", "/api/share/%ff/noisy.png"]) {
      const response = proxy(request(path));
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(/percent-encoding/);
    }
  });

  it("answer from the table of routes: 404 for no route, 405 with Allow, OPTIONS, the rest passed on", async () => {
    expect(proxy(request("/api/nothing")).status).toBe(404);
    expect(proxy(request("/api/health/extra")).status).toBe(404);
    const put = proxy(request("/api/models/dae/model.json", { method: "PUT" }));
    expect([put.status, put.headers.get("allow")]).toEqual([405, "GET, HEAD, OPTIONS"]);
    expect((await put.json()).error).toBe("PUT is not allowed on /api/models/[...path]; it answers GET, HEAD, OPTIONS.");
    const options = proxy(request("/api/vae/decode", { method: "OPTIONS" }));
    expect([options.status, options.headers.get("allow")]).toEqual([204, "POST, OPTIONS"]);
    expect(passedOn(proxy(request("/api/models/dae/model.json")))).toBe(true);
    expect(passedOn(proxy(request("/api/share/abc/noisy.png", { method: "HEAD" })))).toBe(true);
    expect(passedOn(proxy(request("/api/denoise", { method: "POST" })))).toBe(true);
    // A share is deleted with DELETE (its sharer's token), and the table says so.
    expect(passedOn(proxy(request("/api/share/abc", { method: "DELETE" })))).toBe(true);
    const patch = proxy(request("/api/share/abc", { method: "PATCH" }));
    expect([patch.status, patch.headers.get("allow")]).toEqual([405, "GET, DELETE, HEAD, OPTIONS"]);
  });

  it("answer TRACE, which serve.mjs passes on as GET with the method in a header, with the same 405", async () => {
    const response = proxy(request("/api/denoise", { headers: { "x-unsupported-method": "TRACE" } }));
    expect([response.status, response.headers.get("allow")]).toEqual([405, "POST, OPTIONS"]);
    expect((await response.json()).error).toMatch(/^TRACE is not allowed/);
  });

  it("refuse a browser on another site anything but reading, and serve our pages and clients outside a browser", async () => {
    const post = (headers: Record<string, string>, path = "/api/denoise", method = "POST") => proxy(request(path, { method, headers }));
    const otherSites: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "https://evil.example" }, { origin: "null" }];
    for (const headers of otherSites) {
      const response = post(headers);
      expect(response.status).toBe(403);
      expect((await response.json()).error).toMatch(/is refused/);
      // Whatever the method: a DELETE on a share, a PUT no route takes.
      expect(post(headers, "/api/share/abc", "DELETE").status).toBe(403);
      expect(post(headers, "/api/vae/decode", "PUT").status).toBe(403);
      // Reading stays open.
      expect(passedOn(post(headers, "/api/health", "GET"))).toBe(true);
    }
    expect(passedOn(post({}))).toBe(true);
    expect(passedOn(post({ "sec-fetch-site": "same-origin", origin: "http://site.example" }))).toBe(true);
    expect(passedOn(post({ "sec-fetch-site": "none" }))).toBe(true);
    expect(passedOn(post({ origin: "https://site.example" }))).toBe(true);
    expect(passedOn(post({ origin: "https://public.example", "x-forwarded-host": "public.example" }))).toBe(true);
  });
});
