export const MAX_REPORT_BYTES = 4096;

export type CappedBody = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: 'too_large' | 'not_utf8' };

/**
 * Reads at most `limit` bytes of the body. Content-Length is checked first, but the stream is
 * also counted, since a chunked body announces no length.
 */
export async function readCappedText(request: Request, limit = MAX_REPORT_BYTES): Promise<CappedBody> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return { ok: false, reason: 'too_large' };
  if (request.body === null) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return { ok: false, reason: 'too_large' };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'not_utf8' };
  }
}
