/**
 * Command-line options of the benchmarks: every bench parses with commander (so `--help` lists its options and
 * defaults) and reads counts through `wholeNumber`, so `--events 1e` or `--rounds 0` is refused with the option
 * named instead of running with NaN.
 */
import { InvalidArgumentError } from 'commander';

/** A commander argument parser: a whole number of at least `min`. */
export function wholeNumber(min = 1): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min) throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${raw}"`);
    return value;
  };
}

/** A commander argument parser: comma-separated whole numbers of at least `min` ("0,1,2"). */
export function wholeNumbers(min = 0): (raw: string) => number[] {
  const one = wholeNumber(min);
  return (raw) => raw.split(',').map((part) => one(part.trim()));
}
