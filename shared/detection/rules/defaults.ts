/**
 * The default rules, as code, so the engine works with no file at all.
 * rules/detection.yaml is the same content with comments; a unit test keeps
 * the two equal. Change both together. Each rule's default (description,
 * severity, tags, thresholds) is declared in its detector's file; this file
 * holds the shared sections.
 */
import { DEFAULT_RULE_DEFS } from '../detectors/registry.js';
import type { Rules } from './schema.js';

const DAY_MS = 86_400_000;

export const DEFAULT_RULES: Rules = {
  version: 1,
  engine: {
    bucketMs: 300_000,
    learningPeriodMs: DAY_MS,
    cooldownMs: 3_600_000,
    timezones: { default: 'UTC', roles: {}, agents: {} },
    maxActionSeriesPerAgent: 24,
  },
  baseline: {
    windowBuckets: 24,
    warmupBuckets: 12,
    capZ: 3,
    seasonalAlpha: 0.03,
    seasonalMinSamples: 6,
    stdShare: 0.5,
    relSpreadFloor: 0.1,
    peerAlpha: 0.02,
    peerMinSamples: 150,
    accumulation: { horizonsHours: [3, 8], z: 5, minRatio: 1.5 },
  },
  unusualAccess: {
    seenTtlMs: 30 * DAY_MS,
    maxSeenPerKind: 2000,
    maxPeerItemsPerKind: 20000,
    peerCommonShare: 0.2,
    rarityWeight: 0.5,
    noveltyPerDayHalf: 1,
    rolloutWindowMs: DAY_MS,
  },
  sensitivity: [
    {
      label: 'secret',
      pattern: '(^|[/._:-])(secrets?|credentials?|passwords?|api[_-]?keys?|private[_-]?keys?|\\.ssh|id_rsa|vault|kms|kubeconfig|(root|admin|master|service[_-]?account)[_-]?tokens?)([/._:-]|$)',
      weight: 0.9,
      fields: ['resource', 'target'],
    },
    {
      label: 'pii',
      pattern: '(^|[/._:-])(pii|ssn|passports?|salar(y|ies)|payroll|medical|health[_-]?records?)([/._:-]|$)',
      weight: 0.8,
      fields: ['resource'],
    },
    {
      label: 'admin',
      pattern: '(^|[/._:-])(admin|iam|sudoers|root[_-]?keys?|prod[_-]?db|cluster[_-]?admin|(cluster)?role[_-]?bindings?|superusers?)([/._:-]|$)',
      weight: 0.7,
      fields: ['resource', 'target'],
    },
    {
      label: 'finance',
      pattern: '(^|[/._:-])(ledger|iban|treasury|wire[_-]?transfers?)([/._:-]|$)',
      weight: 0.5,
      fields: ['resource'],
    },
    {
      label: 'privileged-action',
      pattern: '^(permission\\.change|file\\.delete|payment\\.transfer)$',
      weight: 0.6,
      fields: ['action'],
    },
    {
      label: 'paste-or-tunnel',
      pattern: '(^|\\.)(pastebin\\.com|transfer\\.sh|ngrok\\.io|ngrok-free\\.app|webhook\\.site|requestbin\\.net|anonfiles\\.com|mega\\.nz)$',
      weight: 0.9,
      fields: ['target'],
    },
  ],
  allowlists: { resources: [], targets: [], actions: [] },
  normalize: [
    { pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', replace: '{uuid}' },
    { pattern: '\\d{3,}', replace: '{n}' },
  ],
  incidentGroups: [
    {
      id: 'activity-level',
      description: "How much the agent does: its rate, each action's rate and a slow ramp of either are one change seen from three sides.",
      rules: ['rate-spike.agent', 'rate-spike.action', 'slow-ramp.rate'],
    },
    {
      id: 'data-volume',
      description: 'How much data the agent moves: bytes out, records and tokens rise together when it reads or sends more.',
      rules: ['volume-spike.bytes-out', 'volume-spike.records', 'volume-spike.tokens', 'slow-ramp.volume'],
    },
  ],
  injectionPatterns: [
    {
      id: 'ignore-previous-instructions',
      pattern: '\\b(ignore|disregard|forget|override)\\b.{0,40}\\b(previous|prior|above|earlier|all|system)\\b.{0,20}\\b(instructions?|prompts?|directions|guidelines)\\b',
      weight: 0.9,
    },
    {
      id: 'persona-override',
      pattern: '\\byou are (now|no longer)\\b.{0,40}\\b(dan|jailbroken|unrestricted|unfiltered|developer mode|free of (all )?(rules|restrictions))\\b',
      weight: 0.85,
    },
    {
      id: 'system-prompt-extraction',
      pattern: '\\b(reveal|print|show|repeat|output|leak)\\b.{0,30}\\b(your|the)\\b.{0,20}\\b(system|hidden|initial)\\s+(prompt|instructions|message)\\b',
      weight: 0.8,
    },
    {
      id: 'chat-template-tokens',
      pattern: '<\\|(im_start|im_end|system|endoftext)\\|>|\\[/?INST\\]|<<SYS>>',
      weight: 0.85,
    },
    {
      id: 'exfiltration-instruction',
      pattern: '\\b(send|post|upload|forward|exfiltrate|email)\\b.{0,60}\\b(credentials?|passwords?|api[ _-]?keys?|secrets?|access tokens?|all (the )?(customer )?(data|records|files))\\b.{0,60}\\b(to|at)\\s+(https?://|[\\w.-]+@[\\w-]+|[\\w-]+\\.[a-z]{2,})',
      weight: 0.9,
    },
    {
      id: 'privileged-mode',
      pattern: '\\b(developer|god|sudo|admin)\\s+mode\\b.{0,20}\\b(enabled|on|activated)\\b',
      weight: 0.7,
    },
    {
      id: 'conceal-from-user',
      pattern: '\\b(do not|don\'t|never) (tell|inform|alert|notify)\\b.{0,20}\\b(the )?(user|human|operator|admin)\\b',
      weight: 0.6,
    },
  ],
  rules: [...DEFAULT_RULE_DEFS],
};
