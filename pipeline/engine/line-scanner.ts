import { ABSENT, FAILED, HAS_FILES_TOTAL, NULL, PUSH, type NameTable, type RowBatchBuilder } from '../core/columns.js';
import { daysInMonth } from '../core/time.js';

/**
 * A validating scanner for sync-events v1 lines: writes each row straight into a
 * RowBatchBuilder, without JSON.parse's object and strings or toRow's record. It accepts only
 * the plain shapes clients write and refuses anything it is not sure about (non-ASCII, escapes,
 * control characters, unknown or repeated keys, numbers other than plain digit runs, timestamps
 * other than `YYYY-MM-DDTHH:MM:SS[.f…]` with Z or ±HH:MM, …): the caller then runs the
 * reference path (JSON.parse + toRow), which stays the single source of truth for what is valid
 * and why not. A property test holds the two together (test/line-scanner.property.test.ts).
 *
 * Why bytes: in V8, charCodeAt on a line (a slice of the decoded chunk) costs about as much
 * per character as JSON.parse itself, and every string method call as much as a dozen of them.
 * One TextEncoder.encodeInto copies the line into a scratch byte array (it also tells an ASCII
 * line by its length), after which each byte costs a typed-array load.
 */

// The known keys, numbered densely (the value switch is a jump table); bit 1 << key marks a key
// seen, and a key seen twice is refused (JSON.parse lets the last one win).
const K_TS = 0;
const K_OP = 1;
const K_REPO = 2;
const K_SCOPE = 3;
const K_MACHINE = 4;
const K_TRIGGER = 5;
const K_FILES = 6;
const K_BYTES = 7;
const K_DUR_MS = 8;
const K_MANIFEST_BEFORE = 9;
const K_MANIFEST_AFTER = 10;
const K_OK = 11;
const K_ERROR = 12;
const K_TENANT_ID = 13;
const K_FILES_TOTAL = 14;
const REQUIRED = (1 << K_TS) | (1 << K_OP) | (1 << K_REPO) | (1 << K_SCOPE) | (1 << K_MACHINE) | (1 << K_TRIGGER) |
  (1 << K_FILES) | (1 << K_BYTES) | (1 << K_DUR_MS);

/**
 * The little-endian 32-bit word of four ASCII characters: a key is recognised by its first
 * four bytes (its quote and three letters) in one DataView read, then compared to the end.
 */
function word(s: string): number {
  return s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
}
const W_TS = word('"ts"');
const W_OP = word('"op"');
const W_OK = word('"ok"');
const W_REP = word('"rep');
const W_SCO = word('"sco');
const W_MAC = word('"mac');
const W_MAN = word('"man');
const W_TRI = word('"tri');
const W_TEN = word('"ten');
const W_FIL = word('"fil');
const W_BYT = word('"byt');
const W_DUR = word('"dur');
const W_ERR = word('"err');

/** A key's bytes (quotes included) past the first four, as little-endian (word, mask) pairs, and its length. */
interface KeyRest {
  readonly words: Int32Array;
  readonly length: number;
}
function keyRest(key: string): KeyRest {
  const bytes = new TextEncoder().encode(`"${key}"`);
  const words: number[] = [];
  for (let k = 4; k < bytes.length; k += 4) {
    let word = 0;
    let mask = 0;
    for (let j = 0; j < 4 && k + j < bytes.length; j++) {
      word |= bytes[k + j]! << (8 * j);
      mask |= 0xff << (8 * j);
    }
    words.push(word, mask);
  }
  return { words: Int32Array.from(words), length: bytes.length };
}
const KEY_REPO = keyRest('repo');
const KEY_SCOPE = keyRest('scope');
const KEY_MACHINE = keyRest('machine');
const KEY_TRIGGER = keyRest('trigger');
const KEY_TENANT_ID = keyRest('tenant_id');
const KEY_FILES = keyRest('files');
const KEY_FILES_TOTAL = keyRest('files_total');
const KEY_BYTES = keyRest('bytes');
const KEY_DUR_MS = keyRest('dur_ms');
const KEY_ERROR = keyRest('error');
const KEY_MANIFEST_BEFORE = keyRest('manifest_before');
const KEY_MANIFEST_AFTER = keyRest('manifest_after');

