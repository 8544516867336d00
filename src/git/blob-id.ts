import { hash } from 'node:crypto';

/** Git's id of a blob with this text's bytes (what `git hash-object` prints). */
export function gitBlobId(text: string): string {
  return hash('sha1', `blob ${Buffer.byteLength(text, 'utf8')}\0${text}`);
}
