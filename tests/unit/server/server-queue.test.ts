import { describe, expect, it, vi } from "vitest";
import { ClientClosedError, errorResponse, HttpError, OverloadedError, readBody } from "@/lib/server/http";
import { InferenceQueue } from "@/lib/server/queue";
import { gate } from "../../helpers/server-state";

/** The server's inference line: `concurrency` tasks at a time (default one), a bounded wait, and 503 with Retry-After beyond it. */

describe("InferenceQueue", () => {
  it("runs one task at a time, in order", async () => {
    const queue = new InferenceQueue({ maxWaiting: 10, maxWaitMs: 5_000 });
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${name}`);
      return name;
    };
    expect(await Promise.all(["a", "b", "c"].map((n) => queue.run(task(n))))).toEqual(["a", "b", "c"]);
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("runs `concurrency` tasks at once, no more, and starts the next as one ends", async () => {
    const queue = new InferenceQueue({ maxWaiting: 10, maxWaitMs: 5_000, concurrency: 2 });
    const gates = [gate(), gate(), gate()];
    let active = 0;
    let most = 0;
    const runs = gates.map(({ opened }) =>
      queue.run(async () => {
        most = Math.max(most, ++active);
        await opened;
        active--;
      }),
    );
    expect(queue.load).toEqual({ waiting: 1, running: 2 });
    gates[0].open();
    await runs[0];
    await vi.waitFor(() => expect(queue.load).toEqual({ waiting: 0, running: 2 }));
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(most).toBe(2);
  });

  it("refuses a task when the line is full, and never runs it", async () => {
    const queue = new InferenceQueue({ maxWaiting: 2, maxWaitMs: 5_000 });
    const { open, opened } = gate();
    const running = queue.run(() => opened);
    const waiting = [queue.run(async () => 1), queue.run(async () => 2)];
    expect(queue.load).toEqual({ waiting: 2, running: 1 });
    let ran = false;
    const refused = await queue.run(async () => (ran = true)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    open();
    await running;
    expect(await Promise.all(waiting)).toEqual([1, 2]);
    expect(ran).toBe(false);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });

  it("gives up on a task that waited past the limit, without running it, and goes on with the rest", async () => {
    const queue = new InferenceQueue({ maxWaiting: 10, maxWaitMs: 100 });
    const { open, opened } = gate();
    const running = queue.run(() => opened);
    let ran = false;
    const late = queue.run(async () => (ran = true)).catch((e: unknown) => e);
    expect(await late).toBeInstanceOf(OverloadedError);
    open();
    await running;
    expect(ran).toBe(false);
    expect(await queue.run(async () => "next")).toBe("next");
  });

  it("takes a waiting task out of the line the moment its client hangs up, and never runs it", async () => {
    const queue = new InferenceQueue({ maxWaiting: 10, maxWaitMs: 5_000 });
    const { open, opened } = gate();
    const running = queue.run(() => opened);
    const client = new AbortController();
    let ran = false;
    const gone = queue.run(async () => (ran = true), client.signal).catch((e: unknown) => e);
    expect(queue.load.waiting).toBe(1);
    client.abort();
    expect(await gone).toMatchObject({ status: 499 });
    expect(queue.load.waiting).toBe(0);
    open();
    await running;
    expect(ran).toBe(false);
  });

  it("lets a running task finish when its client hangs up mid-run, one task at a time still", async () => {
    const queue = new InferenceQueue({ maxWaiting: 10, maxWaitMs: 5_000 });
    const { open, opened } = gate();
    const client = new AbortController();
    let active = 0;
    const running = queue.run(async () => {
      active++;
      await opened;
      active--;
      return "finished";
    }, client.signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    client.abort();
    let overlapped = true;
    const next = queue.run(async () => (overlapped = active > 0));
    open();
    expect(await running).toBe("finished");
    await next;
    expect(overlapped).toBe(false);
  });

  it("passes a task's own error through, and keeps going", async () => {
    const queue = new InferenceQueue({ maxWaiting: 10, maxWaitMs: 5_000 });
    await expect(queue.run(async () => Promise.reject(new Error("model failed")))).rejects.toThrow("model failed");
    expect(await queue.run(async () => 42)).toBe(42);
  });
});

describe("HTTP errors", () => {
  it("answers an overload with 503 and Retry-After, an HttpError with its status, anything else with 500 and no internals", async () => {
    const busy = errorResponse(new OverloadedError("busy", 3), "test", "failed");
    expect([busy.status, busy.headers.get("retry-after"), (await busy.json()).error]).toEqual([503, "3", "busy"]);
    const bad = errorResponse(new HttpError(415, "not an image"), "test", "failed");
    expect([bad.status, (await bad.json()).error]).toEqual([415, "not an image"]);
    const original = console.error;
    console.error = () => {};
    const broken = errorResponse(new Error("boom"), "test", "Denoising failed");
    console.error = original;
    expect([broken.status, (await broken.json()).error]).toEqual([500, "Denoising failed: an unexpected error on the server (it has been logged)."]);
  });

  it("stops reading a body that declares no length as soon as it passes the limit", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const request = new Request("http://localhost/", { method: "POST", body: endless, duplex: "half" } as RequestInit);
    const error = await readBody(request, 1024 * 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(413);
    expect(pulled).toBeLessThan(40);
  });

  it("answers a client that hangs up mid-upload with 499 and one line in the log, not a stack", async () => {
    // What Node's HTTP server gives a body stream whose connection closes early.
    const reset = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    let sent = 0;
    const cut = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 2) controller.enqueue(new Uint8Array(1000));
        else controller.error(reset);
      },
    });
    const request = new Request("http://localhost/", { method: "POST", body: cut, duplex: "half" } as RequestInit);
    const error = await readBody(request, 1024 * 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientClosedError);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const fail = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = errorResponse(error, "POST /api/denoise", "Denoising failed");
      expect(response.status).toBe(499);
      expect(fail).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      const line = warn.mock.calls[0].join(" ");
      expect(line).toBe("POST /api/denoise: The client closed the connection while sending the body (2000 bytes read).");
    } finally {
      warn.mockRestore();
      fail.mockRestore();
    }
  });

  it("refuses a body by its declared length before reading it", async () => {
    const request = new Request("http://localhost/", { method: "POST", body: "x", headers: { "content-length": String(10 * 1024 * 1024) } });
    await expect(readBody(request, 1024)).rejects.toMatchObject({ status: 413 });
  });
});
