// Types for phonescrub's embeddable JS API (phonescrub.js) and the engine's JSON shapes.
//
// HAND-WRITTEN. Nothing in this file is generated:
//   - The data shapes (Policy, Report, Profile, Progress and their parts) mirror, field
//     for field, the Rust types they are (de)serialised from: src/policy.rs (Policy,
//     ConsentRule, RetentionRule, OutputOptions, enums), src/protect.rs (HashOptions),
//     src/report.rs (Report), src/rules/mod.rs (Reason codes), src/rules/consent.rs
//     (ConsentValue), src/rules/suppression.rs (OptOutList), src/profile.rs (Profile,
//     ColumnProfile, Role), src/scrub.rs (Progress), src/input.rs (encodings,
//     delimiters). tests/e2e/types.test.mjs type-checks real engine output against them
//     (an object literal `satisfies Report`), so a field added, renamed or removed on
//     either side fails the suite.
//   - The API classes (Scrubber, ScrubError) declare www/phonescrub.js; the same test
//     checks that file (checkJs) and that its classes are assignable to these.
// GENERATED: pkg/phonescrub.d.ts, by wasm-bindgen, for the raw wasm exports (typed
// `any`); embedders never need it — the worker is the only caller of those exports.

/** A column, by header name (trimmed, case-insensitive) or by 0-based index. */
export type ColumnRef = string | number;

/** A field delimiter the engine reads and can be told to use. */
export type Delimiter = ',' | ';' | '\t' | '|';

/** The encodings the engine detects. */
export type Encoding = 'UTF-8' | 'UTF-16LE' | 'UTF-16BE' | 'windows-1252';

/** Order of day and month in slashed dates: 31/12/2025 is "dmy", 12/31/2025 "mdy". */
export type DateOrder = 'dmy' | 'mdy';

/** Rows with a missing or invalid number: removed (default) or kept as they are. */
export type InvalidNumbers = 'remove' | 'keep';

/** Remove rows with a reason (default), or keep every row and flag it in a `scrub_status` column. */
export type Mode = 'remove' | 'flag';

/** How the phone column is written: "+441212941091", "+44 121 294 1091", "0121 294 1091", or as it was. */
export type PhoneFormat = 'e164' | 'international' | 'national' | 'original';

/** The outputs' file format: CSV text, or .xlsx workbooks with every cell stored as text. */
export type OutputFormat = 'csv' | 'xlsx';

/** The input's format: delimited text, or the spreadsheet format read (told by its bytes). */
export type InputFormat = 'csv' | 'xlsx' | 'xlsb' | 'xls' | 'ods';

/** Whose normalisation a hashed number follows: Google "+digits", Meta and TikTok "digits". */
export type HashTarget = 'google' | 'meta' | 'tiktok';

/** Whether the hash replaces the phone column, or a `phone_sha256` (`phone_hmac_sha256`) column is added. */
export type HashColumn = 'replace' | 'add';

/** Why a row was removed (or flagged). The codes are part of the product's contract. */
export type ReasonCode =
  | 'malformed_row'
  | 'missing_number'
  | 'invalid_number'
  | 'mangled_number'
  | 'no_consent'
  | 'consent_expired'
  | 'opted_out'
  | 'retention_expired'
  | 'duplicate';

/** What a column probably holds, as the profile guesses it. */
export type Role =
  | 'phone'
  | 'consent'
  | 'consent_date'
  | 'last_contact'
  | 'date'
  | 'email'
  | 'name'
  | 'country'
  | 'free_text'
  | 'other';

/** Consent: which column, which values mean yes, and how old consent may be. */
export interface ConsentRule {
  /** The column holding the consent value. */
  column: ColumnRef;
  /** Values meaning yes, compared ignoring case and spaces; must not be empty. Absent: the engine's list ("yes", "y", "true", "1", "opt-in", ...). */
  granted?: string[];
  /** The column holding the date consent was given. */
  dateColumn?: ColumnRef;
  /** Consent older than this many days (before `today`) has expired. Needs `dateColumn`. */
  maxAgeDays?: number;
}

/** Retention: the column holding the last-contact date and the maximum age. */
export interface RetentionRule {
  /** The column holding the last-contact date. */
  column: ColumnRef;
  /** Rows last in contact more than this many days before `today` are removed. */
  maxAgeDays: number;
}

