import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { DRIFTED, setup } from '../helpers/fixture.js';

describe('when Git cannot be fetched', () => {
  it('keeps working on the last fetched commit, says so, records it, and recovers', async () => {
    const s = setup({ live: DRIFTED });
    const first = (await cli('--config', s.config, 'check', '--json')).json();
    expect(first.git.stale).toBe(false);

    renameSync(join(s.dir, 'approved'), join(s.dir, 'approved-away'));
    const stale = await cli('--config', s.config, 'check');
    expect(stale.code).toBe(2); // the drift is still reported against the last fetched commit
    expect(stale.stdout).toMatch(/^approved: main @ [0-9a-f]{12} \(STALE: fetch failed \(.+\), last fetched \d{4}-/m);
    expect(stale.stdout).toContain(`note: git: stale, last fetched ${first.git.fetchedAt}`);
    const json = (await cli('--config', s.config, 'check', '--json')).json();
    expect(json.git).toMatchObject({ stale: true, commit: first.git.commit, fetchedAt: first.git.fetchedAt });
    expect((await cli('--config', s.config, 'status')).stdout).toMatch(/git: stale/);

    renameSync(join(s.dir, 'approved-away'), join(s.dir, 'approved'));
    expect((await cli('--config', s.config, 'check', '--json')).json().git.stale).toBe(false);
    const events = (await cli('--config', s.config, 'history', '--type', 'git', '--json')).json().events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['git.stale', 'git.recovered']);
    expect(events[0].reason).toMatch(new RegExp(`^fetch failed: .+; using the commit fetched at ${first.git.fetchedAt}$`));
  });

  it('never prints the token or URL credentials when a fetch fails', async () => {
    const token = 'ghp_TopSecretToken1234567890';
    const s = setup({ extra: { git: { repo: 'https://deploy:UrlPassw0rd@127.0.0.1:9/acme/lb.git', branch: 'main', tokenEnv: 'DW_TEST_TOKEN' } } });
    process.env.DW_TEST_TOKEN = token;
    try {
      const run = await cli('--config', s.config, 'check', '--json');
      expect(run.code).toBe(1);
      const all = run.stdout + run.stderr;
      expect(all).toMatch(/cannot fetch https:\/\/deploy:\*\*\*@127\.0\.0\.1:9\/acme\/lb\.git and no earlier fetch exists/);
      expect(all).not.toContain(token);
      expect(all).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));
      expect(all).not.toContain('UrlPassw0rd');
    } finally {
      delete process.env.DW_TEST_TOKEN;
    }
  });

  it('warns when the token variable is not set', async () => {
    const s = setup({ extra: { git: { repo: './approved', tokenEnv: 'DW_TEST_UNSET_TOKEN' } } });
    const run = await cli('--config', s.config, 'check');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: environment variable DW_TEST_UNSET_TOKEN (git.tokenEnv) is not set; fetching without a token');
  });
});
