import "server-only";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/**
 * A per-client rate limit: at most `points` requests per client in a fixed window of `windowSeconds`, counted by
 * rate-limiter-flexible's in-memory limiter (one window per key, dropped when it ends, so memory stays bounded by
 * the clients seen in one window).
 *
 * In memory means per process: under `npm start`'s cluster each process counts on its own, so a client that
 * spreads its requests over N processes gets up to N times the allowance; on Vercel each function instance counts
 * on its own and starts from zero, so there the limit slows a flood down rather than capping it. What caps the
 * damage everywhere is the storage quota (lib/server/share.ts). A limit shared by every instance needs a shared
 * store; rate-limiter-flexible has the same interface over Redis and others, if this demo ever needs one.
 */

export interface RateLimitOptions {
  /** Requests allowed per client in one window. */
  points: number;
  windowSeconds: number;
}

export type RateLimitDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export class ClientRateLimit {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly options: RateLimitOptions) {
    this.limiter = new RateLimiterMemory({ points: options.points, duration: options.windowSeconds });
  }

  /** Counts one request of `client` and says whether it may go ahead, or in how many seconds it may try again. */
  async take(client: string): Promise<RateLimitDecision> {
    try {
      const granted = await this.limiter.consume(client);
      return { allowed: true, remaining: granted.remainingPoints };
    } catch (refusal) {
      // The limiter rejects with the window's state when the client is over its allowance, with an Error otherwise.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
    }
  }
}
