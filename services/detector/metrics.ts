/** The detector's metrics (prom-client), in one place so names stay consistent. */
import { counter, gauge, histogram, type Registry } from '../../shared/metrics/index.js';

export function detectorMetrics(registry: Registry) {
  return {
    events: counter('warden_detector_events_total', 'Records consumed from agent.events, by result (processed, dlq, skipped-duplicate)', ['result'], registry),
    alerts: counter('warden_detector_alerts_total', 'Alerts produced, by detector and severity', ['detector', 'severity'], registry),
    dlq: counter('warden_detector_dlq_total', 'Records sent to the dead-letter topic, by reason', ['reason'], registry),
    lag: gauge('warden_detector_consumer_lag', 'Records behind the end of each partition after the last batch', ['partition'], registry),
    batchSeconds: histogram('warden_detector_batch_seconds', 'Time to process one batch: decode, verify, detect, produce alerts and dead letters (and encode the agents it is about to change that a checkpoint in flight has not encoded yet)', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], [], registry),
    checkpointSeconds: histogram('warden_detector_checkpoint_seconds', 'Time to checkpoint one partition: snapshot changed agents, write state and covered offset to Redis, commit to Kafka (the partition keeps processing meanwhile)', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], [], registry),
    checkpointFailures: counter('warden_detector_checkpoint_failures_total', 'Checkpoints that did not reach Redis: their progress stays pending and the next batch or timer tick retries it', [], registry),
    droppedProgress: counter('warden_detector_dropped_progress_events_total', 'Records processed but not yet checkpointed when their partition\'s in-process state was dropped, by cause (moved: the partition went to another instance at a rebalance, or another writer checkpointed it meanwhile; failed: one of its batches failed). They are processed again from the checkpoint.', ['cause'], registry),
    healthSamples: counter('warden_detector_health_samples_total', 'Self-monitoring samples taken (services/detector/health.ts), by result (ok, failed)', ['result'], registry),
    batchFailures: counter('warden_detector_batch_failures_total', 'Batches that failed and will be retried, by whether the cause is an outage (Kafka, Redis or the registry unreachable: retried without limit) or not (counted toward parking)', ['outage'], registry),
    agentsCached: gauge('warden_detector_agents_cached', 'Agents whose state is cached in this process', [], registry),
  };
}

export type DetectorMetrics = ReturnType<typeof detectorMetrics>;
