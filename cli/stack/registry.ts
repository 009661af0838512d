/**
 * Apicurio Registry 3.x serving the Confluent-compatible API under
 * /apis/ccompat/v7. In-memory storage: empty after each start, so services
 * register their schemas at start-up.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { WardenConfig } from '../../shared/config/index.js';
import { StackError } from '../../shared/errors/index.js';
import { firstAvailable, runMaven, type Progress } from './maven.js';
import type { StackPaths } from './paths.js';
import { httpOk, requireTool, startDaemon, waitFor, type Daemon } from './process.js';

export function registryDaemon(paths: StackPaths): Daemon {
  return { name: 'registry', pidFile: join(paths.run, 'registry.pid'), logFile: join(paths.logs, 'registry.log') };
}

export function registryUrl(config: WardenConfig): string {
  return `http://127.0.0.1:${config.stack.registryPort}/apis/ccompat/v7`;
}

/** The runner jar's place in the archive changes between versions, so search for it. */
function findRunner(dir: string, depth = 0): string | null {
  if (!existsSync(dir) || depth > 3) return null;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isFile() && /^apicurio-registry-app-.*-runner\.jar$/.test(entry.name)) return p;
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      const found = findRunner(join(dir, entry.name), depth + 1);
      if (found) return found;
    }
  }
  return null;
}

/** Maven's local repository: ~/.m2/repository unless MAVEN_OPTS moves it (-Dmaven.repo.local=...). */
function localRepo(): string {
  const fromOpts = /-Dmaven\.repo\.local=(\S+)/.exec(process.env.MAVEN_OPTS ?? '')?.[1];
  return fromOpts ?? join(homedir(), '.m2', 'repository');
}

/** Fetches the distribution archive (tar.gz, or zip for some versions) and unpacks it into the cache. */
async function fetchVersion(version: string, dest: string, progress: Progress): Promise<{ ok: boolean; output: string }> {
  let output = '';
  for (const type of ['tar.gz', 'zip']) {
    const artifact = `io.apicurio:apicurio-registry-app:${version}:${type}:all`;
    // dependency:get without transitive resolution: the app's parent pom is not always published.
    const r = await runMaven(['-U', 'dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false'], `apicurio ${version}`, progress);
    output += r.output;
    if (!r.ok) continue;
    const archive = join(localRepo(), 'io/apicurio/apicurio-registry-app', version, `apicurio-registry-app-${version}-all.${type}`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const x = type === 'zip' ? spawnSync('unzip', ['-q', archive, '-d', dest]) : spawnSync('tar', ['xzf', archive, '-C', dest]);
    if (x.status !== 0) return { ok: false, output: `could not unpack ${archive}` };
    return { ok: true, output };
  }
  return { ok: false, output };
}

export async function resolveRegistry(config: WardenConfig, paths: StackPaths, progress: Progress): Promise<{ version: string; jar: string }> {
  const dirFor = (v: string) => join(paths.cache, `apicurio-${v}`);
  for (const v of config.stack.apicurioVersions) {
    const jar = findRunner(dirFor(v));
    if (jar) return { version: v, jar };
  }
  requireTool('mvn', 'install Maven 3.8+ (apt-get install maven)');
  progress(`registry: resolving Apicurio Registry with Maven into ${paths.cache} (first run only)`);
  const version = await firstAvailable('apicurio-registry', config.stack.apicurioVersions, (v) => fetchVersion(v, dirFor(v), progress), progress);
  const jar = findRunner(dirFor(version));
  if (!jar) throw new StackError('stack.download-failed', `no apicurio-registry-app-*-runner.jar inside the ${version} archive in ${dirFor(version)}`);
  return { version, jar };
}

export async function startRegistry(config: WardenConfig, paths: StackPaths, progress: Progress): Promise<{ version: string; pid: number }> {
  const java = requireTool('java', 'install a JDK 17+ (apt-get install openjdk-17-jre-headless)');
  const { version, jar } = await resolveRegistry(config, paths, progress);
  const args = [
    `-Xmx${config.stack.registryHeapMb}m`,
    '-Dquarkus.http.host=127.0.0.1',
    `-Dquarkus.http.port=${config.stack.registryPort}`,
    // Apicurio answers NONE for a subject without its own rule, which breaks the Confluent client's register(); make BACKWARD the global rule.
    '-Dapicurio.rules.global.compatibility=BACKWARD',
    '-Dapicurio.ccompat.use-canonical-hash=true',
    '-Dquarkus.log.level=WARN',
    '-jar',
    jar,
  ];
  const pid = startDaemon(registryDaemon(paths), java, args);
  progress(`registry ${version}: started (pid ${pid}), waiting for ${registryUrl(config)}`);
  await waitFor('schema registry', () => httpOk(`${registryUrl(config)}/subjects`), config.stack.readyTimeoutMs, registryDaemon(paths).logFile);
  return { version, pid };
}
