// Uploads one photo as the app does and prints its outcome.
//
//   WISAW_API_URL=https://… WISAW_EVENTS_ENDPOINT=https://…/event WISAW_EVENTS_API_KEY=… \
//     node cli.mjs photo.jpg --lat 37.7749 --lon -122.4194 [--device-id UUID] [--type image/jpeg]
//
// A phone makes its device id once and keeps it; without --device-id (or WISAW_DEVICE_ID)
// each run is a new device.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { configFromEnv, configureAmplify, uploadPhoto } from './upload.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    lat: { type: 'string', default: '0' },
    lon: { type: 'string', default: '0' },
    'device-id': { type: 'string', default: process.env.WISAW_DEVICE_ID },
    type: { type: 'string' },
    verbose: { type: 'boolean', short: 'v', default: false },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node cli.mjs FILE [--lat N] [--lon N] [--device-id UUID] [--type MIME]');
  process.exit(2);
}
const file = positionals[0];
const contentType =
  values.type ?? ({ png: 'image/png', webp: 'image/webp' }[file.split('.').pop().toLowerCase()] || 'image/jpeg');

const config = configFromEnv();
configureAmplify(config);
try {
  const result = await uploadPhoto({
    apiUrl: config.apiUrl,
    deviceId: values['device-id'] ?? crypto.randomUUID(),
    bytes: await readFile(file),
    contentType,
    lat: Number(values.lat),
    lon: Number(values.lon),
    log: values.verbose ? (line) => console.error(line) : undefined,
  });
  const latency = result.latencyMs === undefined ? '' : ` ${Math.round(result.latencyMs)} ms after the upload`;
  console.log(`${result.photoId}: ${result.status} (heard by ${result.heardBy}${latency})`);
  console.log(JSON.stringify(result.event ?? result.photo, null, 2));
  process.exit(result.status === 'ready' ? 0 : 1);
} catch (error) {
  console.error(`upload failed: ${error.message}`);
  process.exit(1);
}