const QUOTE = 34;
const BACKSLASH = 92;

/** Longer lines are left to the reference path (the splitter caps lines at 64 KiB anyway). */
const MAX_LINE = 65_536;
/** Room past a line's end: fixed-offset reads (a timestamp, a key) never leave the array. */
const SLACK = 64;
/** Plain digit runs longer than this are refused (a safe integer has at most 16 digits). */
const MAX_COUNT_DIGITS = 16;

// Direct-mapped caches of recent strings by content hash (a collision replaces the slot): a name
// or text seen recently costs no new string. Each slot is one block of bytes, its length then its
// content, so a lookup touches one or two cache lines; small tables stay in the CPU caches.
// Strings longer than a slot holds are never cached.
const NAME_SLOTS = 512;
const NAME_SLOT_BYTES = 64;
const TEXT_SLOTS = 1024;
const TEXT_SLOT_BYTES = 32;
/** Masks keeping the first 0–3 bytes of a little-endian word. */
const TAIL_MASK = new Int32Array([0, 0xff, 0xffff, 0xffffff]);
/** nameAt's answers besides an id: a plain name not in the cache yet (its id is made once the line is good), and a string that is not plain. */
const UNCACHED = -1;
const NOT_PLAIN = -2;

/**
 * text[s, e) as a string that shares no memory with `text`. In V8 a slice of 13 characters or
 * more is a view into its parent (a "sliced string"), and a line is itself a slice of the whole
 * decoded chunk: keeping a 14-character manifest that way would keep the chunk alive, which
 * JSON.parse never does. Shorter slices are copies, so a text up to twice that is joined from
 * two of them (a rope of two copies); a longer one is flattened into a copy.
 */
function detachedSlice(text: string, s: number, e: number): string {
  const len = e - s;
  if (len <= COPIED_SLICE) return text.slice(s, e);
  if (len <= 2 * COPIED_SLICE) return text.slice(s, s + COPIED_SLICE) + text.slice(s + COPIED_SLICE, e);
  return (text.slice(s, e) + ' ').slice(0, -1);
}
/** The longest slice V8 copies rather than views. */
const COPIED_SLICE = 12;

/** JSON white space (space, tab, LF, CR) from p on; the index of the next other byte. */
function skipSpace(b: Uint8Array, p: number): number {
  for (;;) {
    const c = b[p]!;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return p;
    p++;
  }
}

/** True when the key is at p, its first four bytes known to match. */
function restOfKeyAt(v: DataView, p: number, key: KeyRest): boolean {
  const words = key.words;
  for (let k = 0, at = p + 4; k < words.length; k += 2, at += 4) if ((v.getInt32(at, true) & words[k + 1]!) !== words[k]) return false;
  return true;
}

/** The two-digit number at i, or NaN (NaN fails every range check after it). */
function twoDigits(b: Uint8Array, i: number): number {
  const hi = b[i]! - 48;
  const lo = b[i + 1]! - 48;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : NaN;
}

/** A cache of recent strings: per slot its bytes (length word, then the content zero-padded to a word), the string and, for names, its id. */
class RecentStrings {
  readonly strings: (string | undefined)[];
  readonly ids: Int32Array;
  readonly bytes: Uint8Array;
  /** The same bytes as little-endian words, like the line's. */
  readonly words: DataView;

  constructor(readonly slots: number, readonly slotBytes: number) {
    this.strings = new Array<string | undefined>(slots).fill(undefined);
    this.ids = new Int32Array(slots);
    this.bytes = new Uint8Array(slots * slotBytes);
    this.words = new DataView(this.bytes.buffer);
    this.clear();
  }

  /** The slot holding the line's bytes [s, e) (of content hash h), or -1. */
  find(v: DataView, s: number, e: number, h: number): number {
    const slot = (h ^ (h >>> 15)) & (this.slots - 1);
    return this.holds(slot, v, s, e) ? slot : -1;
  }

