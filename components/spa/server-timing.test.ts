import { parseServerTiming } from "./server-timing";

describe("parseServerTiming", () => {
  it("reads names, durations and quoted descriptions", () => {
    expect(parseServerTiming('verify;dur=0.31, obo;desc="hit";dur=0.12, graph;dur=12.5')).toEqual([
      { name: "verify", durationMs: 0.31 },
      { name: "obo", description: "hit", durationMs: 0.12 },
      { name: "graph", durationMs: 12.5 },
    ]);
  });

  it("keeps commas and semicolons inside quoted descriptions", () => {
    expect(parseServerTiming('arm;desc="3 pages; retried, once";dur=40, total;dur=41')).toEqual([
      { name: "arm", description: "3 pages; retried, once", durationMs: 40 },
      { name: "total", durationMs: 41 },
    ]);
  });

  it("ignores malformed durations and empty input", () => {
    expect(parseServerTiming("verify;dur=abc")).toEqual([{ name: "verify" }]);
    expect(parseServerTiming(null)).toEqual([]);
    expect(parseServerTiming("")).toEqual([]);
  });
});
