import { describe, expect, it } from 'vitest';
import { keepYoungGenerationSmall } from '../../src/young-generation.js';

describe('keepYoungGenerationSmall', () => {
  it('leaves the heap alone when Node was given a young-generation flag', () => {
    expect(keepYoungGenerationSmall(['--max-semi-space-size=64'], undefined)).toBe(false);
    expect(keepYoungGenerationSmall([], '--inspect --semi_space_growth_factor=2')).toBe(false);
  });

  it('otherwise keeps the semi-spaces at their initial size', () => {
    expect(keepYoungGenerationSmall(['--enable-source-maps'], '--max-old-space-size=4096')).toBe(true);
  });
});
