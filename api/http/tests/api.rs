//! The mobile API through its router, over real local stores: every route of the
//! contract, races, panics, and API Gateway events through the Lambda adapter.

mod common;
mod feed;
mod lambda_http;
mod panics;
mod photos;
mod races;
mod tickets;
