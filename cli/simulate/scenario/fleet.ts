/**
 * The simulated fleet: roles (what a support, finance, research or devops
 * agent does, on which resources and targets, at which hours) and one
 * profile per agent drawn from its role. Pure data + a seeded PRNG.
 */
import { Rng, zipfCumulative } from './prng.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type RoleName = 'support' | 'finance' | 'research' | 'devops';

/**
 * A zone a role can work in (the multi-zone fleet, `roleZones`): IANA names whose offset is fixed (no daylight
 * saving), so the generator's local time and the engine's (rules engine.timezones) agree exactly. Tokyo's working
 * day starts on the UTC Sunday evening; Bogota's ends on the UTC Saturday.
 */
export interface SimZone {
  name: string;
  offsetMinutes: number;
}
export const SIM_ZONES: readonly SimZone[] = [
  { name: 'Asia/Tokyo', offsetMinutes: 540 },
  { name: 'UTC', offsetMinutes: 0 },
  { name: 'America/Bogota', offsetMinutes: -300 },
];
export type Rhythm = 'business' | 'always';

export interface RoleSpec {
  /** A RoleName for the fleet's roles; the cold-start evasion adds a brand-new role (evasionsAccess.ts). */
  name: string;
  share: number;
  rhythm: Rhythm;
  /** Activity at night relative to the daytime plateau. */
  night: number;
  /** Weekend activity relative to weekdays. */
  weekend: number;
  /** Median peak actions per hour. */
  peakPerHour: number;
  actions: [string, number][];
  /** Resources per action kind (role pool; agents use a Zipf-weighted subset). */
  resources: Record<string, string[]>;
  /** Target pool: 'customers' and 'web' are large generated pools. */
  targets: string[] | 'customers' | 'web';
  /** A nightly batch job (local hour), if any. */
  nightlyJobHour?: number;
  /** Where the role's agents work (local time for their rhythm); absent: UTC. */
  timeZone?: SimZone;
}

const num = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

