import "server-only";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import type { z } from "zod";
import { errorMessage, isAbortError } from "../errors";
import { ModelIntegrityError } from "../model-artifacts";

/**
 * What every API route answers when something goes wrong: JSON `{ "error": message }` a person can read, with the
 * status that says whose problem it is, and never a stack trace.
 */

/** An error with the HTTP status the route answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The client hung up (499, which nobody reads): while sending its body, while waiting for its turn, or while its work
 * ran. Worth one line in the log, never a stack.
 */
export class ClientClosedError extends HttpError {
  constructor(message: string) {
    super(499, message);
  }
}

/** The server is saturated (503): the request waited too long for its turn, or too many are waiting already. */
export class OverloadedError extends HttpError {
  constructor(
    message: string,
    /** When to try again: about how long the requests ahead of it will take. */
    readonly retryAfterSeconds: number,
  ) {
    super(503, message);
  }
}

export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: withoutLocalPaths(message) }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/** 405 for a method `where` does not answer, with the `Allow` header and a JSON body saying the same. */
export function methodNotAllowed(method: string, where: string, allow: readonly string[]): Response {
  return jsonError(405, `${method} is not allowed on ${where}; it answers ${allow.join(", ")}.`, { Allow: allow.join(", ") });
}

/**
 * `text` with the server's own folders taken out, for anything a client reads (errors, /api/health): the working
 * directory's paths become relative (`models/manifest.json`), `MODELS_DIR` and `DATA_DIR` elsewhere are named by
 * their setting (`<MODELS_DIR>/manifest.json`), and the home and temporary folders by `~` and `<tmp>`. Where the
 * server keeps its files is nobody else's business, and a message stays readable.
 */
export function withoutLocalPaths(text: string): string {
  const cwd = process.cwd();
  const outside = (dir: string) => dir !== cwd && !dir.startsWith(cwd + path.sep);
  const settings: [string | undefined, string][] = [
    [process.env.MODELS_DIR, "<MODELS_DIR>"],
    [process.env.DATA_DIR, "<DATA_DIR>"],
    [cwd, "."],
    [tmpdir(), "<tmp>"],
    [homedir(), "~"],
  ];
  const places = settings.flatMap(([dir, name]) => {
    const resolved = dir && path.isAbsolute(dir) ? path.resolve(dir) : undefined;
    if (!resolved || resolved === path.parse(resolved).root) return [];
    // A setting's folder inside the working directory reads better as its relative path.
    return name.startsWith("<") && !outside(resolved) ? [] : [[resolved, name] as const];
  });
  // The deepest folder first: a MODELS_DIR under the temporary folder keeps its name.
  places.sort(([a], [b]) => b.length - a.length);
  let result = text;
  for (const [dir, name] of places) result = result.split(`${dir}${path.sep}`).join(name === "." ? "" : `${name}/`).split(dir).join(name);
  return result;
}

/**
 * Whether `error` is the client hanging up: the request body's stream ends with "aborted" (ECONNRESET) when the
 * connection closes mid-upload, and our own cancellable work rejects with an AbortError.
 */
export function isClientHangUp(error: unknown, request?: Request): boolean {
  if (request?.signal.aborted) return true;
  const code = (error as { code?: unknown } | null)?.code;
  // Node's stream reader rejects with a plain Error("aborted") when the connection drops mid-body.
  return isAbortError(error) || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || errorMessage(error) === "aborted";
}

/** 400 naming each distinct problem zod found (at most five), e.g. "level: must be at most 1". */
export function validationError(error: z.ZodError, subject: string): Response {
  const problems = [...new Set(error.issues.map((i) => `${i.path.join(".") || subject}: ${i.message}`))];
  return jsonError(400, problems.slice(0, 5).join("; "));
}

/**
 * The answer for an error a route caught: its own status for an HttpError; 499 (one line logged) for a client that
 * hung up, mid-upload say (pass the request to know it for sure); 503 (logged) for model files that do not
 * match their manifest, still so after the loader's retries: the server's problem, not the request's, and one a
 * deployment in progress may clear; 500 (logged, its message not passed on) for anything else.
 */
export function errorResponse(error: unknown, route: string, failure: string, request?: Request): Response {
  if (error instanceof ClientClosedError || isClientHangUp(error, request)) {
    // Nobody is left to read the answer, and a hang-up is no fault of the server: one line, no stack. Our own
    // ClientClosedError says when it came (before its turn, mid-upload, mid-work); anything else, what broke.
    const known = error instanceof ClientClosedError;
    console.warn(`${route}: ${known ? error.message : `the client hung up (${errorMessage(error)})`}`);
    return jsonError(499, known ? error.message : "The client closed the request.");
  }
  if (error instanceof OverloadedError) return jsonError(503, error.message, { "Retry-After": String(error.retryAfterSeconds) });
  if (error instanceof HttpError) return jsonError(error.status, error.message);
  console.error(`${route}:`, error);
  if (error instanceof ModelIntegrityError) {
    return jsonError(503, `${failure}: the server's model files do not match their manifest (${error.message}); try again later.`);
  }
  // The message of an unexpected error is a library's or our own internals: it goes to the log, not to the client.
  return jsonError(500, `${failure}: an unexpected error on the server (it has been logged).`);
}

/** The media type of the request body, lower-cased and without parameters ("multipart/form-data"). */
export function contentType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

const tooLarge = (subject: string, size: string, maxBytes: number) =>
  new HttpError(413, `${subject} is ${size} bytes; the limit is ${maxBytes} (${(maxBytes / 1024 / 1024).toFixed(1)} MB).`);

/**
 * The whole body, refused with 413 as soon as it passes `maxBytes`: from the declared length before reading
 * anything, and while streaming for a body that declares none (chunked), so a huge upload never sits in memory.
 */
export async function readBody(request: Request, maxBytes: number, subject = "The body"): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(subject, String(declared), maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body?.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = reader ? await reader.read() : { done: true, value: undefined };
    } catch (error) {
      // The connection closed before the body's end: the client hung up (or the server's request timeout ended it).
      if (isClientHangUp(error, request)) throw new ClientClosedError(`The client closed the connection while sending the body (${total} bytes read).`);
      throw error;
    }
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > maxBytes) {
      await reader?.cancel();
      throw tooLarge(subject, `over ${maxBytes}`, maxBytes);
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** The request's JSON body, bounded in size, or the HTTP error to answer with. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const bytes = await readBody(request, maxBytes);
  if (bytes.length === 0) throw new HttpError(400, "The body is empty.");
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, "The body is not valid JSON.");
  }
}
