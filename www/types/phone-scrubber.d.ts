// Types for the <phone-scrubber> custom element (phone-scrubber.js). HAND-WRITTEN;
// tests/e2e/types.test.mjs checks phone-scrubber.js against them (checkJs) and uses them
// as an embedder would (tests/types/example.ts).
//
//   import 'phonescrub/element';                      // defines <phone-scrubber>
//   const el = document.querySelector('phone-scrubber')!;   // typed PhoneScrubberElement
//   el.addEventListener('scrubbed', (e) => e.detail.report.rowsKept);

import type { Policy, Report, ScrubErrorKind } from './phonescrub.js';

/** `scrubbed` event detail: the engine's report and the two output files. */
export interface ScrubbedDetail {
  report: Report;
  /** The cleaned list (CSV). */
  cleaned: Blob;
  /** The removed rows, with `line` and `reasons` columns (CSV). */
  removed: Blob;
}

/** `error` event detail. A cancel by the user is not an error. */
export interface ErrorDetail {
  /** What went wrong, in words a user can act on (input errors start "line N: "). */
  message: string;
  /** Whose failure it is ("input" for a file that cannot be read as a list). */
  kind: ScrubErrorKind;
  /** 1-based line of the input, when the engine knows it. */
  line: number | undefined;
}

/** The element's events: its own two, and an HTMLElement's others. */
export interface PhoneScrubberEventMap extends Omit<HTMLElementEventMap, 'error'> {
  /** The scrub finished. Bubbles and crosses shadow roots. */
  scrubbed: CustomEvent<ScrubbedDetail>;
  /** A list or opt-out list could not be read, the policy was refused, or the engine failed. Does not bubble. */
  error: CustomEvent<ErrorDetail>;
}

/**
 * `<phone-scrubber default-region="GB" keep-columns="Name,Phone">`: the whole scrub flow
 * (choose a list and opt-out lists, confirm the phone column and country, run with
 * progress and cancel, download the results) in a shadow root.
 *
 * Attributes: `default-region`, `keep-columns`, `worker-url`, `wasm-url`.
 * Theming: `--phone-scrubber-accent`, `--phone-scrubber-on-accent`, `--phone-scrubber-font`,
 * `--phone-scrubber-radius`, `--phone-scrubber-background`, `--phone-scrubber-text`,
 * `--phone-scrubber-muted`, `--phone-scrubber-border`, `--phone-scrubber-error`,
 * `--phone-scrubber-success`, `--phone-scrubber-gap`; parts `panel`, `heading`,
 * `file-input`, `button`, `primary-button`, `progress`, `error`, `download`.
 * Slot `heading` replaces the title.
 */
export declare class PhoneScrubberElement extends HTMLElement {
  static readonly observedAttributes: string[];
  /** Extra policy fields merged under the user's choices (consent, retention, output, today, ...). */
  policy: Partial<Policy>;
  /** Back to the start: no file, no results (their download links are revoked). */
  reset(): void;
  connectedCallback(): void;
  disconnectedCallback(): void;
  attributeChangedCallback(name: string, oldValue: string | null, value: string | null): void;

  addEventListener<K extends keyof PhoneScrubberEventMap>(
    type: K,
    listener: (this: PhoneScrubberElement, event: PhoneScrubberEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof PhoneScrubberEventMap>(
    type: K,
    listener: (this: PhoneScrubberElement, event: PhoneScrubberEventMap[K]) => any,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** The element's tag name, "phone-scrubber". */
export declare const TAG_NAME: 'phone-scrubber';

declare global {
  interface HTMLElementTagNameMap {
    'phone-scrubber': PhoneScrubberElement;
  }
  interface GlobalEventHandlersEventMap {
    /** Fired by <phone-scrubber> (bubbles). */
    scrubbed: CustomEvent<ScrubbedDetail>;
  }
}
