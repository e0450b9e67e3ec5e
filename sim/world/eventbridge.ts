/**
 * In-memory EventBridge: keeps every event put on every bus, in order, as the state machine's
 * lifecycle announcements and other producers send them.
 */
import type { InMemoryService } from './sdk-bridge';

export interface PutEvent {
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time: Date;
}

export class EventBridgeWorld {
  readonly events: PutEvent[] = [];
  private nextId = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Events of one detail-type, e.g. "Rollout Promoted". */
  ofType(detailType: string): PutEvent[] {
    return this.events.filter((e) => e.detailType === detailType);
  }

  readonly service: InMemoryService = {
    serviceName: 'eventbridge',
    commands: {
      PutEvents: (input) => {
        const entries = (input.Entries as Array<Record<string, unknown>> | undefined) ?? [];
        const results = entries.map((entry) => {
          this.events.push({
            eventBusName: String(entry.EventBusName ?? 'default'),
            source: String(entry.Source),
            detailType: String(entry.DetailType),
            detail: JSON.parse(String(entry.Detail ?? '{}')) as Record<string, unknown>,
            time: this.now(),
          });
          this.nextId += 1;
          return { EventId: `event-${this.nextId}` };
        });
        return { Entries: results, FailedEntryCount: 0 };
      },
    },
  };
}
