// The implementation fits the declarations: www/phonescrub.js and www/phone-scrubber.js
// are type-checked (checkJs, strict) and their exports are assigned to the declared
// types embedders compile against. Type-checked, never run.

import * as api from '../../www/phonescrub.js';
import * as element from '../../www/phone-scrubber.js';
import type * as declared from 'phonescrub';
import type * as declaredElement from 'phonescrub/element';

export const scrubberClass: Pick<typeof declared.Scrubber, 'create' | 'prototype'> = api.Scrubber;
export const scrubErrorClass: typeof declared.ScrubError = api.ScrubError;
export const scrubber = (s: api.Scrubber): declared.Scrubber => s;
export const scrubError = (e: api.ScrubError): declared.ScrubError => e;
export const elementClass: Pick<typeof declaredElement.PhoneScrubberElement, 'prototype' | 'observedAttributes'> =
  element.PhoneScrubberElement;
export const tagName: typeof declaredElement.TAG_NAME = element.TAG_NAME;
