/**
 * Resolves the stack's jars through Maven, with visible progress (files and
 * megabytes fetched) instead of a silent multi-minute wait, and a fallback
 * through a list of versions when Maven Central does not serve the pinned one.
 */
import { spawn } from 'node:child_process';
import { StackError } from '../../shared/errors/index.js';

export type Progress = (line: string) => void;

const DOWNLOADED = /Downloaded from \S+: (\S+) \(([\d.]+) (kB|MB|B)/;

/** Runs mvn in batch mode; reports every fetched file's progress at most once a second. */
export function runMaven(args: string[], label: string, progress: Progress): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('mvn', ['-B', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let files = 0;
    let megabytes = 0;
    let lastReport = 0;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) {
        const m = DOWNLOADED.exec(line);
        if (!m) continue;
        files += 1;
        const size = Number(m[2]);
        megabytes += m[3] === 'MB' ? size : m[3] === 'kB' ? size / 1024 : size / 1024 / 1024;
        const now = Date.now();
        if (now - lastReport > 1000) {
          lastReport = now;
          const name = (m[1] ?? '').split('/').pop();
          progress(`${label}: fetched ${files} files, ${megabytes.toFixed(1)} MB (latest ${name})`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => resolve({ ok: false, output: `${output}\n${err.message}` }));
    child.on('close', (code) => {
      if (files > 0) progress(`${label}: fetched ${files} files, ${megabytes.toFixed(1)} MB in all`);
      resolve({ ok: code === 0, output });
    });
  });
}

/**
 * Tries each version in order until `attempt` succeeds; says clearly when it
 * had to fall back, and lists every refusal when none works.
 */
export async function firstAvailable(
  component: string,
  versions: string[],
  attempt: (version: string) => Promise<{ ok: boolean; output: string }>,
  progress: Progress,
): Promise<string> {
  const failures: string[] = [];
  for (const version of versions) {
    const r = await attempt(version);
    if (r.ok) {
      if (version !== versions[0]) progress(`${component}: using ${version} because Maven Central did not serve ${failures.map((f) => f.split(':')[0]).join(', ')}`);
      return version;
    }
    const why = /Could not find artifact[^\n]*|not found[^\n]*|Could not transfer[^\n]*/.exec(r.output)?.[0] ?? 'mvn failed';
    failures.push(`${version}: ${why.slice(0, 400)}`);
    // The whole reason (one line from mvn, the artifact's coordinates and the repository URL): a cut URL helps nobody.
    progress(`${component} ${version} is not available (${why.slice(0, 400)}); trying the next version`);
  }
  throw new StackError('stack.download-failed', `could not resolve ${component} from Maven (tried ${versions.join(', ')}):\n  ${failures.join('\n  ')}`);
}
