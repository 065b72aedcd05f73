import "server-only";
import { allowedMethods, findApiRoute } from "../api-routes";
import { jsonError, methodNotAllowed } from "./http";

/**
 * What an API route answers for the methods it does not take. Every route.ts re-exports this module with one line,
 * `export * from "@/lib/server/other-methods";`, and its own handlers win: a module's own exports shadow the names
 * it re-exports with `export *`. The answers come from the one table of routes (lib/api-routes.ts).
 *
 * proxy.ts gives the same answers earlier to requests without a body; these are for requests with one, which the
 * proxy lets through untouched (Next would otherwise read and copy the whole body for the proxy before the route
 * could refuse it). Without them, Next answers 405 with an empty body and no `Allow`.
 */

function refuse(request: Request): Response {
  const route = findApiRoute(new URL(request.url).pathname);
  if (!route) return jsonError(404, "There is no API route at this address.");
  return methodNotAllowed(request.method, route.path, allowedMethods(route));
}

function options(request: Request): Response {
  const route = findApiRoute(new URL(request.url).pathname);
  return new Response(null, { status: 204, headers: route ? { Allow: allowedMethods(route).join(", ") } : {} });
}

// Not HEAD: Next answers HEAD with the route's GET, which is the route's own where it has one.
export { refuse as DELETE, refuse as GET, options as OPTIONS, refuse as PATCH, refuse as POST, refuse as PUT };
