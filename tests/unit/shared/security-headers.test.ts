import { describe, expect, it } from "vitest";
import { blobStoreOrigin, contentSecurityPolicy, newNonce, policyDirectives, securityHeaders } from "@/lib/security-headers";

/** The headers every response carries and the pages' Content-Security-Policy (lib/security-headers.ts). */

describe("the Content-Security-Policy", () => {
  it("lets the site's scripts, workers and WebAssembly run, and nothing inline without the nonce", () => {
    const directives = policyDirectives({ nonce: "abc" });
    // blob: for tfjs' WebAssembly threads, whose workers start from blob: URLs.
    expect(directives["script-src"]).toEqual(["'self'", "'nonce-abc'", "blob:", "'wasm-unsafe-eval'"]);
    expect(directives["worker-src"]).toEqual(["'self'", "blob:"]);
    expect(directives["frame-ancestors"]).toEqual(["'none'"]);
    expect(directives["object-src"]).toEqual(["'none'"]);
    expect(directives["img-src"]).toEqual(["'self'", "data:", "blob:"]);
    const policy = contentSecurityPolicy({ nonce: "abc" });
    expect(policy).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'|style-src [^;]*'unsafe-inline'/);
    expect(contentSecurityPolicy()).not.toContain("nonce");
  });

  it("adds the Blob store to connections and images only", () => {
    const directives = policyDirectives({ extraOrigins: ["https://x.public.blob.vercel-storage.com"] });
    const withStore = Object.entries(directives).filter(([, sources]) => sources.includes("https://x.public.blob.vercel-storage.com")).map(([name]) => name);
    expect(withStore).toEqual(["connect-src", "img-src"]);
  });
});

describe("the security headers", () => {
  it("are sent with HSTS in production only, and never name a feature Chromium does not know", () => {
    const production = securityHeaders({ production: true });
    expect(production["Strict-Transport-Security"]).toBe("max-age=63072000");
    expect(securityHeaders({ production: false })["Strict-Transport-Security"]).toBeUndefined();
    expect(production["X-Content-Type-Options"]).toBe("nosniff");
    expect(production["Referrer-Policy"]).toBe("same-origin");
    expect(production["Permissions-Policy"]).toMatch(/^([a-z-]+=\(\)(, )?)+$/);
    // Cross-origin isolation for WebAssembly threads, in the same set.
    expect(production["Cross-Origin-Opener-Policy"]).toBe("same-origin");
    expect(production["Cross-Origin-Embedder-Policy"]).toBe("require-corp");
  });
});

describe("blobStoreOrigin", () => {
  it("is the store's public or private host, from its read-write token", () => {
    expect(blobStoreOrigin("vercel_blob_rw_AbC123_secret", undefined)).toBe("https://abc123.public.blob.vercel-storage.com");
    expect(blobStoreOrigin("vercel_blob_rw_AbC123_secret", "private")).toBe("https://abc123.private.blob.vercel-storage.com");
    expect(blobStoreOrigin(undefined, undefined)).toBeUndefined();
    expect(blobStoreOrigin("", undefined)).toBeUndefined();
    expect(blobStoreOrigin("vercel_blob_rw_evil.com/x_secret", undefined)).toBeUndefined();
  });
});

it("newNonce is 128 random bits, fresh every time", () => {
  const nonces = new Set(Array.from({ length: 100 }, newNonce));
  expect(nonces.size).toBe(100);
  for (const nonce of nonces) expect(Buffer.from(nonce, "base64")).toHaveLength(16);
});
