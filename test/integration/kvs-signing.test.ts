/**
 * The KVS client signs with SigV4a, and only a registered signer makes that work: without one, every call
 * fails in Lambda ("Neither CRT nor JS SigV4a implementation is available") while mocked unit tests pass.
 * Here a real CloudFrontKeyValueStoreClient, with the signer that shared/aws/kvs.ts registers, sends a
 * real HTTP request to a local server, which records it and answers as the service would.
 *
 * The client's endpoint rules put the account id of the ARN in front of the host, so the endpoint has a
 * name (kvs.localtest) and the HTTP agent resolves every name to 127.0.0.1.
 */
// The module under test: importing it registers the SigV4a signer, as it does in Lambda.
import '../../shared/aws/kvs';
import { createServer, Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { CloudFrontKeyValueStoreClient, DescribeKeyValueStoreCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const ACCOUNT = '123456789012';
const ARN = `arn:aws:cloudfront::${ACCOUNT}:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58`;

interface RecordedRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

let server: Server;
let port: number;
const received: RecordedRequest[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push({ method: request.method, url: request.url, headers: request.headers });
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', etag: 'ETVPDKIKX0DER' });
      response.end(JSON.stringify({ KvsARN: ARN, ItemCount: 3, TotalSizeInBytes: 61, Created: 1717236000, Status: 'READY' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

beforeEach(() => {
  received.length = 0;
});

/** Resolves any host name to the local server's address. */
const toLocalhost: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

function clientWith(Client: typeof CloudFrontKeyValueStoreClient): CloudFrontKeyValueStoreClient {
  return new Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    endpoint: `http://kvs.localtest:${port}`,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup: toLocalhost }) }),
    maxAttempts: 1,
  });
}

it('sends DescribeKeyValueStore signed with SigV4a (ECDSA P-256, region set) and reads the answer', async () => {
  const client = clientWith(CloudFrontKeyValueStoreClient);

  const store = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: ARN }));

  expect(store).toMatchObject({ KvsARN: ARN, ETag: 'ETVPDKIKX0DER', ItemCount: 3, Status: 'READY' });
  expect(received).toHaveLength(1);
  const [request] = received;
  expect(request?.method).toBe('GET');
  expect(request?.url).toBe(`/key-value-stores/${encodeURIComponent(ARN)}`);
  expect(request?.headers.host).toBe(`${ACCOUNT}.kvs.localtest:${port}`);
  expect(request?.headers.authorization).toMatch(
    /^AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/cloudfront-keyvaluestore\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-region-set[a-z0-9;-]*, Signature=[0-9a-f]+$/,
  );
  expect(request?.headers['x-amz-region-set']).toBe('*');
  expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
});

it('fails before sending anything when no SigV4a signer is registered (what the import above prevents)', async () => {
  // A fresh copy of the SDK, without the signer module loaded: the state a bundle without the import is in.
  let Bare: typeof CloudFrontKeyValueStoreClient | undefined;
  await jest.isolateModulesAsync(async () => {
    Bare = (await import('@aws-sdk/client-cloudfront-keyvaluestore')).CloudFrontKeyValueStoreClient;
  });
  expect(Bare).not.toBe(CloudFrontKeyValueStoreClient);
  const client = clientWith(Bare as typeof CloudFrontKeyValueStoreClient);

  await expect(client.send(new DescribeKeyValueStoreCommand({ KvsARN: ARN }))).rejects.toThrow(
    /Neither CRT nor JS SigV4a implementation is available/,
  );
  expect(received).toHaveLength(0);
});
