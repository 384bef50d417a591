import { TENANT_KEY_PREFIX, type KvListResult, type KvStore } from '../../pipeline/core/kv-store.js';
import type { StatusBody } from '../../pipeline/core/status.js';
import { inWords, isOsError, singleLine } from '../../pipeline/core/io-error.js';
import { Outbox, type DiscardedOutbox, type OutboxEntry } from './outbox.js';
import { reportTokenSource } from './report-token.js';
import { backoffDelay, DEFAULT_RETRY, realSleep, type RetryPolicy } from './retry.js';
import { gapWait, HEARTBEAT_MS, MIN_WRITE_GAP_MS, writeDue, writtenTally, type WrittenTally } from './write-rules.js';

export interface HttpKvStoreOptions {
  /** The Worker's origin (or a path prefix it is routed under), e.g. `https://status.example.com`. */
  readonly baseUrl: string;
  /** Where unsent tallies wait for the next run, e.g. `state/.syncscope/kv-outbox.json`. */
  readonly outboxPath: string;
  /** Source of SYNCSCOPE_REPORT_TOKEN / SYNCSCOPE_REPORT_SECRET; process.env when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly retry?: Partial<RetryPolicy>;
  /** Injected in tests so backoff and the per-key interval cost no real time. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly clock?: () => number;
  /** Per request; a hung Worker counts as a network error (retried). Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Workers KV allows one write per second per key. Default 1000. */
  readonly minWriteIntervalMs?: number;
  /** An unchanged tally is re-sent once its updated_at is this much newer than the last sent. Default 1 h. */
  readonly heartbeatMs?: number;
}

/** The Worker refused a report (4xx): retrying the same request cannot help. */
export class KvReportError extends Error {
  override readonly name = 'KvReportError';
  constructor(
    readonly key: string,
    readonly status: number,
    readonly workerMessage: string,
  ) {
    super(`POST /report for ${key} was refused: HTTP ${status}: ${workerMessage}`);
  }
}

/** What one flush() did. `queued` tallies are in the outbox file, for the next flush or run. */
export interface FlushResult {
  readonly delivered: number;
  readonly queued: number;
  /** Why the Worker is considered unreachable, when it is. */
  readonly unreachable?: string;
  /** The outbox file of an earlier run could not be read: set aside here (once). */
  readonly outboxDiscarded?: DiscardedOutbox;
}

/** The last value the Worker acknowledged for a key. Its updatedAt is the reporter's clock (the Worker stamps its own on receipt). */
interface Delivered extends WrittenTally {
  readonly value: string;
  /** When the Worker acknowledged it (this.clock), for the per-key interval. */
  readonly at: number;
}

type SendOutcome =
  | { readonly kind: 'ok' }
  /** 409: the Worker holds a report newer than this one. */
  | { readonly kind: 'superseded' }
  | { readonly kind: 'transient'; readonly reason: string }
  | { readonly kind: 'refused'; readonly error: KvReportError };

const FLUSH_CONCURRENCY = 4;

/**
 * KvStore over HTTP: each put of `tenant:<id>` becomes POST /report to the syncscope Worker.
 *
 * - Writes are coalesced per key by the SPEC §5 write rules (write-rules.ts): sent only when the
 *   tally changed apart from its clocks, or its updated_at is an hour past the last one sent
 *   (heartbeat); at most once per minWriteIntervalMs, a put inside the interval waiting it out, and
 *   only the newest value is sent.
 * - 5xx, 429 and network errors are retried with capped, jittered backoff. When retries run out the
 *   Worker is deemed unreachable until the next flush(): the tally and every later put go to the
 *   outbox without further attempts, so the caller's run still finishes promptly.
 * - 409 means the Worker already holds a newer report (a late retry): the tally is superseded and
 *   dropped, without an error or a retry.
 * - Any other 4xx throws KvReportError. 401/403 (credentials) keep the tally in the outbox, since
 *   fixing the token delivers it; other 4xx mean the tally itself is unacceptable and it is dropped.
 *
 * Call flush() at every tick and before exit: it resends the outbox and waits for the file.
 */
export class HttpKvStore implements KvStore {
  private readonly reportUrl: URL;
  private readonly tokenFor: (tenantId: string) => string;
  private readonly outbox: Outbox;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly requestTimeoutMs: number;
  private readonly minWriteIntervalMs: number;
  private readonly heartbeatMs: number;

  private readonly delivered = new Map<string, Delivered>();
  /** Newest value per key waiting for its send (the interval, or an in-flight send). */
  private readonly pending = new Map<string, OutboxEntry>();
  /** One send chain per key, so a key's sends never overlap or reorder. */
  private readonly chains = new Map<string, Promise<void>>();
  private unreachable: string | null = null;

