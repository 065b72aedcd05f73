import "server-only";
import ipaddr from "ipaddr.js";

/**
 * Who sent a request, for per-client limits (the share rate limit, lib/server/share-rate-limit.ts).
 *
 * A route handler never sees the socket, so the address has to come from a request header, and a header is only
 * worth trusting when something the visitor cannot get around sets it, overwriting whatever the visitor sent.
 * `CLIENT_IP_HEADER` names that header:
 *
 * - on Vercel (`VERCEL=1`) it defaults to `x-real-ip`, which the platform sets to the connecting address (it
 *   overwrites `x-forwarded-for` too);
 * - `npm start` (scripts/serve.mjs) sets `x-real-ip` from the socket itself and `CLIENT_IP_HEADER=x-real-ip`;
 * - behind a proxy of your own, name the header it sets (`x-forwarded-for` works: the last entry, the one the
 *   nearest hop appended, is taken), and make sure visitors cannot reach the server around it;
 * - unset (a bare `next start`, Deno): nothing says who a visitor is, and `x-forwarded-for` there is whatever the
 *   visitor sent, so every request counts as one client: the limit still bounds the whole server, it just cannot
 *   tell visitors apart.
 *
 * IPv6 addresses are grouped by their /64, the block one subscriber is usually given: otherwise a single visitor
 * could walk through 2^64 addresses, each with its own allowance.
 */

export type ClientEnv = Readonly<Record<string, string | undefined>>;

/** The key of every request whose client cannot be told apart (see above). */
export const UNIDENTIFIED_CLIENT = "unidentified";

/** The header that holds the client's address here, lower-cased, or null when none can be trusted. */
export function clientAddressHeader(env: ClientEnv = process.env): string | null {
  const named = env.CLIENT_IP_HEADER?.trim().toLowerCase();
  if (named) return named;
  return env.VERCEL === "1" ? "x-real-ip" : null;
}

/**
 * A stable key for the request's client: `ip:<IPv4>`, `ip:<IPv6 /64>/64`, or UNIDENTIFIED_CLIENT when the
 * address is missing, unparseable, or not from a trusted header.
 */
export function clientKey(request: Request, env: ClientEnv = process.env): string {
  const header = clientAddressHeader(env);
  const value = header ? request.headers.get(header) : null;
  // The last entry: in x-forwarded-for the earlier ones are whatever the visitor (or a hop before ours) wrote.
  const address = value?.split(",").pop()?.trim();
  // Dotted quads only: ipaddr.js would also read "1" or "0x7f.1" as IPv4, which no front end writes.
  if (!address || !(ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address))) return UNIDENTIFIED_CLIENT;
  // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1, what a dual-stack socket reports) into IPv4.
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return `ip:${parsed.toString()}`;
  const network = new ipaddr.IPv6([...(parsed as ipaddr.IPv6).parts.slice(0, 4), 0, 0, 0, 0]);
  return `ip:${network.toString()}/64`;
}