  /** True when `slot` holds the line's bytes [s, e). */
  private holds(slot: number, v: DataView, s: number, e: number): boolean {
    const words = this.words;
    let at = slot * this.slotBytes;
    if (words.getInt32(at, true) !== e - s) return false;
    at += 4;
    let i = s;
    for (; i + 4 <= e; i += 4, at += 4) if (v.getInt32(i, true) !== words.getInt32(at, true)) return false;
    // The last 1–3 bytes: the rest of the line's word is masked off (the cached word is zero-padded).
    return i === e || (v.getInt32(i, true) & TAIL_MASK[e - i]!) === words.getInt32(at, true);
  }

  /** Keeps `str`, whose bytes are the line's [s, e) of hash h, in its slot. */
  keep(b: Uint8Array, s: number, e: number, h: number, str: string, id: number): void {
    const len = e - s;
    if (len > this.slotBytes - 4) return;
    const slot = (h ^ (h >>> 15)) & (this.slots - 1);
    const bytes = this.bytes;
    const at = slot * this.slotBytes;
    this.words.setInt32(at, len, true);
    const content = at + 4 - s;
    for (let i = s; i < e; i++) bytes[content + i] = b[i]!;
    for (let i = e; (i - s) & 3; i++) bytes[content + i] = 0;
    this.strings[slot] = str;
    this.ids[slot] = id;
  }

  clear(): void {
    for (let slot = 0; slot < this.slots; slot++) this.words.setInt32(slot * this.slotBytes, -1, true);
    this.strings.fill(undefined);
  }
}

/** One scanner per thread: its scratch bytes and caches of recent names, texts and the last ts minute. */
export class LineScanner {
  private readonly encoder = new TextEncoder();
  /** The line being scanned as bytes, then a 0 (a byte no rule accepts), then leftovers. */
  private readonly line = new Uint8Array(MAX_LINE + SLACK);
  private readonly view = new DataView(this.line.buffer);
  /** Set by the readers below: the index just past what they read, and a string's content hash. */
  private end = 0;
  private hash = 0;

  private nameTable: NameTable | null = null;
  private readonly names = new RecentStrings(NAME_SLOTS, NAME_SLOT_BYTES);
  private readonly texts = new RecentStrings(TEXT_SLOTS, TEXT_SLOT_BYTES);

  /**
   * Rows come in bursts within one minute: the last `YYYY-MM-DDTHH:MM` as four words and its
   * epoch ms, compared before any digit is read (a true pair from the start).
   */
  private minute0 = word('1970');
  private minute1 = word('-01-');
  private minute2 = word('01T0');
  private minute3 = word('0:00');
  private minuteMs = 0;

  /**
   * Scans one line (CR/BOM already stripped, not blank) and, when it is sure, writes its row
   * into `out` at out.n and commits it (returns true). Returns false, with `out` exactly as
   * before (n, errorCount, texts length), for anything it is not sure about: the caller then
   * runs the reference path. `out` must not be full.
   */
  scanLine(text: string, out: RowBatchBuilder, fileId: number, line: number, defaultTenantId: number): boolean {
    const n = text.length;
    if (n > MAX_LINE) return false;
    const b = this.line;
    // An ASCII line encodes to as many bytes as it has characters; anything else is refused.
    const { read, written } = this.encoder.encodeInto(text, b);
    if (read !== n || written !== n) return false;
    b[n] = 0;
    if (this.nameTable !== out.names) {
      this.nameTable = out.names;
      this.names.clear();
    }
    const textsBefore = out.texts.length;
    const errorsBefore = out.errorCount;
    if (this.scan(b, this.view, n, text, out, fileId, line, defaultTenantId)) return true;
    out.texts.length = textsBefore;
    out.errorCount = errorsBefore;
    return false;
  }

