/**
 * A share's ids, tokens and addresses, the same for the server (lib/server/share.ts, the routes and pages), the
 * proxy and the browser (the share button, the share page's delete button).
 */

export const SHARE_IMAGES = ["noisy", "denoised"] as const;
export type ShareImage = (typeof SHARE_IMAGES)[number];

/** 16 random bytes, base64url. */
const SHARE_ID = /^[A-Za-z0-9_-]{22}$/;
/** 32 random bytes, base64url. */
const DELETE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const isShareId = (id: string): boolean => SHARE_ID.test(id);
export const isDeleteToken = (token: string): boolean => DELETE_TOKEN.test(token);

export const sharePageUrl = (id: string) => `/share/${id}`;
export const shareApiUrl = (id: string) => `/api/share/${id}`;
export const shareImageUrl = (id: string, image: ShareImage) => `/api/share/${id}/${image}.png`;

/**
 * The sharer's delete link: the share's page with the token in the fragment. Browsers never send a fragment to a
 * server, so the token stays out of request logs and Referer headers; the page reads it and offers to delete.
 */
export const shareDeleteUrl = (id: string, token: string) => `${sharePageUrl(id)}#delete=${token}`;

/** The delete token in a location's fragment (`#delete=<token>`), or null. */
export function deleteTokenFromFragment(hash: string): string | null {
  const token = /^#delete=(.*)$/.exec(hash)?.[1];
  return token && isDeleteToken(token) ? token : null;
}

/** A share's dates as the pages show them: "Wed, 02 Dec 2026 01:27 UTC". */
export const formatShareDate = (iso: string) => new Date(iso).toUTCString().replace(/:\d\d GMT$/, " UTC");

/**
 * Whether every segment of a URL path percent-decodes. Next's router answers a dynamic segment that does not
 * (`/share/%ff`, the overlong `/share/%c0%ae`) with a bare 500 before any route runs, so proxy.ts answers these.
 */
export function isDecodablePath(pathname: string): boolean {
  try {
    for (const segment of pathname.split("/")) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
