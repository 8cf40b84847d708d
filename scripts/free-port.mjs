// A free TCP port on 127.0.0.1, so the browser suites never collide with a server already
// running on the default port (another checkout's tests, a `vite preview` left open).
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
