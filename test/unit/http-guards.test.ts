import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { checkScope, isRejection, TokenAuthenticator } from '../../src/transports/http/auth.js';
import { checkHost, checkOrigin } from '../../src/transports/http/guards.js';
import { RateLimiter } from '../../src/transports/http/rate-limit.js';
import { isLoopbackHost, resolveHttpSettings } from '../../src/transports/http/settings.js';

const config = (http: Record<string, unknown> = {}) => configFromObject({ datasources: { d: { type: 'duckdb', path: ':memory:' } }, server: { http } }, process.cwd());

describe('HTTP settings', () => {
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.8.0.1', 'localhost', '::1', '[::1]'].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.5', 'stratum.internal', '128.0.0.1'].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });

  it('refuses a non-loopback bind without tokens, from config or --host', () => {
    expect(() => resolveHttpSettings(config({ host: '0.0.0.0' }))).toThrow(/Refusing to serve HTTP on 0\.0\.0\.0 without authentication/);
    expect(() => resolveHttpSettings(config(), { host: '::' })).toThrow(/without authentication/);
    expect(resolveHttpSettings(config({ tokens: [{ token: 't' }] }), { host: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('defaults: loopback hosts, 1 MiB bodies, 30 min idle sessions, 600/min per token only when tokens exist', () => {
    const open = resolveHttpSettings(config());
    expect(open).toMatchObject({ host: '127.0.0.1', port: 3333, allowedHosts: ['localhost', '127.0.0.1', '[::1]'], maxBodyBytes: 1_048_576, sessionIdleMs: 1_800_000, rateLimitPerMinute: undefined, stateless: false });
    expect(resolveHttpSettings(config({ tokens: [{ token: 't' }] })).rateLimitPerMinute).toBe(600);
    expect(resolveHttpSettings(config({ tokens: [{ token: 't' }] }), { host: '0.0.0.0' }).allowedHosts).toBeUndefined();
    expect(resolveHttpSettings(config({ tokens: [{ token: 't' }], allowed_hosts: ['stratum.corp'] }), { host: '0.0.0.0' }).allowedHosts).toEqual(['stratum.corp']);
    expect(() => resolveHttpSettings(config(), { port: 70_000 })).toThrow(/--port must be a whole number/);
  });
});

describe('Host and Origin checks', () => {
  const settings = resolveHttpSettings(config({ allowed_origins: ['https://app.example.com', 'notebook.corp'] }));

  it('accepts localhost names on any port and refuses others', () => {
    expect(checkHost({ host: 'localhost:3333' }, settings)).toBeUndefined();
    expect(checkHost({ host: '[::1]:80' }, settings)).toBeUndefined();
    expect(checkHost({ host: 'evil.example' }, settings)?.status).toBe(403);
    expect(checkHost({}, settings)?.reason).toBe('host_not_allowed');
  });

  it('accepts no Origin, localhost origins and listed ones (full origin or hostname)', () => {
    for (const origin of [undefined, 'http://localhost:5173', 'http://127.0.0.1', 'https://app.example.com', 'https://app.example.com/', 'http://notebook.corp:8888']) {
      expect(checkOrigin({ origin }, settings)).toBeUndefined();
    }
    for (const origin of ['http://app.example.com', 'https://app.example.com.evil.io', 'null', 'not a url', 'https://evil.example']) {
      expect(checkOrigin({ origin }, settings)?.reason).toBe('origin_not_allowed');
    }
  });
});

describe('bearer tokens', () => {
  const auth = new TokenAuthenticator([
    { name: 'analyst', token: 'aaaa', subagents: undefined },
    { name: 'bot', token: 'bbbb', subagents: ['finance'] },
  ]);

  it('identifies a token by name and scope, never exposing its value', () => {
    expect(auth.authenticate('Bearer bbbb', '127.0.0.1')).toEqual({ name: 'bot', subagents: ['finance'], rateKey: 'token:bot' });
    expect(auth.authenticate('bearer   aaaa ', '127.0.0.1')).toMatchObject({ name: 'analyst' });
  });

  it('refuses missing, malformed and wrong tokens with 401', () => {
    for (const header of [undefined, '', 'Bearer', 'Basic aaaa', 'Bearer aaaa extra', 'Bearer aaab']) {
      const result = auth.authenticate(header, '127.0.0.1');
      expect(isRejection(result) && result.status).toBe(401);
    }
  });

  it('lets everyone in without tokens, rate-limited per address', () => {
    expect(new TokenAuthenticator([]).authenticate(undefined, '10.1.2.3')).toEqual({ name: 'anonymous', subagents: undefined, rateKey: 'address:10.1.2.3' });
  });

  it('limits a scoped token to its subagents', () => {
    const bot = { name: 'bot', subagents: ['finance'], rateKey: 'token:bot' };
    expect(checkScope(bot, 'finance')).toBeUndefined();
    expect(checkScope(bot, 'ops')?.status).toBe(403);
    expect(checkScope(bot, undefined)?.message).toBe('This token may not reach the full server.');
    expect(checkScope({ ...bot, subagents: undefined }, 'ops')).toBeUndefined();
  });
});

describe('rate limiter', () => {
  it('allows a burst of the per-minute allowance, then refills continuously', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBeUndefined();
    const refused = limiter.take('a');
    expect(refused).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    expect(limiter.take('b')).toBeUndefined();
    now += 1000;
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')?.status).toBe(429);
  });
});
