import { describe, expect, it } from 'vitest';
import { kafkaClusterId } from '../../../cli/stack/kafka.js';

describe('kafkaClusterId', () => {
  it('never starts with "-" (the storage tool reads such an id as an option), and is 16 random bytes in base64url', () => {
    // Without the check, one id in 64 starts with '-': 2,000 ids would all but surely contain one.
    const ids = Array.from({ length: 2000 }, () => kafkaClusterId());
    for (const id of ids) {
      expect(id.startsWith('-')).toBe(false);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url').length).toBe(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
