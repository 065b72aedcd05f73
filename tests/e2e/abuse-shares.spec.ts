import http from "node:http";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import sharp from "sharp";
import { waitForResult } from "./helpers";

/**
 * Shares against a hostile visitor (issue 15, finding 2), on the production build served by `npm start`'s cluster,
 * over loopback only and bounded in count: a flood from one address meets a 429 with Retry-After while another
 * address still shares; a share is deleted only with its delete token; a malformed or unknown id gets JSON on the
 * API and the site's own "no such share" page; and the denoising page's share button hands out the link, a copy
 * button and the delete link.
 *
 * The server tells clients apart by the socket address (scripts/serve.mjs sets x-real-ip from it), so each test
 * speaks from an address of its own in 127.0.0.0/8, and the flood does not use up the allowance of the browser
 * tests, which come from 127.0.0.1.
 */

/** The share rate limit, per client and per process (SHARE_RATE_LIMIT in lib/server/share.ts). */
const PER_PROCESS = 10;
/** The flood stops at its first 429, or here: far past the limit of any cluster this machine would run. */
const MAX_FLOOD = 200;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: () => Record<string, unknown>;
  text: string;
}

/** One request on a new connection from `localAddress` (a new connection each: the cluster spreads them). */
function send(baseURL: string, localAddress: string, method: string, path: string, { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const url = new URL(path, baseURL);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        localAddress,
        agent: false,
        timeout: 30_000,
        headers: { ...(payload ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: () => JSON.parse(text) });
        });
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    request.on("error", reject);
    request.end(payload);
  });
}

let image: string;
test.beforeAll(async () => {
  const raw = Buffer.from(Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 41) % 256));
  image = `data:image/png;base64,${(await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer()).toString("base64")}`;
});
const shareBody = () => ({ noisy: image, denoised: image, noise: { kind: "gaussian", level: 0.1 } });

interface Created {
  id: string;
  url: string;
  deleteToken: string;
  deleteUrl: string;
}

test("a share flood from one address, forged headers and all, gets 429 with Retry-After; another address still shares", async ({ baseURL }) => {
  const flooder = "127.0.0.2";
  const created: Created[] = [];
  let refused: Answer | undefined;
  while (!refused && created.length < MAX_FLOOD) {
    // A new forged address on every request changes nothing: the server takes the socket's.
    const forged = `203.0.113.${created.length % 250}`;
    const headers = { "X-Real-IP": forged, "X-Forwarded-For": forged };
    const answer = await send(baseURL!, flooder, "POST", "/api/share", { body: shareBody(), headers });
    if (answer.status === 429) refused = answer;
    else {
      expect(answer.status, answer.text).toBe(201);
      created.push(answer.json() as unknown as Created);
    }
  }
  console.log(`share flood from ${flooder}: ${created.length} shares accepted, then 429 (Retry-After ${refused?.headers["retry-after"]} s)`);
  expect(refused, `no 429 after ${MAX_FLOOD} shares`).toBeDefined();
  expect(created.length).toBeGreaterThanOrEqual(PER_PROCESS);
  expect(refused!.headers["content-type"]).toMatch(/application\/json/);
  expect(refused!.json().error).toMatch(/Too many shares/);
  const retryAfter = Number(refused!.headers["retry-after"]);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(600);

  const neighbour = await send(baseURL!, "127.0.0.3", "POST", "/api/share", { body: shareBody() });
  expect(neighbour.status, neighbour.text).toBe(201);

  // The flood's shares go, each with its own token.
  for (const share of [...created, neighbour.json() as unknown as Created]) {
    const deleted = await send(baseURL!, "127.0.0.3", "DELETE", `/api/share/${share.id}`, { headers: { Authorization: `Bearer ${share.deleteToken}` } });
    expect(deleted.status, deleted.text).toBe(200);
  }
});

