import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RulesError } from '../../../shared/errors/index.js';
import { DEFAULT_TOOL_ACTIONS } from '../../../shared/ingest/toolActionDefaults.js';
import { compileToolActions, loadToolActions, parseToolActions } from '../../../shared/ingest/toolActions.js';

describe('tool -> action mapping', () => {
  it('rules/tool-actions.yaml and the built-in default are the same data', () => {
    expect(parseYaml(readFileSync('rules/tool-actions.yaml', 'utf8'))).toEqual(DEFAULT_TOOL_ACTIONS);
  });

  const mapping = loadToolActions();
  it.each([
    ['send_email', 'email.send'],
    ['Send-Email', 'email.send'],
    ['gmail_send_message', 'email.send'],
    ['transfer_funds', 'payment.transfer'],
    ['stripe_create_payout', 'payment.transfer'],
    ['acme_transfer_funds', 'payment.transfer'],
    ['delete_file', 'file.delete'],
    ['delete_everything', 'file.delete'],
    ['grant_role', 'permission.change'],
    ['fetch_url', 'net.egress'],
    ['update_ticket', 'data.write'],
    ['get_weather', 'data.read'],
    ['lookup customer', 'data.read'],
    ['summarise_text', 'tool.call'],
    ['', 'tool.call'],
  ])('%s -> %s', (tool, action) => {
    expect(mapping.actionFor(tool)).toBe(action);
  });

  it('a whole name wins over a pattern listed earlier', () => {
    const m = compileToolActions({ version: 1, tools: [{ action: 'data.read', patterns: ['get_*'] }, { action: 'auth.login', names: ['get_access_token'] }] });
    expect(m.actionFor('get_access_token')).toBe('auth.login');
    expect(m.actionFor('get_invoice')).toBe('data.read');
  });

  it('refuses bad mappings with the key named', () => {
    expect(() => parseToolActions('version: 1\ntools:\n  - action: Email\n    names: [x]\n')).toThrow(/tools\.0\.action: must be a dotted lower-case action/);
    expect(() => parseToolActions('version: 1\ntools:\n  - action: email.send\n')).toThrow(/tools\.0: needs at least one name or pattern/);
    expect(() => parseToolActions('version: 1\ntools:\n  - action: email.send\n    patterns: [send_email]\n')).toThrow(/needs a \*/);
    expect(() => parseToolActions('version: 2\ntools: []\n')).toThrow(RulesError);
    expect(() => parseToolActions('tools: [\n')).toThrow(/not valid YAML/);
    expect(() => parseToolActions('version: 1\ntools: []\nextra: 1\n')).toThrow(/Unrecognized key/);
  });
});
