/**
 * Unusual access: a resource, target (host, recipient domain, payee) or
 * action that this agent has not used before, seen after its learning
 * period. Score (0..1), a noisy-OR of:
 *   - sensitivity: the weight of the best matching `sensitivity` pattern,
 *     halved when the item is common among the agent's peers;
 *   - surprise x (kindWeight + rarityWeight x peer rarity), where peer rarity
 *     is 1 when no other agent of the role uses the item and 0 when at least
 *     `peerCommonShare` of them do, and surprise halves with every
 *     `noveltyPerDayHalf` peer-rare new items per day the agent normally
 *     meets (a web researcher meets new hosts daily; a billing agent does not).
 * During the agent's learning period (cold start) everything is new, so
 * novelty says nothing; a sensitive first use is judged against the peers
 * instead: score = sensitivity x peer rarity, alerting at `learningMinScore`.
 * The basis is the role's seen-sets once they are a learning period old; a
 * role without such peers (a new role) uses the fleet's other roles (a fleet
 * prior); with neither, rarity is unknown (0.5). So a new agent that reads a
 * secret no peer reads alerts on its first event, and one that uses what its
 * role uses stays quiet.
 * Seen-sets remember the last use of each item (hashed, baseline/seenSet.ts),
 * forget items unused for `seenTtlMs` and keep at most `maxSeenPerKind`
 * (oldest forgotten first).
 */
import type { Rules } from '../rules/schema.js';
import { roundSig } from '../baseline/robust.js';
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import { createSeenSet, hourOf, lastUseHour, markUsed, nameHashA, nameHashB, seenSetFromNames, seenSetFromParts, seenSetParts, sweepSeen, type SeenSet, type SeenSetParts } from '../baseline/seenSet.js';
import { DAY_MS, HOUR_MS } from '../time.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';
import { DEFAULT_DETECTOR_ENV, defineDetector, rule, type DetectorEnv } from './define.js';
import { unit } from '../rules/thresholds.js';
import { z } from 'zod';

const KINDS = ['resource', 'target', 'action'] as const;
type Kind = (typeof KINDS)[number];
const RULE_OF = { resource: 'unusual-access.resource', target: 'unusual-access.target', action: 'unusual-access.action' } as const;

export interface AccessState {
  /** Per kind: the items used, with the hour of their last use (event time). */
  seen: [SeenSet, SeenSet, SeenSet];
  /** Per kind: decayed count of items first met after the first half of learning, and when it was last decayed. */
  novel: [number, number, number];
  novelTs: [number, number, number];
  /** Day index of the last expiry sweep. */
  sweepDay: number;
}

/** New-item counts decay with this half-life. */
const NOVELTY_HALF_LIFE_MS = 2 * DAY_MS;
const NOVELTY_TAU_DAYS = NOVELTY_HALF_LIFE_MS / DAY_MS / Math.LN2;
/** Surprise of a rollout's later first uses (a new item another established agent of the role began using lately). */
const ROLLOUT_SURPRISE = 0.5;
/**
 * Snapshot version 2: seen-sets as hashes (seenSet.ts). Version 1 (no version field) held item names with their
 * last use in milliseconds and is migrated (the names are hashed); any other version fails loudly.
 */
export const ACCESS_CODEC_VERSION = 2;

const whole = (p: string) => new RegExp(`^(?:${p})$`, 'i');
const DIGIT = /\d/;

export const AccessThresholds = z
  .object({
    /** Alert when the first-seen score (0..1) reaches this. */
    minScore: unit,
    /** Base surprise of this kind of novelty (a new egress host is more telling than a new table). */
    kindWeight: unit,
    /** While the agent learns: alert when sensitivity x peer rarity reaches this (1 = off). */
    learningMinScore: unit,
  })
  .strict();

export const unusualAccess = defineDetector({
  name: 'unusual-access',
  acceptsUnverified: false,
  rules: {
    'unusual-access.resource': rule(AccessThresholds, {
      description: 'The agent touches a resource it never used, after its learning period; sensitive and peer-rare resources score higher. While it learns, only a sensitive resource that its peers (or the fleet) rarely use.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM06', 'owasp-llm:LLM01', 'atlas:AML.T0053', 'mitre:T1083'],
      thresholds: { minScore: 0.5, kindWeight: 0.15, learningMinScore: 0.6 },
    }),
    'unusual-access.target': rule(AccessThresholds, {
      description: 'The agent sends to a host, recipient domain or payee it never used, after its learning period; while it learns, only a sensitive one its peers rarely use.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM02', 'atlas:AML.T0025', 'mitre:T1041', 'mitre:T1071'],
      thresholds: { minScore: 0.5, kindWeight: 0.3, learningMinScore: 0.6 },
    }),
    'unusual-access.action': rule(AccessThresholds, {
      description: 'The agent uses a kind of action (tool, capability) it never used, after its learning period; while it learns, only a privileged one its peers rarely use.',
      severity: 'MEDIUM',
      tags: ['owasp-llm:LLM06', 'owasp-llm:LLM01', 'atlas:AML.T0053'],
      thresholds: { minScore: 0.5, kindWeight: 0.3, learningMinScore: 0.6 },
    }),
  },
  create: createUnusualAccessDetector,
});

