import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { API_ROUTES, allowedMethods, findApiRoute } from "@/lib/api-routes";
import * as otherMethods from "@/lib/server/other-methods";

/**
 * The one table of API routes and methods (lib/api-routes.ts), which proxy.ts and lib/server/other-methods.ts answer
 * from, against the route files themselves: every app/api/.../route.ts is in it with exactly the methods it
 * exports, and re-exports the answers for the others.
 */

function routeFiles(dir = "app/api"): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? routeFiles(file) : entry.name === "route.ts" ? [file] : [];
  });
}

describe("the table of API routes", () => {
  const files = routeFiles();

  it("lists every route file with exactly the methods it exports", () => {
    const fromFiles = Object.fromEntries(
      files.map((file) => {
        const source = readFileSync(file, "utf8");
        const methods = [...source.matchAll(/^export (?:async )?(?:function|const) (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/gm)].map((m) => m[1]);
        return [`/${path.dirname(file).replaceAll(path.sep, "/").replace(/^app\//, "")}`, methods.sort()];
      }),
    );
    expect(Object.fromEntries(API_ROUTES.map((r) => [r.path, [...r.methods].sort()]))).toEqual(fromFiles);
  });

  it("has every route file answer the methods it does not take from the table (one line each)", () => {
    for (const file of files) expect(readFileSync(file, "utf8"), file).toContain('export * from "@/lib/server/other-methods";');
  });

  it("matches request paths as Next routes them: [id] one segment, [...path] one or more", () => {
    expect(findApiRoute("/api/share/abc")?.path).toBe("/api/share/[id]");
    expect(findApiRoute("/api/share/abc/noisy.png")?.path).toBe("/api/share/[id]/[image]");
    expect(findApiRoute("/api/models/vae/decoder/model.json")?.path).toBe("/api/models/[...path]");
    expect(findApiRoute("/api/health/")?.path).toBe("/api/health");
    for (const path of ["/api/models", "/api/models/", "/api/share/a/b/c", "/api/vae", "/api", "/api/healthz", "/denoise"]) {
      expect(findApiRoute(path), path).toBeUndefined();
    }
  });
});

describe("a method a route does not take, with a body (past the proxy)", () => {
  it("answers 405 with Allow and a JSON body, from the table", async () => {
    const response = await otherMethods.PUT(new Request("http://localhost/api/denoise", { method: "PUT", body: "x" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allowedMethods(findApiRoute("/api/denoise")!).join(", "));
    expect(await response.json()).toEqual({ error: "PUT is not allowed on /api/denoise; it answers POST, OPTIONS." });
    const post = await otherMethods.POST(new Request("http://localhost/api/health", { method: "POST", body: "x" }));
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD, OPTIONS"]);
    const options = await otherMethods.OPTIONS(new Request("http://localhost/api/share", { method: "OPTIONS" }));
    expect([options.status, options.headers.get("allow")]).toEqual([204, "POST, OPTIONS"]);
  });

  it("leaves the route's own handler in place: a module's own exports win over `export *`", async () => {
    const route = await import("@/app/api/share/[id]/[image]/route");
    expect(route.GET).not.toBe(otherMethods.GET);
    expect(route.POST).toBe(otherMethods.POST);
  });
});
