import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
};

/** A real Git repository in a folder, with helpers to commit files and switch branches. */
export class TestRepo {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.git('init', '--quiet', '--initial-branch=main');
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  /** Writes files and commits them; returns the commit id. */
  commit(files: Record<string, string>, message: string): string {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, rel)), { recursive: true });
      writeFileSync(join(this.dir, rel), text);
    }
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  branch(name: string, from = 'main'): void {
    this.git('checkout', '--quiet', '-b', name, from);
  }

  checkout(name: string): void {
    this.git('checkout', '--quiet', name);
  }
}
