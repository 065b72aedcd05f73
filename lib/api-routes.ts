/**
 * Every API route and the methods it answers: the one table proxy.ts checks each /api request against (405 with
 * `Allow` for another method, 404 for a path no route serves), and that tests/unit/server/api-routes-table.test.ts
 * checks against the methods each app/api/.../route.ts exports. Paths are written as the route folders are:
 * `[id]` is one segment, `[...path]` one or more.
 */

export type HttpMethod = "GET" | "POST" | "DELETE";

export interface ApiRoute {
  /** The route's folder under app/, as a path: "/api/share/[id]". */
  path: string;
  /** The methods its route.ts exports. HEAD (for GET) and OPTIONS come with them. */
  methods: readonly HttpMethod[];
}

export const API_ROUTES: readonly ApiRoute[] = [
  { path: "/api/denoise", methods: ["POST"] },
  { path: "/api/vae/decode", methods: ["POST"] },
  { path: "/api/vae/encode", methods: ["POST"] },
  { path: "/api/health", methods: ["GET"] },
  { path: "/api/models/[...path]", methods: ["GET"] },
  { path: "/api/share", methods: ["POST"] },
  { path: "/api/share/[id]", methods: ["GET", "DELETE"] },
  { path: "/api/share/[id]/[image]", methods: ["GET"] },
];

/** Methods that only read: allowed from any site. Every other method changes something or runs inference. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

function matches(pattern: string, path: string): boolean {
  const want = pattern.slice(1).split("/");
  const have = path.slice(1).replace(/\/$/, "").split("/");
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith("[...")) return have.length > i && have.slice(i).every((s) => s !== "");
    if (have[i] === undefined || have[i] === "") return false;
    if (!want[i].startsWith("[") && want[i] !== have[i]) return false;
  }
  return have.length === want.length;
}

/** The route serving `path` (a URL path, still percent-encoded), or undefined. */
export function findApiRoute(path: string): ApiRoute | undefined {
  return API_ROUTES.find((route) => matches(route.path, path));
}

/** What the `Allow` header says for a route: its methods, HEAD with GET, and OPTIONS. */
export function allowedMethods(route: ApiRoute): string[] {
  return [...route.methods, ...(route.methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
}
