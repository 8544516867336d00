/**
 * Credentials reach git through environment-only config (GIT_CONFIG_COUNT), never argv or
 * the remote URL, so no token shows in `ps`, in `.git/config`, or in git's own messages.
 */
export function gitAuthEnv(token: string | undefined): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  if (token) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return env;
}

/** Variables git may need from our environment; nothing else reaches it (no EDITOR, no pager). */
const PASSED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'SSH_AUTH_SOCK', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

export function gitEnv(token: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of PASSED) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...gitAuthEnv(token) };
}

/** Removes every form of the token and any URL password from a message before it is shown. */
export function scrubSecrets(message: string, token: string | undefined): string {
  let out = message.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1***@');
  if (token) {
    const forms = [token, Buffer.from(`x-access-token:${token}`).toString('base64')];
    for (const form of forms) out = out.split(form).join('***');
  }
  return out;
}
