/** Where reading stands in an input: what a checkpoint saves and a restart resumes from. */

/** A file's identity: device and inode (as decimal strings), birth time when the fs has one, and
 * a hash of its first line (null while the first line is not complete yet). */
export interface Fingerprint {
  dev: string;
  ino: string;
  birth: string;
  head: string | null;
}

/** Where reading stands in one file. */
export interface FilePosition {
  kind: 'file';
  /** Absolute path of the log (the name we follow; the file there may change). */
  path: string;
  /** The file the offset is in (maybe rotated away from `path` since); null before any file was opened. */
  fingerprint: Fingerprint | null;
  /** Byte offset just past the last complete line fed to the engine. */
  offset: number;
  /** Line number of the line starting at `offset`. */
  line: number;
}

export type InputPosition =
  | FilePosition
  | {
      /** Several files read as one input (a fleet): each file's own position, in the order first read. */
      kind: 'files';
      files: FilePosition[];
    }
  | {
      kind: 'stdin';
      /** The stream reached EOF (complete): the next `run -` starts a fresh scan. */
      ended: boolean;
      /** Digests of the last non-blank lines delivered (at most 1,000, oldest first): what a restarted `tail -f` may replay. */
      recent: string[];
    };
