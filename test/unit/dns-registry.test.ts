// The isolate's view of zone serials (the keys of DoH's cached and in-flight answers): a lookup
// that began before a known change must not bring back the serial from before it.

import { afterEach, describe, expect, it, vi } from "vitest";
import { SERIAL_MAX_AGE_MS, ZoneRegistry } from "../../src/dns/registry.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("zone serials", () => {
  it("keeps a trusted serial when an older one is noted, and takes a newer one", () => {
    const r = new ZoneRegistry();
    r.noteSerial("example.", 20);
    r.noteSerial("example.", 19); // a lookup begun before the change that made 20
    expect(r.serialHint("example.")).toBe(20);
    r.noteSerial("example.", 21);
    expect(r.serialHint("example.")).toBe(21);
    // RFC 1982: 0 follows 0xffffffff.
    r.noteSerial("wrap.", 0xffffffff);
    r.noteSerial("wrap.", 0);
    expect(r.serialHint("wrap.")).toBe(0);
    r.noteSerial("wrap.", 0xffffffff);
    expect(r.serialHint("wrap.")).toBe(0);
  });

  it("takes any serial once the known one is no longer trusted, or was forgotten", () => {
    vi.useFakeTimers();
    const r = new ZoneRegistry();
    r.noteSerial("example.", 20);
    vi.advanceTimersByTime(SERIAL_MAX_AGE_MS);
    expect(r.serialHint("example.")).toBeNull();
    r.noteSerial("example.", 5); // e.g. the zone was made again elsewhere with its own numbering
    expect(r.serialHint("example.")).toBe(5);

    expect(r.forgotten("example.")).toBe(0);
    r.invalidate("example.");
    expect(r.serialHint("example.")).toBeNull();
    expect(r.forgotten("example.")).toBe(1);
    expect(r.forgotten("other.")).toBe(0);
    r.noteSerial("example.", 3);
    expect(r.serialHint("example.")).toBe(3);
  });
});
