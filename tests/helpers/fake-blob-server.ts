import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small in-memory stand-in for the Vercel Blob HTTP API on 127.0.0.1, implementing exactly the requests
 * `@vercel/blob` 2.x sends for put, head, list and del (see `requestApi` in its dist/chunk-*.js), plus downloads
 * of the blob URLs it hands out. Point the library at it with `VERCEL_BLOB_API_URL = server.apiUrl`.
 *
 * Errors are answered the way the real API does, `{ "error": { "code", "message" } }`, since the library maps the
 * code (not the status) to its error classes and decides from it whether to retry.
 */

export interface Fault {
  status: number;
  /** The API's error code; defaults to the one the real API sends with `status`. */
  code?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Which requests fail: API calls (default) or downloads of blob URLs. */
  on?: "api" | "download";
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** `x-api-blob-request-attempt`: 0 for a first try, n for the library's n-th retry. */
  attempt: number | null;
  /** Whether it carried this server's token. */
  authorized: boolean;
}

export interface FakeBlobServer {
  /** The value for VERCEL_BLOB_API_URL. */
  readonly apiUrl: string;
  /** A read-write token this server accepts; any other is answered 403. */
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** Pathnames stored, sorted. */
  pathnames(): string[];
  /** The next `times` matching requests answer with `fault` (Infinity: every one until reset). */
  fail(fault: Fault, times?: number): void;
  /** Empties the store, the request log and the faults. */
  reset(): void;
  close(): Promise<void>;
}

interface StoredBlob {
  bytes: Buffer;
  contentType: string;
  access: string;
  uploadedAt: Date;
  etag: string;
}

const DEFAULT_CODES: Record<number, string> = {
  400: "bad_request",
  403: "forbidden",
  404: "not_found",
  429: "rate_limited",
  500: "internal_server_error",
  503: "service_unavailable",
};