/** Hashed exports for ad platforms and partners (`output.hash`). */
export interface HashOptions {
  /** The platform whose form the number takes before hashing. */
  target: HashTarget;
  /** Replace the phone column (default) or add a column. */
  column?: HashColumn;
  /** HMAC-SHA-256 instead of plain SHA-256; give the key as the scrub's `hashKey` option (never in the policy). */
  keyed?: boolean;
}

/** How the outputs are written. */
export interface OutputOptions {
  /** Default "e164". */
  phoneFormat?: PhoneFormat;
  /** Neutralise cells a spreadsheet would run as a formula (OWASP CSV injection). Default true. */
  formulaSafe?: boolean;
  /** Start the outputs with a UTF-8 byte-order mark, so Excel reads them as UTF-8. Default false. */
  bom?: boolean;
  /** Hash the numbers of the cleaned list. */
  hash?: HashOptions;
  /** Default "csv". With "xlsx", `formulaSafe` and `bom` do not apply (text cells are never formulas). */
  format?: OutputFormat;
}

/**
 * The scrub policy: one shape shared by the page, this API and the CLI. Unknown keys are
 * refused by the engine (a `ScrubError` of kind "policy"), and by the type checker here.
 */
export interface Policy {
  /** The column holding the phone number. Required. */
  phoneColumn: ColumnRef;
  /** ISO 3166 alpha-2 region for numbers written in national format, e.g. "GB". */
  defaultRegion?: string;
  /** A column holding each row's country (ISO code or English name); overrides `defaultRegion` for that row. */
  regionColumn?: ColumnRef;
  /** Columns to keep in the outputs (data minimisation); absent keeps all. */
  keepColumns?: ColumnRef[];
  /** The consent rule, if the list records consent. */
  consent?: ConsentRule;
  /** The retention rule, if the list records a last-contact date. */
  retention?: RetentionRule;
  /** How to read slashed dates. Absent: "mdy" when the default region is US, "dmy" otherwise. ISO 8601 is always understood. */
  dateOrder?: DateOrder;
  /** The date to measure ages against, "YYYY-MM-DD"; absent means today. */
  today?: string;
  /** Remove rows whose number already appeared in an earlier kept row. Default true. */
  dedupe?: boolean;
  /** Default "remove". */
  invalidNumbers?: InvalidNumbers;
  /** Default "remove". */
  mode?: Mode;
  /** The delimiter, when sniffing should not decide. */
  delimiter?: Delimiter;
  /** How the outputs are written. */
  output?: OutputOptions;
}

/** `output` as the report echoes it: every default filled in. */
export interface ResolvedOutputOptions extends OutputOptions {
  phoneFormat: PhoneFormat;
  formulaSafe: boolean;
  bom: boolean;
  hash?: Required<HashOptions>;
  format: OutputFormat;
}

/** The policy as the report echoes it: every default filled in, `today` set. */
export interface ResolvedPolicy extends Policy {
  today: string;
  dedupe: boolean;
  invalidNumbers: InvalidNumbers;
  mode: Mode;
  output: ResolvedOutputOptions;
}

/** One distinct value of the consent column and how it was read. */
export interface ConsentValue {
  /** The value as written (trimmed). */
  value: string;
  /** Rows holding it. */
  rows: number;
  /** True when it was read as consent. */
  granted: boolean;
}

/** What one opt-out list contributed. */
export interface OptOutListReport {
  /** The list's name (its file name, where known). */
  name: string;
  /** Non-empty cells read. */
  cells: number;
  /** Distinct valid numbers found in it. */
  numbers: number;
  /** Distinct SHA-256 digests found in it (hashed lists: 64 hex digits a cell). */
  hashes: number;
  /** Rows of the contact list removed because a number on it matched. */
  rowsMatched: number;
}

