// The wisaw app's upload screen, reduced to what it does on the wire: a reference for app
// developers, with the library the app uses (AWS Amplify 6) for the photo's outcome.
//
//   1. ask for an upload ticket (POST /v1/uploads) with a photoId made on the phone;
//   2. subscribe to the device's event channel the ticket names, BEFORE sending the bytes:
//      AppSync Events keeps nothing, so an event published before the subscription is lost;
//   3. send the bytes exactly as the ticket says (method, url, every header);
//   4. wait for photo.ready / photo.rejected for this photo (dropping repeats by eventId);
//   5. read GET /v1/photos/{photoId} after every reconnection, and when no event comes in
//      time: the status endpoint is the backstop for any event missed.
//
// The contract is docs/api.md; the Amplify configuration is the app's own (the Events API's
// endpoint and key are stack outputs, not part of the ticket).

import { WebSocket as NodeWebSocket } from 'ws';

// Amplify opens its connection with the global `new WebSocket(url, protocols)`. React Native
// and browsers have one; Node 20 does not, so this line gives it ws's (an app drops it). It
// must run before Amplify's modules load, hence the dynamic imports: static ones would be
// evaluated first.
globalThis.WebSocket = NodeWebSocket;

const { Amplify } = await import('aws-amplify');
const { events, CONNECTION_STATE_CHANGE, ConnectionState } = await import('aws-amplify/data');
const { Hub } = await import('aws-amplify/utils');

/** The app's configuration, here from the environment so the same file runs against any stage. */
export function configFromEnv(env = process.env) {
  const required = (name) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  return {
    // The API's base URL, e.g. https://api.example.com (the stack output ApiUrl).
    apiUrl: required('WISAW_API_URL').replace(/\/+$/, ''),
    // The Events API's HTTP endpoint, https://…/event (the stack output EventsHttpUrl).
    eventsEndpoint: required('WISAW_EVENTS_ENDPOINT'),
    // The app's Events API key (the stack output EventsApiKey): it ships in the app, it
    // lets the app subscribe to a channel it knows and nothing else.
    eventsApiKey: required('WISAW_EVENTS_API_KEY'),
    // Used by Amplify for IAM signing only; with an API key any region works.
    region: env.WISAW_REGION || 'us-east-1',
  };
}

/** Configures Amplify exactly as the app does, once, at start. */
export function configureAmplify({ eventsEndpoint, region, eventsApiKey }) {
  Amplify.configure({
    API: {
      Events: { endpoint: eventsEndpoint, region, defaultAuthMode: 'apiKey', apiKey: eventsApiKey },
    },
  });
}

/** An answer of the API that is not a success, with the problem+json it carried. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(`${status} ${problem?.title ?? 'error'}${problem?.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.problem = problem;
  }
}

async function callApi(url, init) {
  const response = await fetch(url, init);
  const body = await response.text();
  const json = body ? JSON.parse(body) : undefined;
  if (!response.ok) throw new ApiProblem(response.status, json);
  return json;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Full jitter: a random wait in [0, min(cap, base × 2^attempt)), as docs/api.md asks. */
const backoff = (attempt, baseMs = 500, capMs = 30_000) =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

/**
 * Asks for an upload ticket. The photoId is the phone's, so a retry after a lost answer
 * gets the same photo back (200) instead of a second one; only failures that may pass
 * (the network, 5xx) are retried.
 */
export async function requestTicket(apiUrl, request, { attempts = 4 } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await callApi(`${apiUrl}/v1/uploads`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      });
    } catch (error) {
      const transient = !(error instanceof ApiProblem) || error.status >= 500;
      if (!transient || attempt + 1 >= attempts) throw error;
      await sleep(backoff(attempt));
    }
  }
}

/** The photo's status (GET /v1/photos/{photoId}). */
export function readStatus(apiUrl, photoId) {
  return callApi(`${apiUrl}/v1/photos/${encodeURIComponent(photoId)}`);
}

/** Statuses after which nothing more happens to the photo. */
const SETTLED = new Set(['ready', 'rejected', 'failed']);
const OUTCOME_EVENTS = { 'photo.ready': 'ready', 'photo.rejected': 'rejected' };

/**
 * Uploads one photo and waits for its outcome.
 *
 * @param {object} options
 * @param {string} options.apiUrl     the API's base URL
 * @param {string} options.deviceId   the device's id (made once, kept on the phone)
 * @param {Uint8Array} options.bytes  the file (in React Native, a Blob works the same)
 * @param {string} options.contentType image/jpeg, image/png or image/webp
 * @param {number} options.lat
 * @param {number} options.lon
 * @param {string} [options.photoId]  made here unless given (give it to retry a photo)
 * @param {number} [options.eventWaitMs] how long to wait for the event before asking the status
 * @param {number} [options.giveUpMs] how long to wait for an outcome at all
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<{photoId: string, status: string, heardBy: 'event' | 'status',
 *   event?: object, photo?: object, latencyMs?: number, duplicates: number, ticket: object}>}
 *   `latencyMs`: from the upload's answer to the outcome's event.
 */