export function createUnusualAccessDetector(rules: Rules, env: DetectorEnv = DEFAULT_DETECTOR_ENV): Detector<AccessState> {
  const seeds = env.nameSeeds;
  const ua = rules.unusualAccess;
  const kindRules = KINDS.map((k) => enabledRule(rules, RULE_OF[k]));
  type KindRule = NonNullable<(typeof kindRules)[number]>;
  const allow = { resource: rules.allowlists.resources.map(whole), target: rules.allowlists.targets.map(whole), action: rules.allowlists.actions.map(whole) };
  const sensitivity = rules.sensitivity.map((s) => ({ label: s.label, re: new RegExp(s.pattern, 'i'), weight: s.weight, fields: new Set<string>(s.fields) }));
  const normalizers = rules.normalize.map((n) => ({ re: new RegExp(n.pattern, 'gi'), replace: n.replace }));
  const learningMs = rules.engine.learningPeriodMs;

  function normalize(resource: string): string {
    if (normalizers.length === 0 || !DIGIT.test(resource)) return resource;
    let out = resource;
    for (const n of normalizers) out = out.replace(n.re, n.replace);
    return out;
  }

  function sweep(set: SeenSet, now: number, max: number): void {
    sweepSeen(set, hourOf(now - ua.seenTtlMs), max);
  }

  function firstSeen(kind: Kind, k: number, item: string, event: DetectionEvent, ctx: DetectionContext<AccessState>): Finding | null {
    const role = ctx.peers.role(ctx.agentRole);
    if (ctx.now < role.since) role.since = ctx.now;
    const peerMap = ctx.peers.seenMap(ctx.agentRole, kind);
    const peerItem = peerMap.get(item);
    const peerAgents = peerItem ? peerItem.agents : 0;
    const since = peerItem?.firstJudgedUse;
    const rolloutAgeMs = since !== undefined && ua.rolloutWindowMs > 0 && ctx.now - since <= ua.rolloutWindowMs ? ctx.now - since : null;
    const finding = judgeFirstUse(kind, k, item, peerAgents, role.agents.size, rolloutAgeMs, event, ctx);
    // A sensitive first use that alerted is not the role's use (poisoning): two compromised agents must not make a
    // secret look common to the third. The agent's own seen-set keeps it, so it does not alert twice.
    if (finding === null || finding.details.sensitivity === '') {
      if (peerItem) {
        peerItem.agents++;
        peerItem.lastSeen = ctx.now;
        if (peerItem.firstJudgedUse === undefined && !ctx.learning) peerItem.firstJudgedUse = ctx.now;
      } else {
        peerMap.set(item, ctx.learning ? { agents: 1, lastSeen: ctx.now } : { agents: 1, lastSeen: ctx.now, firstJudgedUse: ctx.now });
        if (peerMap.size > ua.maxPeerItemsPerKind * 1.1) {
          const oldest = [...peerMap].sort((a, b) => a[1].lastSeen - b[1].lastSeen || (a[0] < b[0] ? -1 : 1));
          for (let i = 0; i < oldest.length - ua.maxPeerItemsPerKind; i++) peerMap.delete(oldest[i]![0]);
        }
      }
    }
    return finding;
  }

  function judgeFirstUse(kind: Kind, k: number, item: string, peerAgents: number, roleSize: number, rolloutAgeMs: number | null, event: DetectionEvent, ctx: DetectionContext<AccessState>): Finding | null {
    const st = ctx.state;
    // Peer rarity: 1 when no other agent of the role uses the item, 0 when at least peerCommonShare of them do.
    const roleAgents = Math.max(0, roleSize - 1);
    const share = roleAgents > 0 ? Math.min(1, peerAgents / roleAgents) : 0;
    const rarity = roleAgents > 0 ? Math.max(0, 1 - share / Math.max(ua.peerCommonShare, 1e-9)) : 0.5;
    // Novelty rate: how many peer-rare new items this agent normally meets (a web researcher, a mailer to
    // customers), once the initial burst of learning is over. Items its peers use are not news.
    const sinceStart = ctx.now - ctx.agentFirstSeen;
    const priorNovel = st.novel[k]! * 2 ** (-(ctx.now - st.novelTs[k]!) / NOVELTY_HALF_LIFE_MS);
    const novelPerDay = priorNovel / NOVELTY_TAU_DAYS;
    if (sinceStart >= learningMs / 2 && rarity > 0) {
      st.novel[k] = roundSig(priorNovel + rarity);
      st.novelTs[k] = ctx.now;
    }
    const rule = kindRules[k];
    if (!rule) return null;
    if (ctx.learning && rule.thresholds.learningMinScore >= 1) return null;
    for (const re of allow[kind]) if (re.test(item)) return null;

    let sens = 0;
    let label = '';
    for (const s of sensitivity) {
      if (s.fields.has(kind) && s.weight > sens && s.re.test(item)) {
        sens = s.weight;
        label = s.label;
      }
    }
    if (ctx.learning) return sens > 0 ? coldStart(kind, item, sens, label, peerAgents, roleAgents, rule, event, ctx) : null;
    // A rollout (another established agent of the role began using it within the window: a new tool the role adopts)
    // is half as surprising. Not for sensitive items, whose alerted first uses never count as the role's use anyway.
    const rollout = rolloutAgeMs !== null && sens === 0;
    const surprise = 0.5 ** (novelPerDay / ua.noveltyPerDayHalf) * (rollout ? ROLLOUT_SURPRISE : 1);
    const novelty = Math.min(1, surprise * (rule.thresholds.kindWeight + ua.rarityWeight * rarity));
    // A sensitive item counts fully when the peers do not use it, half when they commonly do.
    const sensEffective = sens * (0.5 + 0.5 * rarity);
    const score = 1 - (1 - sensEffective) * (1 - novelty);
    if (score < rule.thresholds.minScore) return null;
    const what = label ? `sensitive ${kind} (${label})` : `${kind}`;
    return firstUseFinding(kind, item, sens, label, rule, event, ctx, {
      score,
      title: `First use of ${what} ${JSON.stringify(item)} by ${ctx.agentId}`,
      description: `Agent ${ctx.agentId} (${ctx.agentRole}) used the ${kind} ${JSON.stringify(item)} for the first time, ${((ctx.now - ctx.agentFirstSeen) / DAY_MS).toFixed(1)} days after it was first seen; ${peerAgents} of ${roleAgents} other ${ctx.agentRole} agents use it${rollout ? ` (another began ${(rolloutAgeMs! / HOUR_MS).toFixed(1)} h ago: a rollout, half as surprising)` : ''}${label ? `; it matches the sensitivity label ${label}` : ''}.`,
      metric: `${kind} first seen`,
      sampleSize: ctx.state.seen[k]!.size,
      source: 'agent',
      details: { peerAgentsUsingIt: String(peerAgents), roleAgents: String(roleAgents), peerRarity: rarity.toFixed(2), agentNewItemsPerDay: novelPerDay.toFixed(2), peerRollout: String(rollout) },
    });
  }

  /** The frame both first-use findings share: the item, its sensitivity, the event; `parts` says what differs. */
  function firstUseFinding(
    kind: Kind,
    item: string,
    sens: number,
    label: string,
    rule: KindRule,
    event: DetectionEvent,
    ctx: DetectionContext<AccessState>,
    parts: { score: number; title: string; description: string; metric: string; sampleSize: number; source: 'agent' | 'peer'; details: Record<string, string> },
  ): Finding {
    return {
      detector: 'unusual-access',
      ruleId: rule.id,
      score: parts.score,
      title: parts.title,
      description: parts.description,
      metric: parts.metric,
      observed: 1,
      baseline: { mean: null, std: null, median: null, mad: null, sampleSize: parts.sampleSize, source: parts.source },
      windowStart: ctx.agentFirstSeen,
      windowEnd: ctx.now,
      relatedEventIds: [event.eventId],
      details: { kind, [kind]: item, sensitivity: label, sensitivityWeight: sens.toFixed(2), ...parts.details, action: event.action },
    };
  }

  /**
   * A sensitive first use while the agent learns: judged by how rare the item is among the peers whose
   * seen-sets are a learning period old (its role, else the fleet's other roles), not by novelty.
   */
  function coldStart(kind: Kind, item: string, sens: number, label: string, peerAgents: number, roleAgents: number, rule: KindRule, event: DetectionEvent, ctx: DetectionContext<AccessState>): Finding | null {
    const startedBy = ctx.now - learningMs;
    let basis: 'role' | 'fleet' | 'none' = 'none';
    let users = 0;
    let agents = 0;
    if (roleAgents > 0 && ctx.peers.role(ctx.agentRole).since <= startedBy) {
      basis = 'role';
      users = peerAgents;
      agents = roleAgents;
    } else {
      const fleet = ctx.peers.fleetUse(kind, item, ctx.agentRole, startedBy);
      if (fleet.agents > 0) {
        basis = 'fleet';
        users = fleet.users;
        agents = fleet.agents;
      }
    }
    const rarity = basis === 'none' ? 0.5 : Math.max(0, 1 - users / agents / Math.max(ua.peerCommonShare, 1e-9));
    const score = sens * rarity;
    if (score < rule.thresholds.learningMinScore) return null;
    const peersText = basis === 'role' ? `${users} of ${agents} other ${ctx.agentRole} agents use it` : basis === 'fleet' ? `its role has no established peers, and ${users} of ${agents} agents of the fleet's other roles use it` : 'no peer or fleet history exists yet';
    return firstUseFinding(kind, item, sens, label, rule, event, ctx, {
      score,
      title: `New agent's first use of sensitive ${kind} (${label}) ${JSON.stringify(item)} by ${ctx.agentId}`,
      description: `Agent ${ctx.agentId} (${ctx.agentRole}), ${((ctx.now - ctx.agentFirstSeen) / HOUR_MS).toFixed(1)} hours into its learning period, used the ${kind} ${JSON.stringify(item)}, which matches the sensitivity label ${label}; ${peersText}.`,
      metric: `${kind} first seen while learning`,
      sampleSize: agents,
      source: 'peer',
      details: { learning: 'true', peerBasis: basis, peerAgentsUsingIt: String(users), peerAgents: String(agents), peerRarity: rarity.toFixed(2) },
    });
  }

  function observe(kind: Kind, k: number, item: string, event: DetectionEvent, ctx: DetectionContext<AccessState>): Finding | null {
    const set = ctx.state.seen[k]!;
    const a = nameHashA(item, seeds.a);
    const b = nameHashB(item, seeds.b);
    const hour = hourOf(ctx.now);
    const last = lastUseHour(set, a, b);
    if (last >= 0) {
      // A remembered item's last use (and its role's) is refreshed once per hour of event time: the hot path is a read.
      if (hour > last) {
        markUsed(set, a, b, hour);
        const peerItem = ctx.peers.seenMap(ctx.agentRole, kind).get(item);
        if (peerItem && peerItem.lastSeen < ctx.now) peerItem.lastSeen = ctx.now;
      }
      return null;
    }
    markUsed(set, a, b, hour);
    if (set.size > ua.maxSeenPerKind * 1.1) sweep(set, ctx.now, ua.maxSeenPerKind);
    return firstSeen(kind, k, item, event, ctx);
  }

  return {
    ...unusualAccess.identity,

    createState(ctx): AccessState {
      return { seen: [createSeenSet(), createSeenSet(), createSeenSet()], novel: [0, 0, 0], novelTs: [ctx.now, ctx.now, ctx.now], sweepDay: Math.floor(ctx.now / DAY_MS) };
    },

    update(event: DetectionEvent, ctx: DetectionContext<AccessState>): Finding[] {
      const st = ctx.state;
      const day = Math.floor(ctx.now / DAY_MS);
      if (day !== st.sweepDay) {
        st.sweepDay = day;
        for (const m of st.seen) sweep(m, ctx.now, ua.maxSeenPerKind);
      }
      const r = event.resource ? observe('resource', 0, normalize(event.resource), event, ctx) : null;
      const t = event.target ? observe('target', 1, event.target.toLowerCase(), event, ctx) : null;
      const a = observe('action', 2, event.action, event, ctx);
      if (r === null && t === null && a === null) return NO_FINDINGS;
      const out: Finding[] = [];
      if (r) out.push(r);
      if (t) out.push(t);
      if (a) out.push(a);
      return out;
    },

    flush(): Finding[] {
      return NO_FINDINGS;
    },

    snapshot(st: AccessState): Json {
      return { version: ACCESS_CODEC_VERSION, seen: st.seen.map(seenSetParts) as unknown as Json, novel: st.novel, novelTs: st.novelTs, sweepDay: st.sweepDay };
    },

    restore(json: Json): AccessState {
      const o = json as { version?: unknown; seen: unknown[]; novel: [number, number, number]; novelTs: [number, number, number]; sweepDay: number } | null;
      if (!o || typeof o !== 'object' || Array.isArray(o)) throw new SnapshotVersionError('unusual-access', Array.isArray(o) ? 'a bare array' : o, ACCESS_CODEC_VERSION);
      if (o.version !== undefined && o.version !== ACCESS_CODEC_VERSION) throw new SnapshotVersionError('unusual-access', o.version, ACCESS_CODEC_VERSION);
      if (!Array.isArray(o.seen) || o.seen.length !== KINDS.length) throw new Error('unusual-access snapshot: seen is not one set per kind');
      // Version 1 (no version): names and their last use in ms, hashed now.
      const seen = o.seen.map((s) => (o.version === undefined ? seenSetFromNames(s as [string, number][], seeds) : seenSetFromParts(s as SeenSetParts))) as AccessState['seen'];
      return { seen, novel: [...o.novel], novelTs: [...o.novelTs], sweepDay: o.sweepDay };
    },
  };
}