/** Everything a scrub did. `rowsKept + rowsRemoved === rowsRead`, always. */
export interface Report {
  /** The engine's version, e.g. "0.1.0". */
  engineVersion: string;
  /** Data rows read (the header is not counted). */
  rowsRead: number;
  /** Rows in the cleaned output. */
  rowsKept: number;
  /** Rows in the removed output. */
  rowsRemoved: number;
  /** In flag mode: kept rows that carry at least one reason. */
  rowsFlagged: number;
  /** Rows kept with a missing or invalid number because `invalidNumbers` is "keep". */
  invalidKept: number;
  /** For every reason code, the rows it applies to (a row may have several). All codes are present. */
  reasons: Record<ReasonCode, number>;
  /** Distinct numbers in the cleaned output. */
  distinctNumbers: number;
  /** The input's encoding. */
  encoding: Encoding;
  /** The input's delimiter. */
  delimiter: Delimiter;
  /** "csv" for delimited text, else the spreadsheet format read. */
  format: InputFormat;
  /** The sheet read, for a spreadsheet; null for text. */
  sheet: string | null;
  /** The input's header row. */
  columns: string[];
  /** The columns written to the outputs. */
  columnsKept: string[];
  /** The columns left out (data minimisation). */
  columnsDropped: string[];
  /** Size of the input in bytes. */
  inputBytes: number;
  /** Lowercase hex SHA-256 of the input file's bytes. */
  inputSha256: string;
  /** Each distinct consent value and how it was read (when consent is checked; at most 200). */
  consentValues: ConsentValue[];
  /** Rows whose consent value is not among `consentValues`. */
  consentOtherValuesRows: number;
  /** The opt-out lists read. */
  optOutLists: OptOutListReport[];
  /** The date ages were measured against, "YYYY-MM-DD". */
  today: string;
  /** The policy used, with every default filled in. */
  policy: ResolvedPolicy;
  /** Wall time of the scrub in milliseconds. */
  elapsedMs: number;
}

/** One column of a profile. */
export interface ColumnProfile {
  /** 0-based position. */
  index: number;
  /** Header name. */
  name: string;
  /** The guessed role. */
  role: Role;
  /** Whether to keep it by default (data minimisation). */
  keep: boolean;
  /** Why, in one line. */
  why: string;
  /** Up to five non-empty sample values. */
  samples: string[];
  /** Non-empty cells among the sampled rows. */
  filled: number;
  /** The distinct values with their counts, when there are at most 20 (a flag column); else empty. */
  values: Array<[value: string, count: number]>;
}

/** What the start of a list looks like. */
export interface Profile {
  encoding: Encoding;
  delimiter: Delimiter;
  /** "csv" for delimited text, else the spreadsheet format read. */
  format: InputFormat;
  /** The sheet profiled, for a spreadsheet; null for text. */
  sheet: string | null;
  /** Every worksheet of a spreadsheet, in workbook order, to choose from (empty for text). */
  sheets: string[];
  /** Every column with its guessed role. */
  columns: ColumnProfile[];
  /** Data rows looked at. */
  rowsSampled: number;
  /** True when the whole file was read (then `estimatedRows` is exact). */
  complete: boolean;
  /** Rows in the whole file: exact when `complete`, otherwise estimated from its size. */
  estimatedRows: number | null;
  /** The index of the column most likely to hold phone numbers. */
  phoneColumn: number | null;
}

/** Where a scrub is. `fraction` is added by the worker; the rest is the engine's. */
export interface Progress {
  /** "scan" (first read, when consent is checked: numbers some row refuses) or "scrub". */
  phase: 'scan' | 'scrub';
  /** True when the input is read twice (then the scan is the first half). */
  twoPasses: boolean;
  /** Data rows read in this phase. */
  rows: number;
  /** Input bytes read in this phase. */
  bytes: number;
  /** Overall progress, 0 to 1. */
  fraction: number;
}

/**
 * Input the API accepts: a File or Blob (preferred: it goes to the worker as a reference
 * and is read a slice at a time), or bytes (wrapped in a Blob: one copy; the caller keeps
 * its buffer). Strings are refused: a list is bytes, in whatever encoding it has.
 */
export type Input = Blob | ArrayBuffer | ArrayBufferView;

/** An opt-out (suppression) list: numbers in any column and format, or SHA-256 digests. */
export type OptOutInput = Input | { name: string; data: Input };

export interface CreateOptions {
  /** The worker script. Default: worker.js beside phonescrub.js. */
  workerUrl?: string | URL;
  /**
   * The engine. Default: pkg/phonescrub_bg.wasm beside the worker. With the default worker
   * or with this set, `create()` fetches and compiles it on the page while the worker
   * starts, and the worker instantiates that module (a custom worker without it, or a
   * page whose policy refuses the compiling, leaves it to the worker).
   */
  wasmUrl?: string | URL;
}

