/** The JSON body POSTed to each webhook: redacted by construction (built from redacted results). */
export interface Notification {
  event: string;
  target: string | null;
  time: string;
  severity: string | null;
  summary: string;
  commit: string | null;
  fingerprint: string | null;
  changes: unknown[];
  provenance: unknown;
  note?: string;
}

export type Delivery = { ok: true; endpoint: string } | { ok: false; endpoint: string; reason: string };

/**
 * POSTs one notification to one webhook with a timeout. Never throws: a failed delivery is an
 * outcome to record. `endpoint` is the URL's origin only, since webhook paths often hold tokens.
 */
export async function deliver(url: string, body: Notification, timeoutMs: number): Promise<Delivery> {
  const endpoint = new URL(url).origin;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'driftwarden' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    await res.body?.cancel();
    if (res.ok) return { ok: true, endpoint };
    return { ok: false, endpoint, reason: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.name);
    return { ok: false, endpoint, reason };
  }
}
