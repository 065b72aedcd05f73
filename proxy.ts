import { NextResponse, type NextRequest } from "next/server";
import { isDecodablePath } from "@/lib/share-urls";

/**
 * Share URLs whose path does not percent-decode (`/share/%ff`, `/api/share/%c0%ae`): Next's router fails on them
 * with a bare 500 text/plain before any route or page runs, so they are answered here, like any other bad id: a
 * JSON 400 on the API, the styled "no such share" page (404) for the page.
 */
export function proxy(request: NextRequest): Response {
  const { pathname } = request.nextUrl;
  if (isDecodablePath(pathname)) return NextResponse.next();
  if (pathname.startsWith("/api/")) {
    return Response.json({ error: "The share id in this URL is not valid percent-encoding." }, { status: 400, headers: { "Cache-Control": "no-store" } });
  }
  // Any id that is not a share's renders app/share/[id]/not-found.tsx.
  return NextResponse.rewrite(new URL("/share/-", request.url));
}

export const config = { matcher: ["/share/:path*", "/api/share/:path*"] };
