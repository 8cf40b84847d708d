/**
 * A minimal process entry around `startServer`, for tests that need a real server process
 * (restart, signals): `node --import tsx src/server/http/serve-main.ts --port 0 --data <dir>`.
 * Prints one JSON line `{"url":…,"port":…}` on stdout once listening. `kvb serve` is the
 * user-facing entry (src/server/cli.ts).
 */
import { startServer, ServerStartError } from './serve';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1]! : fallback;
}

try {
  const server = await startServer({
    host: option('host', '127.0.0.1'),
    port: Number(option('port', '8787')),
    dataDir: option('data', './data'),
    logger: process.argv.includes('--log'),
  });
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port })}\n`);
  const shutdown = () => {
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  process.stderr.write(`${error instanceof ServerStartError ? error.message : `Cannot start the server: ${(error as Error).message}`}\n`);
  process.exit(2);
}
