/** The one HTTP helper the HTTP sinks share: a POST with a timeout, returning status and body (never throwing on a status). */
export async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; text: string } | { status: 0; text: string }> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    // Connection refused, DNS, timeout: the SIEM is unreachable, so retry later.
    return { status: 0, text: (err as Error).message };
  }
}
