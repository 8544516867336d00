export type Delivery = { ok: true; endpoint: string } | { ok: false; endpoint: string; reason: string; retry: boolean };

/**
 * POSTs one JSON payload with a timeout. Never throws: a failed delivery is an outcome to record.
 * `endpoint` is the URL's origin only, since webhook paths often hold tokens (Slack's always do).
 * `retry` is false for answers that will not change by trying again (4xx other than 408/429).
 */
export async function post(url: string, payload: unknown, timeoutMs: number): Promise<Delivery> {
  let endpoint: string;
  try {
    endpoint = new URL(url).origin;
  } catch {
    return { ok: false, endpoint: '(invalid URL)', reason: 'not a valid URL', retry: false };
  }
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'driftwarden' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    await res.body?.cancel();
    if (res.ok) return { ok: true, endpoint };
    const retry = res.status >= 500 || res.status === 408 || res.status === 429;
    return { ok: false, endpoint, reason: `HTTP ${res.status}`, retry };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.name);
    return { ok: false, endpoint, reason, retry: true };
  }
}
