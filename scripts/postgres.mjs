// A throwaway PostgreSQL server for the tests and the benchmark: Debian's `postgresql` binaries,
// `initdb` in a temporary directory (as the `postgres` user when we are root: initdb refuses
// root), a free port on 127.0.0.1, trust authentication, stopped by PID. Nothing of it outlives
// `stop()` (or this process: an exit handler stops it too).
import { execFileSync, execSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.mjs';

const ROOT = '/usr/lib/postgresql';
const MIN_MAJOR = 13;

/** The newest installed server's bin directory (13 or later), or null. */
export function findPostgresBin() {
  if (process.env.KVB_POSTGRES_BIN) return process.env.KVB_POSTGRES_BIN;
  let majors = [];
  try {
    majors = readdirSync(ROOT)
      .map(Number)
      .filter((major) => major >= MIN_MAJOR && existsSync(join(ROOT, String(major), 'bin', 'initdb')));
  } catch {
    return null;
  }
  if (majors.length === 0) return null;
  return join(ROOT, String(Math.max(...majors)), 'bin');
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The server binaries, installed from Debian's `postgresql` package when they are missing and we
 * are root (the cluster the package starts on its own is stopped again). Throws, saying what to
 * install, when they are missing and we are not root.
 */
export function ensurePostgres() {
  const found = findPostgresBin();
  if (found) return found;
  if (!isRoot()) {
    throw new Error(
      `PostgreSQL ${MIN_MAJOR}+ server binaries are missing (looked in ${ROOT}/<version>/bin). ` +
        'Install them with: sudo apt-get update && sudo apt-get install -y postgresql',
    );
  }
  console.log("PostgreSQL is missing: installing Debian's postgresql package…");
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql', { stdio: 'inherit' });
  // The package starts a cluster of its own; the tests start theirs.
  try {
    execSync(
      'pg_ctlcluster --help >/dev/null 2>&1 && for c in $(pg_lsclusters -h | cut -d" " -f1,2 | tr " " "/"); do pg_ctlcluster ${c%/*} ${c#*/} stop || true; done',
      {
        stdio: 'inherit',
        shell: '/bin/sh',
      },
    );
  } catch {
    /* no cluster was started */
  }
  const installed = findPostgresBin();
  if (!installed) throw new Error(`apt-get finished but no PostgreSQL server binaries are in ${ROOT}/<version>/bin`);
  return installed;
}

/** Runs a server binary, as the `postgres` user when we are root. */
function runAs(bin, args) {
  const [command, commandArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a fresh server. Returns `{ url, port, pid, dir, stop }`: `url` reaches database
 * `postgres` as user `postgres` over TCP on 127.0.0.1; `stop()` ends it by PID and removes `dir`.
 * `durable: true` keeps fsync and synchronous commits on (the benchmark); tests leave them off.
 */
export async function startPostgres({ durable = false } = {}) {
  const bin = ensurePostgres();
  const dir = mkdtempSync(join(tmpdir(), 'kvb-pg-'));
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    runAs(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    // A small footprint, and (for tests) fsync off: a server that is thrown away afterwards.
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
      '-c max_connections=200',
      '-c shared_buffers=32MB',
    ].join(' ');
    runAs(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    throw new Error(`Could not start a test PostgreSQL with ${bin}: ${output || error.message}`);
  }
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  // A process that exits without calling stop() (a test runner torn down) still ends its
  // server and removes what it can of its directory.
  const onExit = () => {
    if (alive(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.on('exit', onExit);
  let stopped = null;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', onExit);
      // SIGQUIT: immediate shutdown (a throwaway server needs no checkpoint); SIGKILL if it lingers.
      if (alive(pid)) process.kill(pid, 'SIGQUIT');
      for (let waited = 0; alive(pid) && waited < 5_000; waited += 25) await new Promise((done) => setTimeout(done, 25));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    })());
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, pid, dir, stop };
}
