/**
 * Credentials reach git through environment-only config (GIT_CONFIG_COUNT), never argv or
 * the remote URL, so no token shows in `ps`, in `.git/config`, or in git's own messages.
 */
export function gitAuthEnv(token: string | undefined): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo', SSH_ASKPASS: 'echo' };
  if (token) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return env;
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
