/**
 * An in-memory CloudFront KeyValueStore data plane (the `cloudfront-keyvaluestore` API): stores by ARN,
 * string keys and values, an ETag that changes on every write, IfMatch required on every write and a stale
 * one refused with ConflictException, UpdateKeys as one all-or-nothing batch, and the key, value and store
 * size limits. Raises the SDK's own exception classes, as the service would.
 *
 * Where the documentation is silent (deleting a missing key inside UpdateKeys, one key both put and
 * deleted in a batch) the world refuses: the router must not depend on a lenient reading of the service.
 */
import {
  ConflictException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ValidationException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { KVS_LIMITS } from '../../shared/config/target-facts';
import type { InMemoryService } from './sdk-bridge';

interface StoreRecord {
  etag: string;
  readonly items: Map<string, string>;
  readonly created: Date;
  lastModified: Date;
  status: string;
}

/** One successful write, in order: what the edge would have been told. */
export interface KvsWrite {
  readonly kvsArn: string;
  readonly puts: Readonly<Record<string, string>>;
  readonly deletes: readonly string[];
  /** The ETag the store had after the write. */
  readonly etag: string;
}

const meta = { $metadata: {} };
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

export class KvsWorld {
  private readonly stores = new Map<string, StoreRecord>();
  private version = 0;
  /** Every successful write through the API, in order (not the world's own `overwrite`). */
  readonly writes: KvsWrite[] = [];
  private readonly changeListeners: Array<(kvsArn: string, items: Readonly<Record<string, string>>) => void> = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  addStore(kvsArn: string, items: Record<string, string> = {}, status = 'READY'): this {
    const at = this.now();
    this.stores.set(kvsArn, { etag: this.nextEtag(), items: new Map(Object.entries(items)), created: at, lastModified: at, status });
    return this;
  }

  /** The store's keys and values now. */
  items(kvsArn: string): Record<string, string> {
    return Object.fromEntries(this.store(kvsArn).items);
  }

  value(kvsArn: string, key: string): string | undefined {
    return this.store(kvsArn).items.get(key);
  }

  etag(kvsArn: string): string {
    return this.store(kvsArn).etag;
  }

  /** Changes keys behind the rollout's back (a person, another tool); undefined deletes. The ETag changes. */
  overwrite(kvsArn: string, changes: Record<string, string | undefined>): void {
    const store = this.store(kvsArn);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) store.items.delete(key);
      else store.items.set(key, value);
    }
    this.touch(store);
    this.announce(kvsArn, store);
  }

  /**
   * Runs `listener` after every change to a store's keys, API writes and `overwrite` alike, with the keys as
   * they are now (the simulated edge learns of changes this way); returns the undo.
   */
  onChange(listener: (kvsArn: string, items: Readonly<Record<string, string>>) => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      const i = this.changeListeners.indexOf(listener);
      if (i >= 0) this.changeListeners.splice(i, 1);
    };
  }

  /** The values one key took through API writes, in order ("(deleted)" for a delete). */
  history(kvsArn: string, key: string): string[] {
    return this.writes
      .filter((w) => w.kvsArn === kvsArn && (key in w.puts || w.deletes.includes(key)))
      .map((w) => w.puts[key] ?? '(deleted)');
  }

  readonly service: InMemoryService = {
    serviceName: 'cloudfront-keyvaluestore',
    commands: {
      DescribeKeyValueStore: (input) => {
        const kvsArn = String(input.KvsARN);
        const store = this.store(kvsArn);
        return {
          KvsARN: kvsArn,
          ETag: store.etag,
          ItemCount: store.items.size,
          TotalSizeInBytes: this.sizeOf(store.items),
          Created: store.created,
          LastModified: store.lastModified,
          Status: store.status,
        };
      },
      GetKey: (input) => {
        const store = this.store(String(input.KvsARN));
        const key = String(input.Key);
        const value = store.items.get(key);
        if (value === undefined) throw new ResourceNotFoundException({ message: `Key not found: ${key}`, ...meta });
        return { Key: key, Value: value, ItemCount: store.items.size, TotalSizeInBytes: this.sizeOf(store.items) };
      },
      ListKeys: (input) => {
        const store = this.store(String(input.KvsARN));
        const keys = [...store.items.keys()].sort();
        const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
        const max = Number(input.MaxResults ?? 50);
        const page = keys.slice(start, start + max);
        return {
          Items: page.map((key) => ({ Key: key, Value: store.items.get(key) })),
          ...(start + max < keys.length ? { NextToken: String(start + max) } : {}),
        };
      },
      PutKey: (input) => this.write(input, { [String(input.Key)]: String(input.Value) }, []),
      DeleteKey: (input) => this.write(input, {}, [String(input.Key)]),
      UpdateKeys: (input) => {
        const puts = (input.Puts ?? []) as Array<{ Key?: string; Value?: string }>;
        const deletes = (input.Deletes ?? []) as Array<{ Key?: string }>;
        const keys = [...puts.map((p) => String(p.Key)), ...deletes.map((d) => String(d.Key))];
        const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
        if (repeated !== undefined) {
          throw new ValidationException({ message: `Key ${repeated} appears more than once in the batch`, ...meta });
        }
        return this.write(
          input,
          Object.fromEntries(puts.map((p) => [String(p.Key), String(p.Value)])),
          deletes.map((d) => String(d.Key)),
        );
      },
    },
  };

  private write(input: Record<string, unknown>, puts: Record<string, string>, deletes: string[]) {
    const kvsArn = String(input.KvsARN);
    const store = this.store(kvsArn);
    if (input.IfMatch === undefined || input.IfMatch === '') {
      throw new ValidationException({ message: 'IfMatch is required', ...meta });
    }
    if (input.IfMatch !== store.etag) {
      throw new ConflictException({ message: 'Pre-Condition failed: the ETag does not match the current version of the store', ...meta });
    }
    for (const [key, value] of Object.entries(puts)) {
      if (key === '' || bytes(key) > KVS_LIMITS.keyBytes) {
        throw new ValidationException({ message: `Key must be 1 to ${KVS_LIMITS.keyBytes} bytes`, ...meta });
      }
      if (bytes(value) > KVS_LIMITS.valueBytes) {
        throw new ValidationException({ message: `Value of ${key} is over ${KVS_LIMITS.valueBytes} bytes`, ...meta });
      }
    }
    for (const key of deletes) {
      if (!store.items.has(key)) throw new ResourceNotFoundException({ message: `Key not found: ${key}`, ...meta });
    }
    const next = new Map(store.items);
    for (const key of deletes) next.delete(key);
    for (const [key, value] of Object.entries(puts)) next.set(key, value);
    if (this.sizeOf(next) > KVS_LIMITS.storeBytes) {
      throw new ServiceQuotaExceededException({ message: `The store would exceed ${KVS_LIMITS.storeBytes} bytes`, ...meta });
    }
    store.items.clear();
    for (const [key, value] of next) store.items.set(key, value);
    this.touch(store);
    this.writes.push({ kvsArn, puts: { ...puts }, deletes: [...deletes], etag: store.etag });
    this.announce(kvsArn, store);
    return { ETag: store.etag, ItemCount: store.items.size, TotalSizeInBytes: this.sizeOf(store.items) };
  }

  private sizeOf(items: Map<string, string>): number {
    let total = 0;
    for (const [key, value] of items) total += bytes(key) + bytes(value);
    return total;
  }

  private touch(store: StoreRecord): void {
    store.etag = this.nextEtag();
    store.lastModified = this.now();
  }

  private announce(kvsArn: string, store: StoreRecord): void {
    if (this.changeListeners.length === 0) return;
    const items = Object.fromEntries(store.items);
    for (const listener of this.changeListeners) listener(kvsArn, items);
  }

  private store(kvsArn: string): StoreRecord {
    const store = this.stores.get(kvsArn);
    if (store === undefined) throw new ResourceNotFoundException({ message: `Key value store not found: ${kvsArn}`, ...meta });
    return store;
  }

  private nextEtag(): string {
    this.version += 1;
    return `ETVSIM${this.version.toString(36).toUpperCase().padStart(7, '0')}`;
  }
}
