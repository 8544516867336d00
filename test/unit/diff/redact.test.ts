import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/diff/redact.js';

const key = Buffer.alloc(32, 7);

describe('Redactor', () => {
  const r = new Redactor(key, { patterns: ['sk_live_[A-Za-z0-9]+'] });

  it('hides values of secret fields in trees, keeping a stable keyed fingerprint', () => {
    const out = r.tree({ stats: { user: 'admin', password: 'hunter2' }, api_key: 'abc123', proxy_pass: 'http://up', server_tokens: 'off' });
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(JSON.stringify(out)).not.toContain('abc123');
    expect(out).toMatchObject({ stats: { user: 'admin' }, proxy_pass: 'http://up', server_tokens: 'off' });
    expect((out as any).stats.password).toBe(r.fingerprint('hunter2'));
    expect(r.fingerprint('hunter2')).toMatch(/^\[secret:[0-9a-f]{8}\]$/);
    expect(r.fingerprint('hunter2')).not.toBe(r.fingerprint('hunter3'));
    expect(new Redactor(Buffer.alloc(32, 8)).fingerprint('hunter2')).not.toBe(r.fingerprint('hunter2'));
  });

  it('hides everything under an auth object', () => {
    expect(JSON.stringify(r.tree({ auth: { user: 'bob', pass: 'pw1' } }))).not.toMatch(/bob|pw1/);
  });

  it('hides secrets inside text lines in YAML, JSON, HAProxy and nginx syntax', () => {
    const text = [
      'password: hunter2',
      '  "token": "tok-abcdef",',
      '    stats auth admin:s3cr3t',
      '    user admin password $6$saltsalt$hash',
      'url: https://deploy:pa55word@git.example.com/repo.git',
      'proxy_set_header Authorization "Bearer eyJhbGciOiJIUzI1NiJ9.payload";',
      'stripe: sk_live_4242abcd',
      'proxy_pass http://backend;',
    ].join('\n');
    const out = r.text(text);
    for (const secret of ['hunter2', 'tok-abcdef', 's3cr3t', '$6$saltsalt$hash', 'pa55word', 'eyJhbGciOiJIUzI1NiJ9', 'sk_live_4242abcd']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('proxy_pass http://backend;');
    expect(out).toContain('https://deploy:[secret:');
  });
});

describe('Redactor: values that span lines', () => {
  it('hides a YAML block scalar or nested value under a secret key, and nothing after it', () => {
    const r = new Redactor(Buffer.alloc(32, 3));
    const text = 'tls:\n  private_key: |\n    -----BEGIN KEY-----\n    BBBB-secret\n  cert: public.pem\ntokens:\n  - tok-one\n  - tok-two\nname: edge\n';
    const out = r.text(text);
    for (const secret of ['BEGIN KEY', 'BBBB-secret', 'tok-one', 'tok-two']) expect(out).not.toContain(secret);
    expect(out).toContain('  cert: public.pem');
    expect(out).toContain('name: edge');
    expect(out.split('\n')).toHaveLength(text.split('\n').length);
  });
});
