/**
 * Runs once when a server instance starts (next dev, next start, the standalone server).
 * Validating configuration here makes a bad `.env.local` stop the server at once with one
 * message naming every bad variable, instead of failing on the first request that needs it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // `next build` also loads this file; the build must not need runtime secrets.
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { exitOnInvalidConfig } = await import("./lib/config/startup");
  await exitOnInvalidConfig();
}
