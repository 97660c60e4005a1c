// An embedder's code against the published types: the JS API, then the element.
// Type-checked (never run) by tests/e2e/types.test.mjs: `npx tsc -p tests/types --noEmit`.
// Each `@ts-expect-error` below is a mistake the types must catch; if one stops being an
// error, tsc fails with "Unused '@ts-expect-error' directive", so the check is proven to bite.

import { Scrubber, ScrubError, type Policy, type Progress, type Report, type ScrubResult } from 'phonescrub';
import 'phonescrub/element';
import type { ErrorDetail, PhoneScrubberElement, ScrubbedDetail } from 'phonescrub/element';

export async function scrubUpload(file: File, suppression: File[], signal: AbortSignal): Promise<Report> {
  const scrubber = await Scrubber.create({ workerUrl: '/vendor/phonescrub/worker.js', wasmUrl: new URL('/vendor/phonescrub/pkg/phonescrub_bg.wasm', location.href) });
  try {
    const profile = await scrubber.profile(file, { defaultRegion: 'GB', signal });
    const phone = profile.phoneColumn ?? profile.columns.find((c) => c.role === 'phone')?.index ?? 0;
    const flags: Array<[string, number]> = profile.columns.flatMap((c) => c.values);
    console.log(profile.encoding, profile.delimiter, profile.estimatedRows ?? 'unknown', flags.length);

    const policy: Policy = {
      phoneColumn: phone,
      defaultRegion: 'GB',
      keepColumns: ['Name', phone],
      consent: { column: 'Opt-in', granted: ['yes', 'opted in'], dateColumn: 'Opt-in date', maxAgeDays: 730 },
      retention: { column: 'Last contact', maxAgeDays: 730 },
      dateOrder: 'dmy',
      mode: 'remove',
      delimiter: ';',
      output: { phoneFormat: 'international', formulaSafe: true, bom: true, hash: { target: 'google', column: 'add', keyed: true } },
    };
    const result: ScrubResult = await scrubber.scrub(file, policy, {
      optOut: [...suppression, { name: 'dnc.csv', data: new TextEncoder().encode('+447911123456\n') }],
      onProgress: (p: Progress) => console.log(p.phase, p.twoPasses, p.rows, Math.round(p.fraction * 100)),
      signal,
      today: '2025-06-30',
      hashKey: 'a shared secret',
      passphrase: 'correct horse battery staple',
    });
    const { cleaned, removed, report } = result;
    const opted: number = report.reasons.opted_out;
    const sealed: boolean | undefined = report.policy.output.hash?.keyed;
    console.log(cleaned.size, removed.size, opted, sealed, report.policy.dedupe, report.optOutLists[0]?.rowsMatched);
    return report;
  } catch (err) {
    if (err instanceof ScrubError) {
      const where = err.kind === 'input' && err.line !== undefined ? ` (line ${err.line})` : '';
      console.error(`${err.kind}: ${err.message}${where}`);
    }
    throw err;
  } finally {
    scrubber.terminate();
  }
}

export const mistakes = async (scrubber: Scrubber, report: Report) => {
  const typo: Policy = {
    phoneColumn: 'Phone',
    // @ts-expect-error -- "dedup" is not a policy key (the engine refuses it too).
    dedup: false,
  };
  // @ts-expect-error -- the phone column is required.
  const noPhone: Policy = { defaultRegion: 'GB' };
  // @ts-expect-error -- "delete" is not a mode.
  const badMode: Policy = { phoneColumn: 0, mode: 'delete' };
  // @ts-expect-error -- a list is bytes (File, Blob, ArrayBuffer, typed array), never a string.
  await scrubber.profile('name,phone\nAnn,+441212941091\n');
  // @ts-expect-error -- not a reason code.
  console.log(report.reasons.no_consnet);
  // @ts-expect-error -- not a scrub option.
  await scrubber.scrub(new Blob([]), { phoneColumn: 0 }, { password: 'x' });
  return [typo, noPhone, badMode];
};

export function wireElement(): void {
  const element: PhoneScrubberElement | null = document.querySelector('phone-scrubber');
  if (!element) return;
  element.policy = { consent: { column: 'Opt-in' }, today: '2025-06-30' };
  element.addEventListener('scrubbed', (event) => {
    const detail: ScrubbedDetail = event.detail;
    console.log(detail.report.rowsKept, detail.cleaned.type, detail.removed.size);
  });
  element.addEventListener('error', (event) => {
    const { message, kind, line }: ErrorDetail = event.detail;
    console.log(message, kind, line ?? '-');
  });
  // Bubbling: a listener further up sees `scrubbed` typed too.
  document.addEventListener('scrubbed', (event) => console.log(event.detail.report.rowsRead));
  const created = document.createElement('phone-scrubber');
  created.setAttribute('default-region', 'GB');
  created.reset();
  // @ts-expect-error -- the detail has no "reportt".
  element.addEventListener('scrubbed', (event) => event.detail.reportt);
}