  private scan(b: Uint8Array, v: DataView, n: number, text: string, out: RowBatchBuilder, fileId: number, line: number,
    defaultTenantId: number): boolean {
    let p = b[0] === 123 /* { */ ? 1 : skipSpace(b, 0) + 1;
    if (b[p - 1] !== 123) return false;

    let seen = 0;
    let t = 0;
    let push = false;
    let files = 0;
    let bytes = 0;
    let durMs = 0;
    let filesTotal = 0;
    let okValue = false;
    let errorNonEmpty = false;
    // Names: their id, or UNCACHED with where they are (ids are made once the line is good).
    let repoAt = 0, repoEnd = 0, repoHash = 0, repo = 0;
    let scopeAt = 0, scopeEnd = 0, scopeHash = 0, scope = 0;
    let machineAt = 0, machineEnd = 0, machineHash = 0, machine = 0;
    let triggerAt = 0, triggerEnd = 0, triggerHash = 0, trigger = 0;
    let tenantAt = 0, tenantEnd = 0, tenantHash = 0, tenant = defaultTenantId;
    let before: string | null = null;
    let after: string | null = null;

    for (;;) {
      if (b[p] !== QUOTE) {
        p = skipSpace(b, p);
        if (b[p] !== QUOTE) return false;
      }
      // The key: told apart by its first four bytes, then compared to its closing quote.
      let key: number;
      let keyEnd = p + 4;
      switch (v.getInt32(p, true)) {
        case W_TS: key = K_TS; break;
        case W_OP: key = K_OP; break;
        case W_OK: key = K_OK; break;
        case W_REP: key = K_REPO; keyEnd = restOfKeyAt(v, p, KEY_REPO) ? p + KEY_REPO.length : -1; break;
        case W_SCO: key = K_SCOPE; keyEnd = restOfKeyAt(v, p, KEY_SCOPE) ? p + KEY_SCOPE.length : -1; break;
        case W_MAC: key = K_MACHINE; keyEnd = restOfKeyAt(v, p, KEY_MACHINE) ? p + KEY_MACHINE.length : -1; break;
        case W_TRI: key = K_TRIGGER; keyEnd = restOfKeyAt(v, p, KEY_TRIGGER) ? p + KEY_TRIGGER.length : -1; break;
        case W_TEN: key = K_TENANT_ID; keyEnd = restOfKeyAt(v, p, KEY_TENANT_ID) ? p + KEY_TENANT_ID.length : -1; break;
        case W_BYT: key = K_BYTES; keyEnd = restOfKeyAt(v, p, KEY_BYTES) ? p + KEY_BYTES.length : -1; break;
        case W_DUR: key = K_DUR_MS; keyEnd = restOfKeyAt(v, p, KEY_DUR_MS) ? p + KEY_DUR_MS.length : -1; break;
        case W_ERR: key = K_ERROR; keyEnd = restOfKeyAt(v, p, KEY_ERROR) ? p + KEY_ERROR.length : -1; break;
        case W_MAN:
          if (restOfKeyAt(v, p, KEY_MANIFEST_BEFORE)) { key = K_MANIFEST_BEFORE; keyEnd = p + KEY_MANIFEST_BEFORE.length; }
          else if (restOfKeyAt(v, p, KEY_MANIFEST_AFTER)) { key = K_MANIFEST_AFTER; keyEnd = p + KEY_MANIFEST_AFTER.length; }
          else return false;
          break;
        case W_FIL:
          if (restOfKeyAt(v, p, KEY_FILES)) { key = K_FILES; keyEnd = p + KEY_FILES.length; }
          else if (restOfKeyAt(v, p, KEY_FILES_TOTAL)) { key = K_FILES_TOTAL; keyEnd = p + KEY_FILES_TOTAL.length; }
          else return false;
          break;
        default: return false;
      }
      if (keyEnd < 0 || (seen & (1 << key)) !== 0) return false;
      seen |= 1 << key;
      p = keyEnd;
      if (b[p] !== 58 /* : */) {
        p = skipSpace(b, p);
        if (b[p] !== 58) return false;
      }
      let c = b[++p]!;
      if (c <= 32) c = b[(p = skipSpace(b, p))]!;

      switch (key) {
        case K_TS:
          if (c !== QUOTE || (t = this.timestampAt(b, v, p + 1)) !== t) return false;
          break;
        case K_OP:
          // "push" or "pull"
          if (c !== QUOTE || b[p + 1] !== 112 || b[p + 2] !== 117 || b[p + 5] !== QUOTE) return false;
          if (b[p + 3] === 115 && b[p + 4] === 104) push = true;
          else if (b[p + 3] === 108 && b[p + 4] === 108) push = false;
          else return false;
          this.end = p + 6;
          break;
        case K_REPO:
          if (c !== QUOTE || (repo = this.nameAt(b, v, p)) === NOT_PLAIN || this.end === p + 2) return false;
          repoAt = p + 1; repoEnd = this.end - 1; repoHash = this.hash;
          break;
        case K_SCOPE:
          if (c !== QUOTE || (scope = this.nameAt(b, v, p)) === NOT_PLAIN || this.end === p + 2) return false;
          scopeAt = p + 1; scopeEnd = this.end - 1; scopeHash = this.hash;
          break;
        case K_MACHINE:
          if (c !== QUOTE || (machine = this.nameAt(b, v, p)) === NOT_PLAIN || this.end === p + 2) return false;
          machineAt = p + 1; machineEnd = this.end - 1; machineHash = this.hash;
          break;
        case K_TRIGGER:
          if (c !== QUOTE || (trigger = this.nameAt(b, v, p)) === NOT_PLAIN || this.end === p + 2) return false;
          triggerAt = p + 1; triggerEnd = this.end - 1; triggerHash = this.hash;
          break;
        case K_TENANT_ID: {
          const id = c === QUOTE ? this.nameAt(b, v, p) : NOT_PLAIN;
          if (id === NOT_PLAIN) return false;
          // An empty tenant_id means the default tenant, as toRow has it.
          if (this.end > p + 2) {
            tenant = id;
            tenantAt = p + 1; tenantEnd = this.end - 1; tenantHash = this.hash;
          }
          break;
        }
        case K_FILES:
          if ((files = this.countAt(b, p)) !== files) return false;
          break;
        case K_BYTES:
          if ((bytes = this.countAt(b, p)) !== bytes) return false;
          break;
        case K_DUR_MS:
          if ((durMs = this.countAt(b, p)) !== durMs) return false;
          break;
        case K_FILES_TOTAL:
          if ((filesTotal = this.countAt(b, p)) !== filesTotal) return false;
          break;
        case K_MANIFEST_BEFORE:
        case K_MANIFEST_AFTER: {
          let m: string | null = null;
          if (c === 110 /* n */) {
            if (b[p + 1] !== 117 || b[p + 2] !== 108 || b[p + 3] !== 108) return false;
            this.end = p + 4;
          } else if (c !== QUOTE || (m = this.textAt(b, v, p + 1, text)) === null) return false;
          if (key === K_MANIFEST_BEFORE) before = m;
          else after = m;
          break;
        }
        case K_OK:
          if (c === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) { okValue = true; this.end = p + 4; }
          else if (c === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) {
            okValue = false;
            this.end = p + 5;
          } else return false;
          break;
        default: { // K_ERROR: a string (a chain of one) or an array of strings
          if (c === QUOTE) {
            const s = this.textAt(b, v, p + 1, text);
            if (s === null) return false;
            out.pushError(out.text(s));
            errorNonEmpty = s.length > 0;
            break;
          }
          if (c !== 91 /* [ */) return false;
          p = skipSpace(b, p + 1);
          if (b[p] !== 93 /* ] */) {
            for (;;) {
              const s = b[p] === QUOTE ? this.textAt(b, v, p + 1, text) : null;
              if (s === null) return false;
              out.pushError(out.text(s));
              p = skipSpace(b, this.end);
              const sep = b[p];
              if (sep === 93) break;
              if (sep !== 44 /* , */) return false;
              p = skipSpace(b, p + 1);
            }
            errorNonEmpty = true;
          }
          this.end = p + 1;
        }
      }

      p = this.end;
      c = b[p]!;
      if (c === 44 /* , */) {
        p++;
        continue;
      }
      if (c !== 125 /* } */) {
        p = skipSpace(b, p);
        c = b[p]!;
        if (c === 44) {
          p++;
          continue;
        }
        if (c !== 125) return false;
      }
      if (++p !== n && skipSpace(b, p) !== n) return false;
      break;
    }
    if ((seen & REQUIRED) !== REQUIRED) return false;

    // Sure now: new names enter the table, and the row is written.
    const names = out.names;
    if (repo === UNCACHED) repo = this.newName(b, repoAt, repoEnd, repoHash, text, names);
    if (scope === UNCACHED) scope = this.newName(b, scopeAt, scopeEnd, scopeHash, text, names);
    if (machine === UNCACHED) machine = this.newName(b, machineAt, machineEnd, machineHash, text, names);
    if (trigger === UNCACHED) trigger = this.newName(b, triggerAt, triggerEnd, triggerHash, text, names);
    if (tenant === UNCACHED) tenant = this.newName(b, tenantAt, tenantEnd, tenantHash, text, names);
    const i = out.n;
    out.t[i] = t;
    // failed as toRow derives it: `ok` decides when present, else a non-empty error, else false.
    const failed = (seen & (1 << K_OK)) !== 0 ? !okValue : errorNonEmpty;
    out.flags[i] = (push ? PUSH : 0) | (failed ? FAILED : 0) | ((seen & (1 << K_FILES_TOTAL)) !== 0 ? HAS_FILES_TOTAL : 0);
    out.tenant[i] = tenant;
    out.repo[i] = repo;
    out.machine[i] = machine;
    out.scope[i] = scope;
    out.trigger[i] = trigger;
    out.file[i] = fileId;
    out.line[i] = line;
    out.files[i] = files;
    out.filesTotal[i] = filesTotal;
    out.bytes[i] = bytes;
    out.durMs[i] = durMs;
    const kept = out.manifests;
    out.manifestBefore[i] = (seen & (1 << K_MANIFEST_BEFORE)) === 0 || !kept ? ABSENT : before === null ? NULL : out.text(before);
    out.manifestAfter[i] = (seen & (1 << K_MANIFEST_AFTER)) === 0 || !kept ? ABSENT : after === null ? NULL : out.text(after);
    out.commit();
    return true;
  }

