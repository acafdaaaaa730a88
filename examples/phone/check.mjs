// Checks a running wisaw (locally `wisaw serve --tls`, or a deployed stage) against the
// reference client in upload.mjs, as the app sees it through AWS Amplify:
//
//   (a) a photo becomes ready and its photo.ready event is heard;
//   (b) a text file sent as image/jpeg is rejected and photo.rejected is heard;
//   (c) a second device, on its own connection and channel, hears its own photo and
//       nothing of the first device's;
//   (d) connections close cleanly: a client's Close frame (1000) is answered with the
//       server's own, on a plain WebSocket and on the one Amplify opened;
//   (e) publishing with the app's API key is refused, and Amplify names the refusal
//       UnauthorizedException (over HTTP with events.post, over the WebSocket too);
//   (f) a connection or a subscription with a wrong key, and a wildcard subscription,
//       are refused.
//
// Configuration: the same environment as upload.mjs (WISAW_API_URL, WISAW_EVENTS_ENDPOINT,
// WISAW_EVENTS_API_KEY, WISAW_REGION). Exits 1 when a check fails, after running them all.

import { readFile } from 'node:fs/promises';
import { WebSocket as NodeWebSocket } from 'ws';
import {
  configFromEnv,
  configureAmplify,
  describeAmplifyError,
  readStatus,
  requestTicket,
  uploadPhoto,
} from './upload.mjs';

const { events } = await import('aws-amplify/data');

