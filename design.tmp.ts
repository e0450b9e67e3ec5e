import { crossingProbability, scheduleBoundaries, stepwiseSpending, type SpendingFunction } from './shared/judges/statistics/sequential';
import { normalQuantile } from './shared/judges/statistics/distributions';
const info = [0.05 * 0.95, 0.25 * 0.75, 0.5 * 0.5];
const total = info.reduce((a, b) => a + b);
const fr: number[] = []; const cs: number[] = [];
let from = 0;
info.forEach((x, k) => { for (let m = 1; m <= 5; m++) { fr.push((from + (x * m) / 5) / total); cs.push(m === 5 ? k + 1 : k); } from += x; });
const alpha = 0.007;
const T1 = fr[4]!;
const th1 = normalQuantile(1 - 0.01) + normalQuantile(0.972); // x1.5 whole plan
const th2 = (normalQuantile(1 - 0.01) + normalQuantile(0.957)) / Math.sqrt(T1); // x3 first step
const th3 = (normalQuantile(1 - 0.01) + normalQuantile(0.996)) / Math.sqrt(fr[0]!); // x10 first minute
function evalDesign(sp: SpendingFunction) {
  const looks = scheduleBoundaries({ alpha, spending: sp, informationFractions: fr, completedSteps: cs });
  return [crossingProbability(looks, th1) / 0.972, crossingProbability(looks.slice(0, 5), th2) / 0.957, crossingProbability(looks.slice(0, 1), th3) / 0.996].map((x) => x.toFixed(3));
}
console.log('power 0.4', evalDesign({ kind: 'power', rho: 0.4 }));
for (const rho of [0.2, 0.3, 0.4, 0.5]) for (const w of [0.2, 0.35, 0.5, 0.7]) console.log('step', rho, w, evalDesign(stepwiseSpending(info, rho, w)));