export const ROLES: RoleSpec[] = [
  {
    name: 'support',
    share: 0.35,
    rhythm: 'business',
    night: 0.03,
    weekend: 0.5,
    peakPerHour: 160,
    actions: [['tool.call', 30], ['data.read', 28], ['prompt.input', 15], ['model.output', 13], ['email.send', 8], ['api.request', 5], ['auth.login', 1]],
    resources: {
      'tool.call': ['search_kb', 'lookup_order', 'create_ticket', 'update_ticket', 'refund_small', 'translate', 'summarize_thread', 'check_shipping', 'escalate', 'schedule_callback'],
      'data.read': ['crm.customers', 'crm.orders', 'tickets/12345', 'tickets/99871', 'tickets/55512', 'kb/articles', 'kb/macros', 'crm.contacts', 'shipping.status', 'crm.invoices', 'crm.notes', 'crm.subscriptions'],
      'api.request': ['/v1/orders', '/v1/customers', '/v1/refunds', '/v1/tickets', '/v1/shipping'],
      'auth.login': ['idp/okta'],
      default: ['conversation'],
    },
    targets: 'customers',
  },
  {
    name: 'finance',
    share: 0.25,
    rhythm: 'business',
    night: 0.02,
    weekend: 0.04,
    peakPerHour: 110,
    actions: [['data.read', 32], ['api.request', 28], ['tool.call', 15], ['model.output', 10], ['payment.transfer', 6], ['prompt.input', 6], ['auth.login', 2], ['email.send', 1]],
    resources: {
      'data.read': ['erp.invoices', 'erp.vendors', 'erp.ledger', 'erp.purchase_orders', 'erp.budgets', 'erp.expenses', 'erp.contracts', 'erp.receipts', 'hr/payroll/summary', 'erp.tax_codes'],
      'api.request': ['/erp/v2/invoices', '/erp/v2/approvals', '/erp/v2/vendors', '/bank/v1/statements', '/erp/v2/reports'],
      'tool.call': ['reconcile', 'match_invoice', 'fx_convert', 'approve_invoice', 'generate_report', 'forecast'],
      'payment.transfer': ['bank/accounts/operating'],
      'auth.login': ['idp/okta', 'bank/sso'],
      default: ['finance-desk'],
    },
    targets: num('vendor-', 40).map((v) => `${v}.payees.example`),
  },
  {
    name: 'research',
    share: 0.22,
    rhythm: 'always',
    night: 0.5,
    weekend: 0.7,
    peakPerHour: 140,
    actions: [['net.egress', 28], ['model.output', 20], ['tool.call', 20], ['prompt.input', 14], ['data.read', 12], ['api.request', 6]],
    resources: {
      'tool.call': ['browser.fetch', 'browser.search', 'summarize', 'extract_tables', 'cite', 'translate', 'python.run'],
      'data.read': ['papers/index', 'papers/fulltext', 'datasets/public', 'notes/shared', 'datasets/internal-benchmarks'],
      'api.request': ['/search/v1', '/scholar/v1', '/llm/v1/embeddings'],
      default: ['research-session'],
    },
    targets: 'web',
  },
  {
    name: 'devops',
    share: 0.18,
    rhythm: 'always',
    night: 0.6,
    weekend: 0.8,
    peakPerHour: 120,
    actions: [['api.request', 40], ['tool.call', 25], ['data.read', 15], ['net.egress', 10], ['auth.login', 4], ['data.write', 4], ['file.delete', 1], ['permission.change', 1]],
    resources: {
      'api.request': ['k8s/deployments', 'k8s/pods', 'k8s/services', 'ci/pipelines', 'ci/jobs', 'monitoring/alerts', 'monitoring/metrics'],
      'tool.call': ['kubectl', 'terraform.plan', 'helm', 'git', 'run_tests', 'rollback'],
      'data.read': ['logs/app', 'logs/nginx', 'configs/app.yaml', 'metrics/db', 'backups/index', 'vault/ci-token'],
      'data.write': ['configs/app.yaml', 'backups/nightly', 'reports/uptime'],
      'file.delete': ['tmp/build-cache', 'logs/rotated'],
      'permission.change': ['iam/roles/deployer', 'iam/roles/ci-runner'],
      'auth.login': ['idp/okta', 'vault/login'],
      default: ['ops-console'],
    },
    targets: ['registry.npmjs.org', 'pypi.org', 'github.com', 'ghcr.io', 'hub.docker.com', 'api.pagerduty.com', 'hooks.slack.com', 'storage.googleapis.com', 's3.amazonaws.com', 'dl.k8s.io', 'releases.hashicorp.com', 'objects.githubusercontent.com'],
    nightlyJobHour: 2,
  },
];

export interface AgentProfile {
  agentId: string;
  role: string;
  spec: RoleSpec;
  tenantId: string;
  joinTs: number;
  peakPerHour: number;
  /** Cumulative action weights (agent-specific mix). */
  actionNames: string[];
  actionCum: number[];
  /** Per action kind: the agent's resource list (Zipf order) and cumulative weights. */
  resources: Map<string, { items: string[]; cum: number[] }>;
  /** The agent's targets (Zipf order); large pools are drawn lazily. */
  targets: { items: string[]; cum: number[] };
  payMedian: number;
  textRate: number;
  authErrorRate: number;
  deniedRate: number;
}

/** Deterministic pseudo-domain names for the large pools (customer mail domains, web sites). */
export function poolName(kind: 'customers' | 'web', i: number): string {
  const syll = ['ka', 'lo', 'mi', 'ra', 'to', 've', 'zu', 'an', 'el', 'or', 'us', 'it'];
  const a = syll[i % 12]!;
  const b = syll[Math.floor(i / 12) % 12]!;
  const c = syll[Math.floor(i / 144) % 12]!;
  return kind === 'customers' ? `${a}${b}${c}-${i}.mail.example` : `${c}${a}${b}${i}.web.example`;
}

/** The roles, each in one of SIM_ZONES drawn from `rng` (every zone used when there are as many roles). */
export function rolesInZones(rng: Rng, roles: readonly RoleSpec[] = ROLES): RoleSpec[] {
  const zones = rng.shuffle([...SIM_ZONES]);
  return roles.map((spec, i) => ({ ...spec, timeZone: zones[i % zones.length]! }));
}

