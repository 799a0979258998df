// CLI entry (`npm run emulator` = `tsx emulator/main.ts`). Prints exactly one
// "identity emulator ready: <url> (tenant file: <path>)" line once certificates
// and tenant.json are written; launchers wait for that prefix.
//
// `tsx emulator/main.ts --ensure-certs` only creates the certificates (so a
// process can be started with NODE_EXTRA_CA_CERTS pointing at them) and prints
// the CA path.
import path from "node:path";
import { ensureCertificates, startEmulator } from "./index";

async function main(): Promise<void> {
  if (process.env.NODE_ENV === "production") {
    console.error("identity emulator: refusing to start with NODE_ENV=production. It issues tokens to anyone on this machine and is for development and tests only.");
    process.exit(1);
  }
  if (process.argv.includes("--ensure-certs")) {
    const certs = await ensureCertificates(path.resolve(__dirname, "..", ".emulator"));
    process.stdout.write(`${certs.caCertPath}\n`);
    return;
  }
  const emulator = await startEmulator();
  process.stdout.write(`identity emulator ready: ${emulator.url} (tenant file: ${emulator.tenantFile})\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`identity emulator: ${signal} received, shutting down\n`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`identity emulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
