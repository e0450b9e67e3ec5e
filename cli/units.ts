/**
 * A time since the start and an amount of dollars as the planner and the simulator's progress write them.
 * Apart from cli/format.ts (the simulator's lines), so that `coalmine plan` loads nothing of the simulator.
 */
/** Seconds since the start as [hh:mm:ss]; days are folded into the hours. */
export function clock(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(seconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${sign}${pad(Math.floor(whole / 3600))}:${pad(Math.floor((whole % 3600) / 60))}:${pad(whole % 60)}`;
}

export function usd(amount: number): string {
  return `$${amount < 0.01 ? amount.toFixed(6) : amount.toFixed(4)}`;
}
