/**
 * First Load JS measured in a real browser: loads each page of a running app in a fresh
 * Chromium context (empty cache) and sums the transfer (encoded, i.e. gzip as served) body sizes
 * of the app's own JavaScript responses until the network is idle. Prints JSON on stdout:
 *   { "<route>": { "scripts": n, "encodedBytes": n, "decodedBytes": n } }
 *
 *   node --import tsx bench/first-load-js.ts http://127.0.0.1:<port> / /profile ...
 *
 * Run it under the repository's browser/build lock (bench/run.ts does: flock /tmp/next-build.lock).
 */
import { chromium } from "@playwright/test";
import { launchOptions } from "../e2e/browser";

interface RouteWeight {
  scripts: number;
  encodedBytes: number;
  decodedBytes: number;
}

async function main(): Promise<void> {
  const [origin, ...routes] = process.argv.slice(2);
  if (!origin || routes.length === 0) throw new Error("usage: first-load-js.ts <origin> <route>...");
  const browser = await chromium.launch(launchOptions(undefined));
  const out: Record<string, RouteWeight> = {};
  try {
    for (const route of routes) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, serviceWorkers: "block" });
      const page = await context.newPage();
      const pending: Promise<void>[] = [];
      const weight: RouteWeight = { scripts: 0, encodedBytes: 0, decodedBytes: 0 };
      page.on("response", (response) => {
        const request = response.request();
        if (request.resourceType() !== "script" || !response.url().startsWith(origin)) return;
        pending.push(
          (async () => {
            const [sizes, body] = await Promise.all([request.sizes(), response.body().catch(() => Buffer.alloc(0))]);
            weight.scripts++;
            weight.encodedBytes += sizes.responseBodySize;
            weight.decodedBytes += body.length;
          })(),
        );
      });
      await page.goto(origin + route, { waitUntil: "networkidle" });
      await Promise.all(pending);
      out[route] = weight;
      await context.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
