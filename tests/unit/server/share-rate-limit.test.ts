import { afterEach, describe, expect, it, vi } from "vitest";
import { clientAddressHeader, clientKey, UNIDENTIFIED_CLIENT } from "@/lib/server/client-address";
import { ClientRateLimit } from "@/lib/server/rate-limit";

/** Who a client is (lib/server/client-address.ts) and how many requests it gets (lib/server/rate-limit.ts). */

const withHeaders = (headers: Record<string, string>) => new Request("http://localhost/api/share", { method: "POST", headers });

describe("the client's address", () => {
  it("trusts a header only where the environment names one: CLIENT_IP_HEADER, or x-real-ip on Vercel", () => {
    expect(clientAddressHeader({})).toBeNull();
    expect(clientAddressHeader({ VERCEL: "1" })).toBe("x-real-ip");
    expect(clientAddressHeader({ VERCEL: "1", CLIENT_IP_HEADER: "X-Forwarded-For" })).toBe("x-forwarded-for");

    const forged = withHeaders({ "x-real-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.10" });
    expect(clientKey(forged, {})).toBe(UNIDENTIFIED_CLIENT);
    expect(clientKey(forged, { VERCEL: "1" })).toBe("ip:203.0.113.9");
    expect(clientKey(forged, { CLIENT_IP_HEADER: "x-forwarded-for" })).toBe("ip:203.0.113.10");
  });

  it("takes the last entry of a list: the one the nearest proxy appended, not what the visitor wrote", () => {
    const env = { CLIENT_IP_HEADER: "x-forwarded-for" };
    expect(clientKey(withHeaders({ "x-forwarded-for": "1.2.3.4, 198.51.100.7" }), env)).toBe("ip:198.51.100.7");
    expect(clientKey(withHeaders({ "x-forwarded-for": "198.51.100.7,garbage" }), env)).toBe(UNIDENTIFIED_CLIENT);
  });

  it("groups IPv6 by /64, reads IPv4-mapped IPv6 as IPv4, and refuses what is not an address", () => {
    const env = { CLIENT_IP_HEADER: "x-real-ip" };
    const key = (address: string) => clientKey(withHeaders({ "x-real-ip": address }), env);
    expect(key("2001:db8:1:2:aaaa::1")).toBe("ip:2001:db8:1:2::/64");
    expect(key("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe(key("2001:db8:1:2::5"));
    expect(key("2001:db8:1:3::5")).not.toBe(key("2001:db8:1:2::5"));
    expect(key("::ffff:127.0.0.2")).toBe("ip:127.0.0.2");
    for (const junk of ["", "unknown", "127.1", "0x7f.0.0.1", "999.1.1.1", "1.2.3.4:80", "<script>"]) {
      expect(key(junk), junk).toBe(UNIDENTIFIED_CLIENT);
    }
    expect(clientKey(withHeaders({}), env)).toBe(UNIDENTIFIED_CLIENT);
  });
});

describe("ClientRateLimit", () => {
  afterEach(() => void vi.useRealTimers());

  it("allows `points` requests per client per window, then says when to come back", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") });
    const limit = new ClientRateLimit({ points: 3, windowSeconds: 60 });
    for (let i = 0; i < 3; i++) expect(await limit.take("ip:198.51.100.7")).toEqual({ allowed: true, remaining: 2 - i });
    expect(await limit.take("ip:198.51.100.7")).toEqual({ allowed: false, retryAfterSeconds: 60 });
    // Another client has its own allowance.
    expect((await limit.take("ip:198.51.100.8")).allowed).toBe(true);

    vi.advanceTimersByTime(45_000);
    expect(await limit.take("ip:198.51.100.7")).toEqual({ allowed: false, retryAfterSeconds: 15 });
    vi.advanceTimersByTime(15_001);
    expect(await limit.take("ip:198.51.100.7")).toEqual({ allowed: true, remaining: 2 });
  });
});
