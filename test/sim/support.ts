import { parseScenario, ScenarioInvalid } from '../../sim/scenario';

/** The problems parseScenario reports for `document` after `mutate`; fails the test when it accepts it. */
export function scenarioProblems<T>(document: T, mutate: (scenario: T) => void): string[] {
  mutate(document);
  try {
    parseScenario(document, 'test');
  } catch (error) {
    if (error instanceof ScenarioInvalid) return [...error.problems];
    throw error;
  }
  throw new Error('the scenario was accepted');
}