const API_PATH = "/api/blob";
const STORE_PATH = "/store/";

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, message: string, code = DEFAULT_CODES[status] ?? "unknown_error", retryAfter?: number): void {
  sendJson(response, status, { error: { code, message } }, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

/** `pageSize` caps every list page, so that a small store still exercises the cursor. */
export async function startFakeBlobServer({ pageSize = 1000 } = {}): Promise<FakeBlobServer> {
  const token = "vercel_blob_rw_fakestore_secret";
  const blobs = new Map<string, StoredBlob>();
  const requests: RecordedRequest[] = [];
  let faults: { fault: Fault; remaining: number }[] = [];
  let origin = "";

  const blobUrl = (pathname: string, access: string) => `${origin}${STORE_PATH}${access}/${pathname.split("/").map(encodeURIComponent).join("/")}`;

  /** The library sends either a pathname or a blob URL wherever it accepts "urlOrPathname". */
  const pathnameOf = (urlOrPathname: string): string => {
    if (!/^https?:\/\//.test(urlOrPathname)) return urlOrPathname;
    const segments = new URL(urlOrPathname).pathname.slice(STORE_PATH.length).split("/").slice(1);
    return segments.map(decodeURIComponent).join("/");
  };

  const describeBlob = (pathname: string, blob: StoredBlob) => {
    const url = blobUrl(pathname, blob.access);
    return { url, downloadUrl: `${url}?download=1`, pathname, size: blob.bytes.length, uploadedAt: blob.uploadedAt.toISOString(), etag: blob.etag };
  };

  const takeFault = (on: "api" | "download"): Fault | null => {
    const entry = faults.find((f) => (f.fault.on ?? "api") === on && f.remaining > 0);
    if (!entry) return null;
    entry.remaining -= 1;
    return entry.fault;
  };

  async function handlePut(request: IncomingMessage, response: ServerResponse, params: URLSearchParams): Promise<void> {
    const pathname = params.get("pathname");
    if (!pathname) return sendError(response, 400, "pathname is required");
    const body = await readBody(request);
    if (blobs.has(pathname) && request.headers["x-allow-overwrite"] !== "1") {
      return sendError(response, 400, "This blob already exists, use `allowOverwrite: true` if you want to overwrite it.");
    }
    const blob: StoredBlob = {
      bytes: body,
      contentType: String(request.headers["x-content-type"] ?? "application/octet-stream"),
      access: String(request.headers["x-vercel-blob-access"] ?? "public"),
      uploadedAt: new Date(),
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
    };
    blobs.set(pathname, blob);
    const { url, downloadUrl, etag } = describeBlob(pathname, blob);
    sendJson(response, 200, { url, downloadUrl, pathname, contentType: blob.contentType, contentDisposition: `inline; filename="${pathname.split("/").pop()}"`, etag });
  }

  function handleHead(response: ServerResponse, urlOrPathname: string): void {
    const pathname = pathnameOf(urlOrPathname);
    const blob = blobs.get(pathname);
    if (!blob) return sendError(response, 404, "The requested blob does not exist");
    sendJson(response, 200, { ...describeBlob(pathname, blob), contentType: blob.contentType, contentDisposition: "inline", cacheControl: "public, max-age=2592000" });
  }

  function handleList(response: ServerResponse, params: URLSearchParams): void {
    const prefix = params.get("prefix") ?? "";
    const after = params.get("cursor") ?? "";
    const limit = Math.min(Number(params.get("limit") ?? 1000), pageSize);
    const matching = [...blobs.keys()].filter((p) => p.startsWith(prefix) && p > after).sort();
    const page = matching.slice(0, limit);
    const hasMore = matching.length > page.length;
    sendJson(response, 200, {
      blobs: page.map((p) => describeBlob(p, blobs.get(p) as StoredBlob)),
      hasMore,
      ...(hasMore ? { cursor: page[page.length - 1] } : {}),
    });
  }

  async function handleDelete(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { urls } = JSON.parse((await readBody(request)).toString("utf8")) as { urls: string[] };
    // Like the real API: deleting a blob that is not there succeeds.
    for (const url of urls) blobs.delete(pathnameOf(url));
    sendJson(response, 200, {});
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const fault = takeFault("api");
    if (fault) return sendError(response, fault.status, `injected ${fault.status}`, fault.code, fault.retryAfter);
    if (request.headers.authorization !== `Bearer ${token}`) return sendError(response, 403, "Forbidden");
    const route = url.pathname.slice(API_PATH.length).replace(/^\/$/, "");
    if (route === "" && request.method === "PUT" && !url.searchParams.has("fromUrl")) return handlePut(request, response, url.searchParams);
    if (route === "" && request.method === "GET" && url.searchParams.has("url")) return handleHead(response, url.searchParams.get("url") ?? "");
    if (route === "" && request.method === "GET") return handleList(response, url.searchParams);
    if (route === "/delete" && request.method === "POST") return handleDelete(request, response);
    sendError(response, 400, `the fake Blob API does not implement ${request.method} ${url.pathname}`);
  }

  function handleDownload(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const fault = takeFault("download");
    if (fault) return sendError(response, fault.status, `injected ${fault.status}`, fault.code, fault.retryAfter);
    const pathname = pathnameOf(url.href);
    const blob = blobs.get(pathname);
    const access = url.pathname.slice(STORE_PATH.length).split("/")[0];
    if (!blob || blob.access !== access) return sendError(response, 404, "The requested blob does not exist");
    if (access === "private" && request.headers.authorization !== `Bearer ${token}`) return sendError(response, 403, "Forbidden");
    response.writeHead(200, {
      "content-type": blob.contentType,
      "content-length": String(blob.bytes.length),
      etag: blob.etag,
      "last-modified": blob.uploadedAt.toUTCString(),
      "cache-control": "public, max-age=2592000",
    });
    response.end(blob.bytes);
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", origin);
    const attempt = request.headers["x-api-blob-request-attempt"];
    requests.push({
      method: request.method ?? "",
      url: request.url ?? "",
      attempt: attempt === undefined ? null : Number(attempt),
      authorized: request.headers.authorization === `Bearer ${token}`,
    });
    const handled = url.pathname.startsWith(API_PATH)
      ? handleApi(request, response, url)
      : url.pathname.startsWith(STORE_PATH)
        ? handleDownload(request, response, url)
        : sendError(response, 404, "not a fake Blob URL");
    Promise.resolve(handled).catch((error: unknown) => sendError(response, 500, String(error), "internal_server_error"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${origin}${API_PATH}`,
    token,
    requests,
    pathnames: () => [...blobs.keys()].sort(),
    fail: (fault, times = 1) => void faults.push({ fault, remaining: times }),
    reset: () => {
      blobs.clear();
      requests.length = 0;
      faults = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
