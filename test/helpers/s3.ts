// A real S3-compatible server for tests: s3rver (npm) on 127.0.0.1, an ephemeral port, its objects
// in a temporary directory, one bucket. Credentials are the SDK's usual ones; s3rver accepts its own.
import S3rver from 's3rver';
import { S3Client } from '@aws-sdk/client-s3';
import { tempDir } from './oracle.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** the environment a CLI child process needs to reach the test server */
export const S3_ENV = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };

export interface TestS3 { endpoint: string; bucket: string; url: (prefix?: string) => string; raw: S3Client; close: () => Promise<void> }

export async function startS3(bucket = 'splitup-tensors'): Promise<TestS3> {
  const { dir, cleanup } = tempDir('splitup-s3rver-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const raw = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
  return {
    endpoint, bucket, raw,
    url: (prefix = '') => `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}`,
    close: async () => { raw.destroy(); await server.close(); cleanup(); },
  };
}
