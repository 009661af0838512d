/**
 * agent-warden/detection: the pure detection engine. No I/O (except
 * `loadRules`, which reads a rules file), no clock: event time only.
 * See README.md in this folder.
 */
export { SnapshotVersionError } from './baseline/seriesCodec.js';
export { encodeSnapshot, decodeSnapshot, SnapshotBytesError, SNAPSHOT_BYTES_VERSION } from './engine/snapshotBytes.js';
export { createEngine, AGENT_SNAPSHOT_VERSION, type Engine, type EngineOptions, type EngineStats, type AgentSnapshot } from './engine/engine.js';
export { alertIdFor, severityFor, buildAlert, MAX_RELATED_EVENTS } from './engine/alerts.js';
export { recordFinding, expireIncidents, type Incident, type IncidentBook } from './engine/incidents.js';
export { createSeriesScorer, type SeriesScorer, type SeriesScorerOptions } from './scorer.js';
export { loadRules, parseRules, resolveRules } from './rules/load.js';
export { DEFAULT_RULES } from './rules/defaults.js';
export { validateRules, getRule, RULE_CATALOGUE, RULE_IDS, type Rules, type RuleDef, type RuleId, type ThresholdsOf } from './rules/schema.js';
export { createDetectors, DETECTORS, DETECTOR_FACTORIES, DETECTOR_NAMES } from './detectors/registry.js';
export { defineDetector, rule, type DetectorDeclaration, type RuleDeclaration, type RuleDefaults } from './detectors/define.js';
export { createRateSpikeDetector, type RateState } from './detectors/rateSpike.js';
export { createVolumeSpikeDetector, type VolumeState } from './detectors/volumeSpike.js';
export { createErrorBurstDetector, type ErrorState } from './detectors/errorBurst.js';
export { createUnusualAccessDetector, type AccessState } from './detectors/unusualAccess.js';
export { createOffHoursDetector, type OffHoursState } from './detectors/offHours.js';
export { createImpersonationDetector, type ImpersonationState } from './detectors/impersonation.js';
export { createInjectionDetector, type InjectionState } from './detectors/injection.js';
export { createSlowRampDetector, type RampState } from './detectors/slowRamp.js';
export { PeerGroups } from './baseline/peers.js';
export { NO_FINDINGS, type Detector, type DetectionContext, type DetectionEvent, type Finding, type BaselineStats, type BaselineSource, type Json, type Verification } from './types.js';