test("a share is deleted with its token only; the API answers JSON 403 and 404 otherwise", async ({ baseURL }) => {
  const from = "127.0.0.4";
  const [mine, theirs] = [
    (await send(baseURL!, from, "POST", "/api/share", { body: shareBody() })).json() as unknown as Created,
    (await send(baseURL!, from, "POST", "/api/share", { body: shareBody() })).json() as unknown as Created,
  ];
  const record = await send(baseURL!, from, "GET", `/api/share/${mine.id}`);
  expect(record.status).toBe(200);
  expect(record.headers["cache-control"]).not.toMatch(/immutable/);
  expect(record.text).not.toContain(mine.deleteToken);

  const wrongAuthorizations: Record<string, string>[] = [{}, { Authorization: `Bearer ${theirs.deleteToken}` }, { Authorization: mine.deleteToken }];
  for (const headers of wrongAuthorizations) {
    const refused = await send(baseURL!, from, "DELETE", `/api/share/${mine.id}`, { headers });
    expect(refused.status).toBe(403);
    expect(refused.json().error).toMatch(/delete token/);
  }
  expect((await send(baseURL!, from, "GET", `/api/share/${mine.id}`)).status).toBe(200);

  const deleted = await send(baseURL!, from, "DELETE", `/api/share/${mine.id}`, { headers: { Authorization: `Bearer ${mine.deleteToken}` } });
  expect(deleted.status).toBe(200);
  for (const path of [`/api/share/${mine.id}`, `/api/share/${mine.id}/noisy.png`]) {
    const gone = await send(baseURL!, from, "GET", path);
    expect(gone.status).toBe(404);
    expect(gone.json().error).toMatch(/no share/);
  }
  const again = await send(baseURL!, from, "DELETE", `/api/share/${mine.id}`, { headers: { Authorization: `Bearer ${mine.deleteToken}` } });
  expect(again.status).toBe(404);

  // The other share is untouched.
  expect((await send(baseURL!, from, "GET", `/api/share/${theirs.id}`)).status).toBe(200);
  expect((await send(baseURL!, from, "DELETE", `/api/share/${theirs.id}`, { headers: { Authorization: `Bearer ${theirs.deleteToken}` } })).status).toBe(200);
});

async function expectNoSuchSharePage(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(404);
  await expect(page.getByRole("heading", { name: "No such share" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Autoencoders in your browser" })).toBeVisible();
  // Styled as the rest of the site: its stylesheet applies (Tailwind's text-3xl font-bold on the heading).
  const heading = await page.getByRole("heading", { name: "No such share" }).evaluate((h) => ({ weight: getComputedStyle(h).fontWeight, size: getComputedStyle(h).fontSize }));
  expect(heading).toEqual({ weight: "700", size: "30px" });
}

test("a malformed or unknown id: JSON 400 or 404 on the API, the styled no-such-share page", async ({ page, baseURL }) => {
  for (const path of ["/api/share/%ff", "/api/share/%c0%ae", "/api/share/%ff/noisy.png"]) {
    const answer = await send(baseURL!, "127.0.0.5", "GET", path);
    expect(answer.status, path).toBe(400);
    expect(answer.headers["content-type"], path).toMatch(/application\/json/);
    expect(answer.json().error, path).toMatch(/percent-encoding/);
  }
  const unknown = await send(baseURL!, "127.0.0.5", "GET", "/api/share/AAAAAAAAAAAAAAAAAAAAAA");
  expect(unknown.status).toBe(404);
  expect(unknown.json().error).toMatch(/no share/);
  const malformedDelete = await send(baseURL!, "127.0.0.5", "DELETE", "/api/share/%ff");
  expect(malformedDelete.status).toBe(400);

  for (const path of ["/share/AAAAAAAAAAAAAAAAAAAAAA", "/share/%ff", "/share/%c0%ae", "/share/not-an-id"]) await expectNoSuchSharePage(page, path);
});

test("the share button: the link with a copy button, the delete link, and deleting", async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  // Straight to the server backend: this test is about sharing, not about the chain.
  await page.goto("/denoise?backends=server");
  await waitForResult(page);
  await page.getByTestId("share").click();
  const link = page.getByTestId("share-link");
  await expect(link).toBeVisible();
  const url = (await link.getAttribute("href"))!;
  const id = url.split("/").pop()!;
  await page.getByTestId("copy-share-link").click();
  await expect(page.getByTestId("copy-share-link")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  const deleteUrl = (await page.getByTestId("share-delete-link").getAttribute("href"))!;
  expect(deleteUrl).toMatch(new RegExp(`/share/${id}#delete=[A-Za-z0-9_-]{43}$`));

  // Anyone with the link sees the share and no delete button; the delete link's page has one.
  const viewer = await context.newPage();
  await viewer.goto(url);
  await expect(viewer.getByRole("heading", { name: "A shared denoised face" })).toBeVisible();
  await expect(viewer.getByTestId("delete-share")).toHaveCount(0);
  await viewer.goto(deleteUrl);
  await expect(viewer.getByTestId("delete-share")).toBeVisible();
  await viewer.close();

  // The share button's own delete action.
  await page.getByTestId("share-delete").click();
  await expect(page.getByTestId("share-deleted")).toBeVisible();
  expect((await page.request.get(`/api/share/${id}`)).status()).toBe(404);
  await expectNoSuchSharePage(page, url);
});

test("the delete link's page deletes the share and then shows no such share", async ({ page, baseURL }) => {
  const share = (await send(baseURL!, "127.0.0.6", "POST", "/api/share", { body: shareBody() })).json() as unknown as Created;
  await page.goto(share.deleteUrl);
  await page.getByTestId("delete-share").click();
  await expect(page.getByRole("heading", { name: "No such share" })).toBeVisible();
  // The token has left the address bar.
  expect(new URL(page.url()).hash).toBe("");
  expect((await send(baseURL!, "127.0.0.6", "GET", `/api/share/${share.id}`)).status).toBe(404);
});
