/**
 * Which partition a key lands on, computed exactly as our producers place it
 * (kafkajs DefaultPartitioner: murmur2 like the Java client). Benchmarks and
 * tools that pre-write an agent's detector state need it: that state lives
 * under its partition's Redis hash tag (services/detector/stateStore.ts).
 */
import { Partitioners } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

export function partitionOf(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