export interface ProfileOptions {
  /** Helps recognise numbers written in national format. */
  defaultRegion?: string;
  /** Rows to sample (default 1000). */
  rows?: number;
  /** For a spreadsheet: the sheet to profile (default: the first). */
  sheet?: string;
  signal?: AbortSignal;
}

export interface ScrubOptions {
  /** Opt-out (suppression) lists. A File's name is used in the report; bytes get "opt-out list N". */
  optOut?: OptOutInput[];
  /** Called as the engine reads (every 8192 rows and at the end of a phase). */
  onProgress?: (progress: Progress) => void;
  /** Aborting it ends the worker at once (the engine is restarted); the promise rejects with kind "cancelled". */
  signal?: AbortSignal;
  /** "YYYY-MM-DD" to measure ages against when the policy has no `today`. Default: the local date. */
  today?: string;
  /** The secret for keyed hashes (`output.hash.keyed`); kept out of the policy and the report. */
  hashKey?: string;
  /**
   * Encrypt the cleaned and removed outputs to this passphrase (age, scrypt recipient);
   * decrypt with `age -d` or `rage -d`. The Blobs are then `application/octet-stream`.
   * The report is not encrypted (it holds counts, column names and the policy, no rows).
   */
  passphrase?: string;
  /** For a spreadsheet: the sheet to scrub (default: the first). */
  sheet?: string;
  /**
   * A large UTF-8 list (8 MiB or more) is cut into parts decided by one worker per core
   * (up to 4) and merged in order, with the same result as one worker; `false` reads it
   * row by row in one worker.
   */
  parallel?: boolean;
}

export interface ScrubResult {
  /** The cleaned list (CSV, "text/csv"; .xlsx with `output.format: "xlsx"`; encrypted when a passphrase was given). */
  cleaned: Blob;
  /** The removed rows, with `line` and `reasons` columns (encrypted likewise). */
  removed: Blob;
  report: Report;
}

/**
 * Whose failure it is: the engine's ("policy" | "input" | "io"); "crash" (the engine
 * trapped and has been restarted); "cancelled" (the signal fired; `name` is then
 * "AbortError"); "terminated" (terminate() was called); "usage" (a wrong argument; `name`
 * is then "TypeError").
 */
export type ScrubErrorKind = 'policy' | 'input' | 'io' | 'crash' | 'cancelled' | 'terminated' | 'usage';

export interface ScrubErrorDetails {
  kind: ScrubErrorKind;
  line?: number;
  rows?: number;
  name?: string;
  cause?: unknown;
}

/** Every failure the API reports. */
export declare class ScrubError extends Error {
  constructor(message: string, details?: ScrubErrorDetails);
  /** Whose failure it is. */
  kind: ScrubErrorKind;
  /** 1-based line of the input, when the engine knows it (kind "input"). */
  line: number | undefined;
  /** Rows done when the engine crashed. */
  rows: number | undefined;
}

/**
 * The engine in a Web Worker. Requests run one at a time, in order; a cancelled or
 * crashed engine is replaced by a fresh worker and the Scrubber stays usable.
 */
export declare class Scrubber {
  /** Use `Scrubber.create()`. */
  protected constructor(workerUrl: URL, wasmUrl: string | undefined);
  /** Starts the worker and loads the engine; rejects (kind "io") if it cannot be loaded. */
  static create(options?: CreateOptions): Promise<Scrubber>;
  /** The engine's version, e.g. "0.1.0". */
  get engineVersion(): string;
  /** How many times the engine has been restarted (after a cancel or a crash). */
  get restarts(): number;
  /**
   * Waits for the engine's warm-up (a small made-up list run through a large list's path
   * once the engine has loaded, so that the browser optimises its code first): the steps
   * run and the milliseconds they took.
   */
  warm(): Promise<{ steps: number; ms: number }>;
  /** Reads the start of a list: encoding, delimiter, columns and their guessed roles. */
  profile(input: Input, options?: ProfileOptions): Promise<Profile>;
  /** Scrubs a list under a policy. */
  scrub(input: Input, policy: Policy, options?: ScrubOptions): Promise<ScrubResult>;
  /** Stops the worker; pending requests reject with kind "terminated". */
  terminate(): void;
}

/** Human names for the engine's reason codes, for display (the files keep the codes). */
export declare const REASON_LABELS: { readonly [code in ReasonCode]: string };
