/**
 * The security headers every response carries, and the Content-Security-Policy the pages run under: one definition,
 * read by next.config.ts (the headers of every path, fixed at build time) and by proxy.ts (the pages' policy, with a
 * fresh nonce per request). Shared code: it reads no environment itself; the callers pass what they read.
 *
 * What the pages load, and so what the policy allows (docs/server.md, "Security headers"):
 * - scripts: Next's chunks from the site, and its inline bootstrap scripts, which carry the request's nonce;
 * - workers: the inference worker (lib/browser/inference.worker.ts), a module script from the site, and tfjs'
 *   WebAssembly threads: pthread workers started from `blob:` URLs, each importing /tfjs-wasm's threaded factory
 *   (lib/browser/wasm-threads.ts), hence `blob:` in worker-src and script-src;
 * - WebAssembly: tfjs' wasm backend compiles /tfjs-wasm/*.wasm ('wasm-unsafe-eval', not 'unsafe-eval');
 * - connections: the site's own /api routes and /tfjs-wasm files, and the Blob store when one is configured;
 * - images: the site's samples and shares, and the data:/blob: URLs the pages draw, upload and download;
 * - styles: the site's stylesheet; inline style attributes (React's style={...}, which the server renders into the
 *   HTML: crop boxes, comparison split, swatches) but no inline <style> element without the nonce.
 */

/** One directive's sources, in the order they are written. */
export type Directives = Record<string, readonly string[]>;

export interface PolicyOptions {
  /** The request's nonce, for a page: Next puts it on every script it writes into the HTML. */
  nonce?: string;
  /** Origins besides the site's own that the pages may fetch from and show images of (the Blob store). */
  extraOrigins?: readonly string[];
}

/** The policy's directives. */
export function policyDirectives({ nonce, extraOrigins = [] }: PolicyOptions = {}): Directives {
  const withNonce = nonce ? [`'nonce-${nonce}'`] : [];
  return {
    "default-src": ["'self'"],
    "script-src": ["'self'", ...withNonce, "blob:", "'wasm-unsafe-eval'"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'", ...extraOrigins],
    "img-src": ["'self'", "data:", "blob:", ...extraOrigins],
    "style-src": ["'self'", ...withNonce],
    "style-src-attr": ["'unsafe-inline'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
}

export function contentSecurityPolicy(options: PolicyOptions = {}): string {
  return Object.entries(policyDirectives(options))
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}

/**
 * The features no page uses, switched off for the pages and anything they embed. Only names Chromium knows: an
 * unknown one is a console error on every page load.
 */
const DISABLED_FEATURES = [
  "accelerometer",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "hid",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "serial",
  "usb",
];

/**
 * Cross-origin isolation: the browser gives an isolated page (and its workers) SharedArrayBuffer, which tfjs'
 * WebAssembly threads need (lib/browser/wasm-threads.ts). `require-corp`, not `credentialless`: Safari isolates
 * only with `require-corp`, and everything the pages load is same-origin (models through /api/models, shared images
 * through /api/share, tfjs' files from /tfjs-wasm); a cross-origin `fetch` with CORS still works, only a no-cors
 * subresource from another origin would need `Cross-Origin-Resource-Policy`. The worker scripts (/_next/static)
 * carry the headers too: a dedicated worker is isolated by its own script's response.
 */
export const CROSS_ORIGIN_ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

export interface HeaderOptions extends PolicyOptions {
  /** Whether to send HSTS: in production builds (browsers ignore it over plain http, so loopback is unaffected). */
  production: boolean;
}

/**
 * The headers every response carries. The Content-Security-Policy here has no nonce: it is what workers (their
 * policy is their own script's response's) and everything else run under; proxy.ts replaces it on pages with the
 * same policy plus the request's nonce.
 */
export function securityHeaders({ production, ...policy }: HeaderOptions): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(policy),
    "X-Content-Type-Options": "nosniff",
    // frame-ancestors 'none' says the same to browsers that know CSP; this is for those that do not.
    "X-Frame-Options": "DENY",
    // Our own pages get the full address (nothing to hide from ourselves); other sites get none.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": DISABLED_FEATURES.map((feature) => `${feature}=()`).join(", "),
    ...CROSS_ORIGIN_ISOLATION,
    // Two years, the preload list's minimum, without includeSubDomains: other hosts under the same domain are not
    // ours to pin to HTTPS.
    ...(production ? { "Strict-Transport-Security": "max-age=63072000" } : {}),
  };
}

/**
 * The origin the browser would load the Blob store's files from, for a read-write token
 * `vercel_blob_rw_<storeId>_<secret>`: `https://<storeId>.<access>.blob.vercel-storage.com` (as @vercel/blob builds
 * blob URLs). Undefined without a token, or with one of another shape.
 */
export function blobStoreOrigin(token: string | undefined, access: string | undefined): string | undefined {
  const storeId = token?.trim().split("_")[3]?.toLowerCase();
  if (!storeId || !/^[a-z0-9]+$/.test(storeId)) return undefined;
  return `https://${storeId}.${access?.trim() === "private" ? "private" : "public"}.blob.vercel-storage.com`;
}

/** A nonce for one response: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