  /**
   * A JSON string's content from s without escapes or control characters: true, with `end`
   * just past its closing quote and `hash` the content's hash. Reads a word at a time while no
   * byte of it is a quote, a backslash or a control character (the 0 after the line is one).
   */
  private stringAt(b: Uint8Array, v: DataView, s: number): boolean {
    let h = 0;
    let i = s;
    for (;;) {
      const w = v.getInt32(i, true);
      const quote = w ^ 0x22222222;
      const backslash = w ^ 0x5c5c5c5c;
      // Bit 7 of a byte set: that byte is 0x22, 0x5c or below 0x20 (exact, "has zero/less byte" tricks).
      if ((((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((w - 0x20202020) & ~w)) &
          0x80808080) break;
      h = Math.imul(h ^ w, 0x5bd1e995);
      i += 4;
    }
    let tail = 0;
    for (let k = 0; ; k++, i++) {
      const c = b[i]!;
      if (c === QUOTE) break;
      if (c < 32 || c === BACKSLASH) return false;
      tail |= c << (8 * k);
    }
    this.end = i + 1;
    this.hash = Math.imul(h ^ tail ^ (i - s), 0x5bd1e995);
    return true;
  }

  /** A plain digit run at p (no sign, fraction, exponent or leading zero) that is a safe integer, or NaN. */
  private countAt(b: Uint8Array, p: number): number {
    let d = b[p]! - 48;
    if (d === 0) {
      this.end = p + 1; // a digit after it is refused by the caller's separator check
      return 0;
    }
    if (!(d >= 1 && d <= 9)) return NaN;
    let v = d;
    let i = p + 1;
    for (;;) {
      d = b[i]! - 48;
      if (!(d >= 0 && d <= 9)) break;
      v = v * 10 + d;
      i++;
    }
    // Up to 2^53 every partial sum is exact; past it the sum rounds to 2^53 or more, never below.
    if (i - p > MAX_COUNT_DIGITS || v > Number.MAX_SAFE_INTEGER) return NaN;
    this.end = i;
    return v;
  }

  /**
   * `YYYY-MM-DDTHH:MM:SS[.f{1,9}]` then `Z` or `±HH:MM` then the closing quote, from q (just
   * past the opening quote), to epoch ms exactly as parseTs gives it (its own fast path for Z,
   * Date.parse for an offset; milliseconds are the first three fraction digits in both), or NaN.
   * Years before 1970 are refused. Every byte is checked in order, so the 0 after the line stops it.
   */
  private timestampAt(b: Uint8Array, v: DataView, q: number): number {
    const w0 = v.getInt32(q, true);
    const w1 = v.getInt32(q + 4, true);
    const w2 = v.getInt32(q + 8, true);
    const w3 = v.getInt32(q + 12, true);
    let base: number;
    if (w0 === this.minute0 && w1 === this.minute1 && w2 === this.minute2 && w3 === this.minute3) base = this.minuteMs;
    else {
      if (b[q + 4] !== 45 || b[q + 7] !== 45 || b[q + 10] !== 84 || b[q + 13] !== 58) return NaN;
      const y = twoDigits(b, q) * 100 + twoDigits(b, q + 2);
      const mo = twoDigits(b, q + 5);
      const d = twoDigits(b, q + 8);
      const h = twoDigits(b, q + 11);
      const mi = twoDigits(b, q + 14);
      if (!(y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59)) return NaN;
      base = Date.UTC(y, mo - 1, d, h, mi, 0, 0);
      this.minute0 = w0;
      this.minute1 = w1;
      this.minute2 = w2;
      this.minute3 = w3;
      this.minuteMs = base;
    }
    if (b[q + 16] !== 58) return NaN;
    const second = twoDigits(b, q + 17);
    if (!(second <= 59)) return NaN;
    let ms = 0;
    let i = q + 19;
    let c = b[i]!;
    if (c === 46 /* . */) {
      const first = ++i;
      for (;;) {
        const digit = (c = b[i]!) - 48;
        if (!(digit >= 0 && digit <= 9)) break;
        if (i < first + 3) ms += digit * (i === first ? 100 : i === first + 1 ? 10 : 1);
        i++;
      }
      if (i === first || i - first > 9) return NaN;
    }
    let t = base + second * 1000 + ms;
    if (c === 90 /* Z */) i++;
    else if (c === 43 /* + */ || c === 45 /* - */) {
      const oh = twoDigits(b, i + 1);
      if (!(oh <= 23) || b[i + 3] !== 58) return NaN;
      const om = twoDigits(b, i + 4);
      if (!(om <= 59)) return NaN;
      const offset = (oh * 60 + om) * 60_000;
      t = c === 43 ? t - offset : t + offset;
      i += 6;
    } else return NaN;
    if (b[i] !== QUOTE) return NaN;
    this.end = i + 1;
    return t;
  }

  /**
   * The name (a JSON string) at p: its id when cached, UNCACHED when plain but not cached, or
   * NOT_PLAIN; `end` and `hash` are set as stringAt sets them. No table entry is made.
   */
  private nameAt(b: Uint8Array, v: DataView, p: number): number {
    if (!this.stringAt(b, v, p + 1)) return NOT_PLAIN;
    const slot = this.names.find(v, p + 1, this.end - 1, this.hash);
    return slot < 0 ? UNCACHED : this.names.ids[slot]!;
  }

  /** The id of a name not in the cache, from the table (which keeps a new name as an internalized copy, never the slice). */
  private newName(b: Uint8Array, s: number, e: number, h: number, text: string, names: NameTable): number {
    const id = names.id(text.slice(s, e)); // an ASCII line: byte offsets are character offsets
    this.names.keep(b, s, e, h, names.list[id]!, id);
    return id;
  }

  /** The JSON string from s (just past its opening quote) as a string detached from the line, or null when not plain. */
  private textAt(b: Uint8Array, v: DataView, s: number, text: string): string | null {
    if (!this.stringAt(b, v, s)) return null;
    const e = this.end - 1;
    const h = this.hash;
    const texts = this.texts;
    const slot = texts.find(v, s, e, h);
    if (slot >= 0) return texts.strings[slot]!;
    const copy = detachedSlice(text, s, e);
    texts.keep(b, s, e, h, copy, 0);
    return copy;
  }
}

const shared = new LineScanner();

/** `LineScanner.scanLine` on this thread's scanner. */
export function scanLine(text: string, out: RowBatchBuilder, fileId: number, line: number, defaultTenantId: number): boolean {
  return shared.scanLine(text, out, fileId, line, defaultTenantId);
}