  constructor(options: HttpKvStoreOptions) {
    const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.reportUrl = new URL('report', base);
    this.tokenFor = reportTokenSource(options.env ?? process.env);
    this.outbox = new Outbox(options.outboxPath);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? MIN_WRITE_GAP_MS;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  /** The newest value this process was given or holds unsent, else the last one it delivered. */
  async get(key: string): Promise<string | null> {
    await this.outbox.load();
    return this.pending.get(key)?.value ?? this.outbox.get(key)?.value ?? this.delivered.get(key)?.value ?? null;
  }

  async put(key: string, value: string, options?: { readonly metadata?: unknown }): Promise<void> {
    tenantIdOf(key, value); // fail fast on a key/value mismatch: the Worker would answer 403
    await this.outbox.load();
    if (this.isRedundant(key, value)) {
      // The Worker already holds these facts: an older unsent value must not overwrite them later.
      this.pending.delete(key);
      this.outbox.delete(key);
      return;
    }
    const entry: OutboxEntry = options?.metadata === undefined ? { value } : { value, metadata: options.metadata };
    if (this.unreachable !== null) {
      this.pending.delete(key); // a send waiting out the interval must not park an older value
      this.outbox.set(key, entry);
      return;
    }
    this.pending.set(key, entry);
    await this.enqueue(key);
  }

  list(): Promise<KvListResult> {
    return Promise.reject(new Error('list() is not supported over HTTP: the Worker exposes counts only; use fetchStatus(baseUrl)'));
  }

  /** Unsent tallies (this process's and earlier runs'), not yet acknowledged by the Worker. */
  async queued(): Promise<number> {
    await this.outbox.load();
    return new Set([...this.outbox.keys(), ...this.pending.keys()]).size;
  }

  /**
   * Sends everything unsent, including the outbox of earlier runs, then waits until the outbox
   * file is written. A Worker that is still down is not an error: the tallies stay queued and
   * `unreachable` says why. Throws KvReportError (or an AggregateError of them) on 4xx.
   */
  async flush(): Promise<FlushResult> {
    await this.outbox.load();
    this.unreachable = null;
    const keys = [...new Set([...this.outbox.keys(), ...this.pending.keys()])];
    let delivered = 0;
    const refused: KvReportError[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const key = keys[next++] as string;
        const before = this.delivered.get(key);
        try {
          await this.enqueue(key);
        } catch (err) {
          if (err instanceof KvReportError) refused.push(err);
          else throw err;
        }
        if (this.delivered.get(key) !== before) delivered++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, keys.length) }, worker));
    await this.outbox.settle();
    if (refused.length === 1) throw refused[0];
    if (refused.length > 1) throw new AggregateError(refused, `the Worker refused ${refused.length} reports; first: ${refused[0]?.message}`);
    const discarded = this.outbox.takeDiscarded();
    const result: FlushResult = { delivered, queued: await this.queued(), ...(discarded === null ? {} : { outboxDiscarded: discarded }) };
    return this.unreachable === null ? result : { ...result, unreachable: this.unreachable };
  }

  private enqueue(key: string): Promise<void> {
    const run = (this.chains.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => this.deliver(key));
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  /** Sends the newest unsent value of `key`, if any is left by the time this key's turn comes. */
  private async deliver(key: string): Promise<void> {
    if (!this.pending.has(key) && this.outbox.get(key) === undefined) return; // coalesced into an earlier send
    const sent = this.delivered.get(key);
    if (sent !== undefined) {
      const wait = gapWait(sent.at, this.clock(), this.minWriteIntervalMs);
      if (wait > 0) await this.sleep(wait);
    }
    const entry = this.pending.get(key) ?? this.outbox.get(key); // the newest, after the wait
    if (entry === undefined) return;
    this.pending.delete(key);
    // The outbox entry as it was when `entry` was picked: older than `entry`, or `entry` itself.
    // If it has changed by the time the send ends, a newer put was parked meanwhile: keep that one.
    const parked = this.outbox.get(key);
    const supersedeParked = (): void => {
      if (this.outbox.get(key) === parked) this.outbox.delete(key);
    };
    const park = (): void => {
      if (!this.pending.has(key) && this.outbox.get(key) === parked) this.outbox.set(key, entry);
    };
    if (this.isRedundant(key, entry.value)) return supersedeParked();
    if (this.unreachable !== null) return park();

    const outcome = await this.sendWithRetries(key, entry.value);
    if (outcome.kind === 'ok') {
      this.delivered.set(key, { value: entry.value, ...parseTally(entry.value), at: this.clock() });
      return supersedeParked();
    }
    if (outcome.kind === 'superseded') return supersedeParked();
    if (outcome.kind === 'transient') {
      this.unreachable = outcome.reason;
      return park();
    }
    // Refused. Bad credentials are fixable, so the tally waits; any other 4xx is about the tally.
    const status = outcome.error.status;
    if (status === 401 || status === 403) park();
    else supersedeParked();
    await this.outbox.settle(); // the caller may stop on this error: the file must be right first
    throw outcome.error;
  }

  /** True when the Worker already has this value, or the same facts and no heartbeat is due. */
  private isRedundant(key: string, value: string): boolean {
    const sent = this.delivered.get(key);
    if (sent === undefined) return false;
    if (sent.value === value) return true;
    const next = parseTally(value);
    return !writeDue(sent, next.facts, next.updatedAt, this.heartbeatMs);
  }

  private async sendWithRetries(key: string, value: string): Promise<SendOutcome> {
    const token = this.tokenFor(tenantIdOf(key, value));
    const body = withReportedAt(value);
    let outcome: SendOutcome = { kind: 'transient', reason: 'not attempted' };
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      if (attempt > 0) await this.sleep(backoffDelay(attempt - 1, this.retry, this.random));
      outcome = await this.sendOnce(key, body, token);
      if (outcome.kind !== 'transient') return outcome;
    }
    return outcome;
  }

  private async sendOnce(key: string, value: string, token: string): Promise<SendOutcome> {
    let response: Response;
    try {
      response = await fetch(this.reportUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: value,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (err) {
      return { kind: 'transient', reason: `${this.reportUrl.origin} unreachable: ${describeNetworkError(err)}` };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { kind: 'ok' };
    if (response.status === 409) return { kind: 'superseded' };
    if (response.status >= 500 || response.status === 429) {
      return { kind: 'transient', reason: `${this.reportUrl.origin} answered HTTP ${response.status}` };
    }
    return { kind: 'refused', error: new KvReportError(key, response.status, workerMessage(text)) };
  }
}

/** The Worker's /_status could not be read: unreachable, timed out, or not a status answer. */
export class StatusFetchError extends Error {
  override readonly name = 'StatusFetchError';
}

/** GET /_status from the Worker (SPEC §5 body). 503 with a status body is `degraded` or `no_data` under ?strict=1. */
export async function fetchStatus(baseUrl: string, options: { readonly strict?: boolean; readonly timeoutMs?: number } = {}): Promise<StatusBody> {
  const url = new URL('_status', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  if (options.strict) url.searchParams.set('strict', '1');
  const timeoutMs = options.timeoutMs ?? 10_000;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    throw new StatusFetchError(`cannot reach ${url.href}: ${whyUnreachable(err, timeoutMs)}`, { cause: err });
  }
  if (response.status === 200 || response.status === 503) {
    const body = parseStatusBody(text);
    if (body !== null) return body;
    throw new StatusFetchError(`${url.href} answered HTTP ${response.status}, but not with a status body: ${singleLine(text, 120) || '(empty body)'}`);
  }
  throw new StatusFetchError(`${url.href} answered HTTP ${response.status}: ${workerMessage(text)}`);
}

/** "connection refused (ECONNREFUSED)", "no answer within 10 s", from what fetch() threw. */
function whyUnreachable(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? (err as { cause?: unknown }).cause : undefined;
  if (isOsError(cause)) return inWords(cause);
  return describeNetworkError(err);
}

function parseStatusBody(text: string): StatusBody | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const ok =
    (b.status === 'ok' || b.status === 'degraded' || b.status === 'no_data') &&
    typeof b.failing === 'number' &&
    typeof b.total === 'number' &&
    typeof b.ratio === 'number' &&
    typeof b.threshold === 'number' &&
    typeof b.checked_at === 'string';
  return ok ? (body as StatusBody) : null;
}

/** The tenant a `tenant:<id>` put reports for; its value's tenant_id must agree. */
function tenantIdOf(key: string, value: string): string {
  if (!key.startsWith(TENANT_KEY_PREFIX)) throw new Error(`HttpKvStore only writes "${TENANT_KEY_PREFIX}<id>" keys; got "${key}"`);
  const tenantId = key.slice(TENANT_KEY_PREFIX.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`value for ${key} is not JSON`);
  }
  if ((parsed as { tenant_id?: unknown } | null)?.tenant_id !== tenantId) {
    throw new Error(`value for ${key} must carry tenant_id "${tenantId}"`);
  }
  return tenantId;
}

function parseTally(value: string): WrittenTally {
  return writtenTally(JSON.parse(value) as object);
}

/** The Worker requires reported_at. An outbox from an older syncscope lacks it: those tallies were computed at their updated_at. */
function withReportedAt(value: string): string {
  const tally = JSON.parse(value) as { reported_at?: unknown; updated_at?: unknown };
  return tally.reported_at === undefined ? JSON.stringify({ ...tally, reported_at: tally.updated_at }) : value;
}

function workerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not the Worker's JSON: show the raw start
  }
  return singleLine(text, 200) || '(empty body)';
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  return code ? `${err.message} (${code})` : err.message;
}
