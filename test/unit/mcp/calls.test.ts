import { describe, expect, it } from 'vitest';
import { argumentsDigest, callEvent, canonicalJson, guardedCall, targetOf, type CallReport } from '../../../services/mcp-gateway/calls.js';
import { compileToolActions } from '../../../shared/ingest/toolActions.js';

const mapper = compileToolActions({ version: 1, tools: [{ action: 'email.send', names: ['send_email'] }, { action: 'data.read', patterns: ['get_*'] }] });
const key = Buffer.from('digest-key-0123456789abcdef');

describe('guardedCall', () => {
  it.each([
    ['tools/call', { name: 'send_email', arguments: { to: 'a' } }, { kind: 'tool', name: 'send_email', capability: 'email.send', args: { to: 'a' } }],
    ['tools/call', { name: 'Get-Weather' }, { kind: 'tool', name: 'Get-Weather', capability: 'data.read', args: null }],
    ['tools/call', { name: 'frobnicate' }, { kind: 'tool', capability: 'tool.call' }],
    ['tools/call', { name: 42 }, { kind: 'tool', name: '', capability: 'tool.call' }],
    ['resources/read', { uri: 'file:///etc/passwd' }, { kind: 'resource', name: 'file:///etc/passwd', capability: 'data.read', args: null }],
    ['prompts/get', { name: 'summarise', arguments: { topic: 'x' } }, { kind: 'prompt', capability: 'prompt.input' }],
  ])('%s %j', (method, params, expected) => {
    expect(guardedCall(method, params, mapper)).toMatchObject({ method, ...expected });
  });

  it.each(['tools/list', 'initialize', 'ping', 'notifications/initialized', 'resources/list'])('does not guard %s', (method) => {
    expect(guardedCall(method, {}, mapper)).toBeNull();
  });

  it('survives params that are not an object', () => {
    expect(guardedCall('tools/call', null, mapper)).toMatchObject({ name: '', capability: 'tool.call' });
    expect(guardedCall('tools/call', 'x', mapper)).toMatchObject({ name: '' });
  });
});

describe('targetOf', () => {
  it.each([
    [{ url: 'https://api.example.com/v1?q=1' }, 'api.example.com'],
    [{ nested: { list: ['nothing', 'http://10.0.0.5:8080/x'] } }, '10.0.0.5'],
    [{ host: 'Mail.Example.ORG' }, 'mail.example.org'],
    [{ text: 'hello world', n: 3 }, null],
    [null, null],
    // A bare file name is a path, not a host, whatever it looks like (the bug: "notes.txt" was a host).
    [{ path: 'notes.txt' }, null],
    [{ path: 'report.final.md' }, null],
    [{ file: 'config.yaml', content: 'archive.tar.gz' }, null],
    [{ paths: ['a.json', 'b.csv'] }, null],
    [{ name: 'example.com' }, null],
    [{ query: 'see docs.example.com for more' }, null],
    // A bare host counts only in an argument named for one (the name's last word).
    [{ domain: 'example.com' }, 'example.com'],
    [{ baseUrl: 'api.example.com' }, 'api.example.com'],
    [{ target_host: 'db.internal.example:5432' }, 'db.internal.example'],
    [{ 'api-endpoint': 'hooks.example.io' }, 'hooks.example.io'],
    [{ server: 'notes.txt' }, 'notes.txt'],
    [{ curl: 'api.example.com' }, null],
    [{ host: 'localhost' }, null],
    // URL-shaped values count in any argument; schemes without a host do not.
    [{ path: 'notes.txt', source: 'https://files.example.com/notes.txt' }, 'files.example.com'],
    [{ path: 'file:///tmp/notes.txt' }, null],
    [{ to: 'mailto:someone@example.com' }, null],
    [{ note: 'https://' }, null],
  ])('%j -> %s', (args, target) => {
    expect(targetOf({ kind: 'tool', name: 't', args })).toBe(target);
  });

  it('uses the URI of a resource, when it has a host', () => {
    expect(targetOf({ kind: 'resource', name: 'https://docs.example.net/a', args: null })).toBe('docs.example.net');
    expect(targetOf({ kind: 'resource', name: 'file:///srv/notes.txt', args: null })).toBeNull();
    expect(targetOf({ kind: 'resource', name: 'notes.txt', args: null })).toBeNull();
  });
});

describe('argumentsDigest', () => {
  it('is the same whatever the key order, different for other values, and depends on the key', () => {
    const a = argumentsDigest(key, { b: 1, a: [1, { y: 2, x: 1 }] });
    expect(argumentsDigest(key, { a: [1, { x: 1, y: 2 }], b: 1 })).toBe(a);
    expect(argumentsDigest(key, { a: [1, { x: 1, y: 3 }], b: 1 })).not.toBe(a);
    expect(argumentsDigest(Buffer.from('another-key-0123456789abcdef'), { b: 1, a: [1, { y: 2, x: 1 }] })).not.toBe(a);
    expect(canonicalJson({ b: 1, a: null })).toBe('{"a":null,"b":1}');
  });
});

describe('callEvent', () => {
  const report = (over: Partial<CallReport> = {}): CallReport => ({
    call: { kind: 'tool', method: 'tools/call', name: 'send_email', capability: 'email.send', args: { to: 'ceo@example.com', token: 'password=hunter2hunter2' } },
    serverName: 'mail', sessionId: 's-1', outcome: 'SUCCESS', latencyMs: 1.23456, bytesIn: 10, bytesOut: 20, ...over,
  });

  it('reports action, resource, outcome, session and a digest, never the raw arguments by default', () => {
    const e = callEvent(report(), { digestKey: key, recordArguments: false, maxArgumentChars: 100 });
    expect(e).toMatchObject({ action: 'email.send', resource: 'mail/send_email', outcome: 'SUCCESS', sessionId: 's-1', text: null, bytesIn: 10, bytesOut: 20 });
    expect(e.attributes).toMatchObject({ 'mcp.method': 'tools/call', 'mcp.server': 'mail', 'mcp.latency_ms': '1.235' });
    expect(JSON.stringify(e)).not.toContain('ceo@example.com');
    expect(JSON.stringify(e)).not.toContain('hunter2');
  });

  it('with recordArguments, the text is the redacted arguments, cut to maxArgumentChars', () => {
    const e = callEvent(report(), { digestKey: key, recordArguments: true, maxArgumentChars: 1000 });
    expect(e.text).toContain('[redacted:email]');
    expect(e.text).not.toContain('ceo@example.com');
    expect(e.text).not.toContain('hunter2');
    expect(callEvent(report(), { digestKey: key, recordArguments: true, maxArgumentChars: 5 }).text).toHaveLength(5);
  });

  it('a refusal carries its reason', () => {
    expect(callEvent(report({ outcome: 'DENIED', detail: 'quarantined' }), { digestKey: key, recordArguments: false, maxArgumentChars: 1 }).attributes?.['mcp.detail']).toBe('quarantined');
  });
});
