/** Capability patterns: `payment.*` matches `payment.transfer`, `*` matches everything, otherwise exact. */
export function capabilityMatches(pattern: string, capability: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return capability.startsWith(pattern.slice(0, -1)) || capability === pattern.slice(0, -2);
  return pattern === capability;
}

export function isRevoked(patterns: readonly string[], capability: string): string | undefined {
  return patterns.find((p) => capabilityMatches(p, capability));
}
