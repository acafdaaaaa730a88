mod blobs;
mod emulator;
mod environment;
mod executions;
mod notifications;
mod queues;