/** The agent's local wall-clock time at `ts`, as epoch ms (its role's zone; UTC without one). */
export function localTime(agent: AgentProfile, ts: number): number {
  return ts + (agent.spec.timeZone?.offsetMinutes ?? 0) * 60_000;
}

export function makeAgents(rng: Rng, count: number, startTs: number, days: number, lateJoinerShare: number, roles: readonly RoleSpec[] = ROLES): AgentProfile[] {
  const agents: AgentProfile[] = [];
  const totalShare = roles.reduce((s, r) => s + r.share, 0);
  for (let i = 0; i < count; i++) {
    // Roles round-robin by share, so every role has agents even in small fleets.
    let acc = 0;
    const x = ((i + 0.5) / count) * totalShare;
    const spec = roles.find((r) => (acc += r.share) >= x) ?? roles[roles.length - 1]!;
    const r = rng.fork(1000 + i);
    const late = i % Math.max(2, Math.round(1 / Math.max(lateJoinerShare, 1e-9))) === 1 && lateJoinerShare > 0 && days >= 4;
    const joinTs = late ? startTs + r.int(2, Math.max(2, Math.min(4, days - 3))) * DAY_MS + r.int(0, 20) * HOUR_MS : startTs + r.int(0, 120) * 60_000;
    agents.push(makeAgent(r, i, spec, joinTs));
  }
  return agents;
}

/** One agent of `spec` (index i names it), its profile drawn from r; the fleet's agents and the generator's added ones. */
export function makeAgent(r: Rng, i: number, spec: RoleSpec, joinTs: number): AgentProfile {
  const weights = spec.actions.map(([a, w]) => [a, w * r.lognormal(1, 0.35)] as const);
  const actionNames = weights.map(([a]) => a);
  let c = 0;
  const actionCum = weights.map(([, w]) => (c += w));
  const resources = new Map<string, { items: string[]; cum: number[] }>();
  for (const [kind, pool] of Object.entries(spec.resources)) {
    const subset = r.shuffle([...pool]).slice(0, Math.max(1, Math.round(pool.length * r.uniform(0.6, 1))));
    resources.set(kind, { items: subset, cum: zipfCumulative(subset.length, 1.1) });
  }
  let targets: { items: string[]; cum: number[] };
  if (spec.targets === 'customers' || spec.targets === 'web') {
    const n = spec.targets === 'customers' ? 3000 : 6000;
    const offset = r.int(0, n);
    const items = Array.from({ length: n }, (_, k) => poolName(spec.targets as 'customers' | 'web', (k * 7 + offset) % n));
    targets = { items, cum: zipfCumulative(n, spec.targets === 'web' ? 0.9 : 0.6) };
  } else {
    const subset = r.shuffle([...spec.targets]).slice(0, Math.max(3, Math.round(spec.targets.length * r.uniform(0.4, 0.9))));
    targets = { items: subset, cum: zipfCumulative(subset.length, 1.0) };
  }
  return {
    agentId: `${spec.name}-${String(i + 1).padStart(3, '0')}`,
    role: spec.name,
    spec,
    tenantId: `tenant-${(i % 3) + 1}`,
    joinTs,
    peakPerHour: Math.min(900, Math.max(40, r.lognormal(spec.peakPerHour, 0.5))),
    actionNames,
    actionCum,
    resources,
    targets,
    payMedian: Math.round(r.lognormal(600, 0.8)),
    textRate: r.uniform(0.5, 0.9),
    authErrorRate: r.uniform(0.01, 0.05),
    deniedRate: r.uniform(0.002, 0.01),
};
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/** Activity (0..1 of the agent's peak) at a local hour of day, for a day class. */
export function rhythm(spec: RoleSpec, hourOfDay: number, weekend: boolean): number {
  let a: number;
  if (spec.rhythm === 'business') {
    const day = smoothstep(6.5, 9, hourOfDay) * (1 - smoothstep(17, 20, hourOfDay));
    const lunch = 1 - 0.2 * Math.exp(-(((hourOfDay - 12.5) / 0.6) ** 2));
    a = spec.night + (1 - spec.night) * day * lunch;
  } else {
    const amp = 1 - spec.night;
    a = 1 - amp + amp * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hourOfDay - 3)) / 24));
  }
  return weekend ? a * spec.weekend : a;
}