export async function uploadPhoto({
  apiUrl,
  deviceId,
  bytes,
  contentType,
  lat,
  lon,
  photoId = crypto.randomUUID(),
  eventWaitMs = 15_000,
  giveUpMs = 120_000,
  log = () => {},
}) {
  // 1. The ticket.
  const ticket = await requestTicket(apiUrl, {
    photoId,
    deviceId,
    contentType,
    contentLength: bytes.byteLength ?? bytes.size,
    lat,
    lon,
  });
  checkEventsEndpoint(ticket.events);

  // The outcome, from whichever comes first: the event, or the status endpoint.
  let resolveOutcome;
  let rejectOutcome;
  const outcome = new Promise((resolve, reject) => {
    resolveOutcome = resolve;
    rejectOutcome = reject;
  });
  let settled = false;
  let uploadedAt; // when the PUT was answered, for the latency
  const seen = new Set();
  let duplicates = 0;
  const finish = (result) => {
    if (settled) return;
    settled = true;
    resolveOutcome({ photoId, ticket, duplicates, ...result });
  };
  const askStatus = async (why) => {
    if (settled || uploadedAt === undefined) return;
    log(`reading the status (${why})`);
    try {
      const photo = await readStatus(apiUrl, photoId);
      if (SETTLED.has(photo.status)) finish({ status: photo.status, heardBy: 'status', photo });
    } catch (error) {
      log(`the status could not be read: ${error.message}`);
    }
  };
  // Without events (none in time, or no subscription), the status until it settles.
  let pollTimer;
  let polling = false;
  const startPolling = () => {
    if (polling || uploadedAt === undefined) return;
    polling = true;
    const poll = async (attempt) => {
      await askStatus('no event');
      if (!settled) pollTimer = setTimeout(poll, 1_000 + backoff(attempt, 1_000, 10_000), attempt + 1);
    };
    poll(0);
  };

  // 2. Subscribe before the PUT. Amplify keeps one WebSocket for all the app's channels.
  // Events only spare the app from polling: if they cannot be had, the upload goes on and
  // the status endpoint tells the outcome.
  let channel;
  let subscription;
  let subscribed = false;
  let stopListening = () => {};
  try {
    channel = await events.connect(ticket.events.channel);
    subscription = channel.subscribe({
      next: ({ event }) => {
        // At least once: a republished event carries the same eventId.
        if (!event?.eventId) return;
        if (seen.has(event.eventId)) {
          duplicates += 1;
          return;
        }
        seen.add(event.eventId);
        // The channel is the device's: other photos of the device are heard here too.
        if (event.photoId !== photoId || !(event.eventType in OUTCOME_EVENTS)) return;
        const latencyMs = uploadedAt === undefined ? undefined : performance.now() - uploadedAt;
        finish({ status: OUTCOME_EVENTS[event.eventType], heardBy: 'event', event, latencyMs });
      },
      // Refused, or lost for good (Amplify resubscribes by itself after a reconnection).
      error: (error) => {
        log(`the subscription ended: ${describeAmplifyError(error)}`);
        subscribed = false;
        startPolling();
      },
    });
    // `ready` settles on subscribe_success or subscribe_error.
    await subscription.ready;
    subscribed = true;

    // 5. After a reconnection Amplify subscribes again by itself and reports the
    // connection "Connected" once that succeeded, but what was published meanwhile is
    // gone: read the status then. Listening starts once subscribed, so any Connected
    // heard here follows a drop (or a missed keep-alive).
    stopListening = Hub.listen('api', ({ payload }) => {
      if (payload.event !== CONNECTION_STATE_CHANGE) return;
      const state = payload.data?.connectionState;
      log(`connection: ${state}`);
      if (state === ConnectionState.Connected) askStatus('reconnected');
    });
  } catch (error) {
    log(`no events for this upload (${describeAmplifyError(error)}): polling the status`);
  }

  const giveUpTimer = setTimeout(
    () => rejectOutcome(new Error(`no outcome for ${photoId} within ${giveUpMs} ms`)),
    giveUpMs,
  );
  let eventTimer;
  try {
    // 3. The bytes, exactly as the ticket says: the store refuses anything else.
    const put = await fetch(ticket.upload.url, {
      method: ticket.upload.method,
      headers: ticket.upload.headers,
      body: bytes,
    });
    if (!put.ok) {
      throw new Error(`the upload was refused: ${put.status} ${await put.text()}`);
    }
    uploadedAt = performance.now();

    // 4. Wait for the event; without one in time, ask the status until it settles.
    if (subscribed) eventTimer = setTimeout(startPolling, eventWaitMs);
    else startPolling();
    return await outcome;
  } finally {
    settled = true;
    clearTimeout(giveUpTimer);
    clearTimeout(eventTimer);
    clearTimeout(pollTimer);
    stopListening();
    subscription?.unsubscribe();
    // Amplify closes its WebSocket a second after the app's last channel is closed.
    await channel?.close();
  }
}

/**
 * The API hands out where its events are; Amplify was configured with the same endpoint at
 * start. A mismatch is a misconfigured app (another stage's endpoint or key): say so plainly
 * rather than wait for events that cannot come.
 */
function checkEventsEndpoint(ticketEvents) {
  const configured = Amplify.getConfig().API?.Events?.endpoint;
  if (configured && ticketEvents?.httpUrl && configured !== ticketEvents.httpUrl) {
    throw new Error(
      `the app is configured for the events endpoint ${configured}, ` +
        `but the API names ${ticketEvents.httpUrl}`,
    );
  }
}

/** A readable line for what Amplify hands to an observer's `error` or rejects with. */
export function describeAmplifyError(error) {
  if (error?.errors?.length) return error.errors.map((e) => e.message).join('; ');
  return error?.message ?? String(error);
}
