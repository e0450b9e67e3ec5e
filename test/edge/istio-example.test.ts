import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readEdgeSource } from './harness';

// The Istio example must route on exactly what the function stamps, or a copied example would
// silently send everyone to blue.
const dir = join(__dirname, '..', '..', 'examples', 'istio');
const load = <T>(file: string): T => parse(readFileSync(join(dir, file), 'utf8')) as T;

interface VirtualService {
  spec: { hosts: string[]; gateways: string[]; http: Array<{ match?: unknown; route: unknown }> };
}
interface DestinationRule {
  spec: { host: string; subsets: Array<{ name: string }> };
}
interface Gateway {
  metadata: { name: string };
  spec: { servers: Array<{ hosts: string[] }> };
}

describe('examples/istio', () => {
  const virtualService = load<VirtualService>('virtual-service.yaml');
  const destinationRule = load<DestinationRule>('destination-rule.yaml');
  const gateway = load<Gateway>('gateway.yaml');

  it('routes the header the function sets, exactly "green", to the green subset and the rest to blue', () => {
    const header = /const HEADER = '([^']+)'/.exec(readEdgeSource())?.[1];
    expect(header).toBe('x-deployment');
    const [green, blue] = virtualService.spec.http;
    expect(green?.match).toEqual([{ headers: { [header!]: { exact: 'green' } } }]);
    expect(green?.route).toEqual([{ destination: { host: destinationRule.spec.host, subset: 'green' } }]);
    expect(blue?.match).toBeUndefined();
    expect(blue?.route).toEqual([{ destination: { host: destinationRule.spec.host, subset: 'blue' } }]);
  });

  it('defines both subsets and binds the VirtualService to the Gateway', () => {
    expect(destinationRule.spec.subsets.map((s) => s.name).sort()).toEqual(['blue', 'green']);
    expect(virtualService.spec.gateways).toEqual([gateway.metadata.name]);
    expect(virtualService.spec.hosts).toEqual(gateway.spec.servers[0]?.hosts);
  });
});