// Amplify hides its socket and ignores the close code it sees. To check (d) on Amplify's own
// connection, every socket it opens is watched: what it sent as Close, what came back.
const amplifySockets = [];
globalThis.WebSocket = class WatchedWebSocket extends NodeWebSocket {
  constructor(...args) {
    super(...args);
    amplifySockets.push(this);
    this.closeSent = undefined;
    this.closed = new Promise((resolve) => {
      this.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }
  close(code, reason) {
    this.closeSent = code;
    super.close(code, reason);
  }
};

const config = configFromEnv();
configureAmplify(config);

const EVENT_WAIT_MS = Number(process.env.WISAW_CHECK_EVENT_WAIT_MS || 20_000);
const STEP_TIMEOUT_MS = 90_000;
const WRONG_KEY = 'da2-not-this-apps-key';
const verbose = process.env.WISAW_CHECK_VERBOSE === '1';
const log = verbose ? (line) => console.error(`    ${line}`) : undefined;

const jpeg = await readFile(new URL('../../crates/imaging/tests/fixtures/exif/no-exif.jpg', import.meta.url));
const text = Buffer.from('This is a shopping list, not a photo.\n'.repeat(8));
const here = { lat: 37.7749, lon: -122.4194 };

const results = [];
const latencies = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one check; a failure is recorded with its reason and the others still run. */
async function check(name, body) {
  const started = performance.now();
  try {
    const detail = await within(STEP_TIMEOUT_MS, body(), name);
    results.push({ name, ok: true, detail });
    console.log(`ok    ${name}${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    results.push({ name, ok: false, detail: error.message });
    console.log(`FAIL  ${name}: ${error.message}`);
  }
  if (verbose) console.error(`    (${Math.round(performance.now() - started)} ms)`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Expects a promise to reject; returns the error. */
async function refusal(promise, what) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what} was accepted`);
}

/**
 * A plain WebSocket client of AppSync Events' protocol (docs/api.md, "Events"): what a
 * second phone is to the server, on a connection of its own.
 */
async function rawConnection(ticketEvents, apiKey) {
  const host = new URL(ticketEvents.httpUrl).host;
  const auth = Buffer.from(JSON.stringify({ host, 'x-api-key': apiKey })).toString('base64url');
  const socket = new NodeWebSocket(ticketEvents.realtimeUrl, ['aws-appsync-event-ws', `header-${auth}`]);
  const messages = [];
  let wake = () => {};
  socket.on('message', (data) => {
    messages.push(JSON.parse(data.toString()));
    wake();
  });
  const closed = new Promise((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      wake();
    });
  });
  const next = async (predicate, what) => {
    const deadline = Date.now() + 10_000;
    for (let seen = 0; ; ) {
      for (; seen < messages.length; seen += 1) if (predicate(messages[seen])) return messages[seen];
      if (socket.readyState >= NodeWebSocket.CLOSING || Date.now() > deadline) {
        throw new Error(`${what}: not received (${JSON.stringify(messages.slice(-3))})`);
      }
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  };
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  const answer = await next((m) => m.type === 'connection_ack' || m.type === 'connection_error', 'connection_ack');
  assert(answer.type === 'connection_ack', `connection refused: ${JSON.stringify(answer)}`);
  return {
    socket,
    messages,
    closed,
    async subscribe(channel) {
      const id = crypto.randomUUID();
      socket.send(JSON.stringify({ type: 'subscribe', id, channel, authorization: { host, 'x-api-key': apiKey } }));
      const reply = await next((m) => m.id === id, 'subscribe_success');
      assert(reply.type === 'subscribe_success', `subscription refused: ${JSON.stringify(reply)}`);
      return id;
    },
  };
}

const deviceA = crypto.randomUUID();
const deviceB = crypto.randomUUID();
// Device B's ticket names its channel; B uploads later on (c).
const photoB = crypto.randomUUID();
const ticketB = await requestTicket(config.apiUrl, {
  photoId: photoB,
  deviceId: deviceB,
  contentType: 'image/jpeg',
  contentLength: jpeg.length,
  ...here,
});
console.log(`wisaw at ${config.apiUrl}, events at ${ticketB.events.realtimeUrl}`);

// First, while Amplify has no connection open: its connection carries the key it was opened with.
await check('(f) a connection with a wrong API key is refused', async () => {
  const error = await refusal(
    events.connect(ticketB.events.channel, { apiKey: WRONG_KEY }),
    'the connection with a wrong key',
  );
  return `Amplify rejects connect() with ${error.name}: ${error.message}`;
});

let listenerB;
await check('(c) a second device subscribes to its own channel, on its own connection', async () => {
  listenerB = await rawConnection(ticketB.events, config.eventsApiKey);
  await listenerB.subscribe(ticketB.events.channel);
  return ticketB.events.channel;
});

/** The reference client's upload of `bytes` (declared a JPEG) from `deviceId`, here. */
const uploadAsPhone = (deviceId, bytes, more = {}) =>
  uploadPhoto({
    apiUrl: config.apiUrl,
    deviceId,
    bytes,
    contentType: 'image/jpeg',
    ...here,
    eventWaitMs: EVENT_WAIT_MS,
    log,
    ...more,
  });

let channelA;
await check('(a) a photo becomes ready and photo.ready is heard', async () => {
  const result = await uploadAsPhone(deviceA, jpeg);
  channelA = result.ticket.events.channel;
  assert(result.status === 'ready', `the photo is ${result.status}: ${JSON.stringify(result.photo ?? result.event)}`);
  assert(
    result.heardBy === 'event',
    `it became ready, but no photo.ready was heard within ${EVENT_WAIT_MS} ms (the status told it)`,
  );
  assert(result.event.eventType === 'photo.ready' && result.event.thumbUrl, `the event: ${JSON.stringify(result.event)}`);
  const photo = await readStatus(config.apiUrl, result.photoId);
  assert(photo.status === 'ready' && photo.thumbUrl, `the status says ${JSON.stringify(photo)}`);
  latencies.push(['photo.ready', result.latencyMs]);
  return `${Math.round(result.latencyMs)} ms from the upload's answer to the event`;
});

await check('(b) a text file sent as image/jpeg is rejected and photo.rejected is heard', async () => {
  const result = await uploadAsPhone(deviceA, text);
  assert(result.status === 'rejected', `the file is ${result.status}: ${JSON.stringify(result.photo ?? result.event)}`);
  assert(
    result.heardBy === 'event',
    `it was rejected, but no photo.rejected was heard within ${EVENT_WAIT_MS} ms (the status told it)`,
  );
  assert(result.event.reasonCode && result.event.reason, `the event has no reason: ${JSON.stringify(result.event)}`);
  latencies.push(['photo.rejected', result.latencyMs]);
  return `${result.event.reasonCode} ("${result.event.reason}"), ${Math.round(result.latencyMs)} ms after the upload`;
});

await check('(e) events.post with the API key is refused as UnauthorizedException', async () => {
  assert(channelA, 'no channel of device A (check (a) failed first)');
  const error = await refusal(
    events.post(channelA, { eventId: 'forged', type: 'photo.ready', photoId: crypto.randomUUID() }),
    'a publish with the API key',
  );
  const response = error.response;
  const seen =
    `name ${error.name}, message "${error.message}", HTTP ${response?.statusCode}, ` +
    `x-amzn-errortype ${response?.headers?.['x-amzn-errortype'] ?? '(none)'}, body ${response?.body}`;
  assert(error.name === 'UnauthorizedException', `Amplify reports ${seen}`);
  return seen;
});

await check('(e) publishing over the WebSocket is refused as UnauthorizedException', async () => {
  assert(channelA, 'no channel of device A (check (a) failed first)');
  const channel = await events.connect(channelA);
  try {
    const error = await refusal(
      channel.publish({ eventId: 'forged', type: 'photo.ready', photoId: crypto.randomUUID() }),
      'a publish over the WebSocket',
    );
    assert(/UnauthorizedException/.test(error.message), `Amplify reports ${error.name}: ${error.message}`);
    return error.message;
  } finally {
    await channel.close();
  }
});

await check('(f) a wildcard subscription is refused', async () => {
  const channel = await events.connect('/devices/*');
  try {
    const subscription = channel.subscribe({ next: () => {}, error: () => {} });
    const error = await refusal(subscription.ready, 'the subscription to /devices/*');
    return describeAmplifyError(error);
  } finally {
    await channel.close();
  }
});

await check('(f) a subscription with a wrong API key is refused', async () => {
  const channel = await events.connect(ticketB.events.channel);
  try {
    const subscription = channel.subscribe({ next: () => {}, error: () => {} }, { apiKey: WRONG_KEY });
    const error = await refusal(subscription.ready, 'the subscription with a wrong key');
    const message = describeAmplifyError(error);
    assert(/Unauthorized/.test(message), `refused, but not as unauthorized: ${message}`);
    return message;
  } finally {
    await channel.close();
  }
});

await check("(c) the second device hears its own photo and nothing of the first device's", async () => {
  assert(listenerB, 'device B has no connection');
  const result = await uploadAsPhone(deviceB, jpeg, { photoId: photoB });
  assert(result.status === 'ready', `device B's photo is ${result.status}`);
  // B's own connection heard B's event: it was listening all along.
  const deadline = Date.now() + 5_000;
  const heard = () =>
    listenerB.messages.filter((m) => m.type === 'data').map((m) => JSON.parse(m.event));
  while (!heard().some((e) => e.photoId === photoB) && Date.now() < deadline) await sleep(100);
  const all = heard();
  assert(all.some((e) => e.photoId === photoB), "device B's connection did not hear its own photo");
  const foreign = all.filter((e) => e.photoId !== photoB);
  assert(foreign.length === 0, `device B heard: ${JSON.stringify(foreign)}`);
  return `${all.length} event(s) on device B's connection, all its own`;
});

await check("(d) a client's Close (1000) is answered by the server's Close (1000)", async () => {
  assert(listenerB, 'device B has no connection');
  listenerB.socket.close(1000, 'done');
  const { code, reason } = await within(5_000, listenerB.closed, 'the close handshake');
  // ws reports 1006 when the connection ended without a Close frame from the server.
  assert(code === 1000, `the client saw code ${code}${code === 1006 ? ' (no Close frame from the server)' : ''}`);
  return `code ${code}${reason ? ` "${reason}"` : ''}`;
});

await check("(d) Amplify's connection closes cleanly once its channels are closed", async () => {
  // Amplify closes its socket with close(1000) a second after the app's last channel closed.
  const socket = amplifySockets.at(-1);
  assert(socket, 'Amplify opened no connection');
  const { code } = await within(5_000, socket.closed, "Amplify's close");
  assert(socket.closeSent === 1000, `Amplify closed with ${socket.closeSent}`);
  assert(code === 1000, `Amplify sent Close 1000; it saw code ${code}${code === 1006 ? ' (no Close frame from the server)' : ''}`);
  return `sent 1000, the server answered ${code}`;
});

const failed = results.filter((r) => !r.ok);
const ms = (value) => (value === undefined ? '-' : `${Math.round(value)} ms`);
console.log('');
console.log(`${results.length - failed.length}/${results.length} checks passed`);
console.log(`event latency (the upload's answer to the event): ${latencies.map(([k, v]) => `${k} ${ms(v)}`).join(', ') || '-'}`);
if (failed.length) {
  console.log('failed:');
  for (const r of failed) console.log(`  ${r.name}: ${r.detail}`);
}
// Amplify's reconnection timers would keep the process alive.
process.exit(failed.length ? 1 : 0);
