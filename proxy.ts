import { type NextRequest, NextResponse } from "next/server";
import { allowedMethods, findApiRoute, SAFE_METHODS } from "@/lib/api-routes";
import { blobStoreOrigin, contentSecurityPolicy, newNonce } from "@/lib/security-headers";
import { jsonError, methodNotAllowed } from "@/lib/server/http";
import { isDecodablePath } from "@/lib/share-urls";

/**
 * Runs before the pages and the API routes (Next 16's proxy, formerly middleware); docs/server.md, "Security
 * headers" and "Errors":
 * - pages: a fresh nonce per request in the Content-Security-Policy, which Next reads from the request's header and
 *   puts on every script it writes (so the pages render per request); a method other than GET or HEAD, 405 JSON,
 *   here and on the public folder's files (Next's file server answers those 500 text/plain);
 * - a path whose percent-encoding does not decode (`%ff`, `%c0%ae`): 400 JSON on /api, the styled "no such share"
 *   page under /share/ and the not-found page elsewhere (404), where Next's own decoding would answer 500 text/plain;
 * - /api: 404 JSON for a path no route serves, OPTIONS answered and 405 JSON with `Allow` for a method the route
 *   does not take, all from the one table of routes (lib/api-routes.ts); 403 JSON for a request that could change
 *   something or run inference (any method but GET, HEAD, OPTIONS: a POST, a share's DELETE) sent by a browser on
 *   another site.
 * The other security headers come from next.config.ts, for every path.
 *
 * The proxy sees an API request with a body only when it comes from a browser on another site (to refuse it) or to
 * an address with a percent sign (see `config`): for any request with a body that the proxy sees, Next first reads
 * and copies the whole body, so that the route could not refuse an oversized upload before it had arrived, and a
 * client hanging up mid-upload would log a stack trace. Methods a route does not take, with a body, meet the same
 * table in the route (lib/server/other-methods.ts).
 */

/**
 * scripts/serve.mjs hands Next the method its Request cannot represent (TRACE) as GET with the real method in this
 * header, removed from every incoming request first, so that the answer comes from the same table.
 */
const UNSUPPORTED_METHOD_HEADER = "x-unsupported-method";

const PAGE_METHODS = ["GET", "HEAD"];

export function proxy(request: NextRequest): Response {
  const path = request.nextUrl.pathname;
  const api = path === "/api" || path.startsWith("/api/");
  const method = request.headers.get(UNSUPPORTED_METHOD_HEADER) ?? request.method;
  if (!isDecodablePath(path)) {
    if (api) return jsonError(400, "The address is not valid: its percent-encoding does not decode to UTF-8.");
    // No page has such an address: a share's id that is not one gets the styled "no such share" page (any id that
    // is not a share's renders app/share/[id]/not-found.tsx), anything else the site's not-found page; both 404.
    const notFound = path.startsWith("/share/") ? "/share/-" : "/_malformed-address";
    return withNonce(request, new URL(notFound, request.url));
  }
  if (api) return checkApiRequest(request, path, method);
  if (!PAGE_METHODS.includes(method)) return methodNotAllowed(method, path, PAGE_METHODS);
  return withNonce(request);
}

function checkApiRequest(request: NextRequest, path: string, method: string): Response {
  const route = findApiRoute(path);
  if (!route) return jsonError(404, "There is no API route at this address.");
  const allow = allowedMethods(route);
  if (method === "OPTIONS") return new Response(null, { status: 204, headers: { Allow: allow.join(", ") } });
  // A browser on another site may read, nothing more, whatever the method: refused before anything else is said.
  const from = SAFE_METHODS.has(method) ? null : crossSiteSender(request);
  if (from) {
    return jsonError(403, `A ${method} from ${from} is refused: this API takes such requests from this site's own pages, or from clients outside a browser (curl, scripts).`);
  }
  if (!allow.includes(method)) return methodNotAllowed(method, route.path, allow);
  return NextResponse.next();
}

/**
 * Who sent a request from another site, or null when it came from our own pages or from outside a browser.
 * Browsers say where a request comes from, and a page cannot forge it: `Sec-Fetch-Site` (every current browser),
 * else `Origin` (sent with every POST) against the address the request came to. curl and scripts send neither.
 */
function crossSiteSender(request: NextRequest): string | null {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" || site === "none" ? null : `a ${site} page`;
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  try {
    if (new URL(origin).host === host) return null;
  } catch {
    // "null" (a sandboxed frame, a data: URL) or garbage: not our page.
  }
  return "another origin";
}

/** The page, or the page at `rewriteTo`, rendered under the policy with a fresh nonce. */
function withNonce(request: NextRequest, rewriteTo?: URL): Response {
  const origin = blobStoreOrigin(process.env.BLOB_READ_WRITE_TOKEN, process.env.BLOB_ACCESS);
  const policy = contentSecurityPolicy({ nonce: newNonce(), extraOrigins: origin ? [origin] : [] });
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", policy);
  const response = rewriteTo ? NextResponse.rewrite(rewriteTo, { request: { headers } }) : NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

// Matchers must be literals (Next reads them at build time). A request runs the proxy when any entry matches.
export const config = {
  matcher: [
    // Pages and the public folder's files (for their 405: the nonce is wasted on them, and harmless); not /api or
    // Next's static chunks, dozens a page load, whose other methods get Next's own 404.
    "/((?!api/|_next/static|_next/image).*)",
    // API requests without a body: the table's 404, 405 and OPTIONS, and the cross-site check for a DELETE.
    { source: "/api/:path*", missing: [{ type: "header", key: "content-length" }, { type: "header", key: "transfer-encoding" }] },
    // API requests with a body, only from a browser on another site (Sec-Fetch-Site, or Origin where a browser
    // sends no Sec-Fetch-Site), to refuse them...
    { source: "/api/:path*", has: [{ type: "header", key: "sec-fetch-site", value: "cross-site|same-site" }] },
    { source: "/api/:path*", has: [{ type: "header", key: "origin" }], missing: [{ type: "header", key: "sec-fetch-site" }] },
    // ...or to an address with a percent sign, which may not decode (no route's address needs one).
    "/api/(.*%.*)",
    // A method serve.mjs marked as unsupported gets its 405 wherever it was sent.
    { source: "/:path*", has: [{ type: "header", key: "x-unsupported-method" }] },
  ],
};
