import { formatDuration } from '../../shared/duration';

describe('formatDuration: one wording wherever a person reads a duration', () => {
  test.each([
    [0.412, '412 ms'],
    [0.4, '400 ms'],
    [4.5, '4.5 s'],
    [45, '45 s'],
    [125, '2 min 5 s'],
    [300, '5 min'],
    [3_600, '1 h'],
    [3_660, '1 h 1 min'],
    [5_400, '1 h 30 min'],
    [90_000, '1 d 1 h'],
    [-1, 'an unknown time'],
    [Number.NaN, 'an unknown time'],
  ])('%d s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
