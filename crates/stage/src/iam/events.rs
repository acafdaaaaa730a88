//! The Events endpoint's publishes held to IAM: the signer is authenticated as any other
//! request is (its SigV4 signature, for service `appsync` and the endpoint's own host),
//! then must be allowed `appsync:EventPublish` on the namespace of the channel it
//! publishes to. Plugged into the local events server in place of its one publisher key.

use super::requests::{self, Incoming};
use super::sigv4::Received;
use super::Iam;
use std::sync::Arc;
use wisaw_adapters::aws::{PublishAttempt, PublishAuthorizer, SIGNING_SERVICE};

pub struct IamPublishAuthorizer {
    iam: Arc<Iam>,
}

impl IamPublishAuthorizer {
    pub fn new(iam: Arc<Iam>) -> Self {
        Self { iam }
    }
}

impl PublishAuthorizer for IamPublishAuthorizer {
    fn authorize(&self, attempt: &PublishAttempt<'_>) -> Result<(), String> {
        let received = Received {
            method: attempt.method,
            path_and_query: attempt.path_and_query,
            headers: attempt.headers,
            body: Some(attempt.body),
        };
        let signer = self.iam.signer(&received).map_err(|e| e.to_string())?;
        if signer.claim.service != SIGNING_SERVICE {
            return Err(format!(
                "the signature is for the service {}, not {SIGNING_SERVICE}",
                signer.claim.service
            ));
        }
        let host = attempt.headers.get("host").and_then(|h| h.to_str().ok());
        if host != Some(attempt.host) {
            return Err(format!(
                "the request is not for this endpoint's host {:?}",
                attempt.host
            ));
        }
        signer
            .verify(&received, attempt.now, &self.iam)
            .map_err(|e| e.to_string())?;
        let (path, query) = attempt
            .path_and_query
            .split_once('?')
            .unwrap_or((attempt.path_and_query, ""));
        let incoming = Incoming {
            method: attempt.method,
            path,
            query,
            headers: attempt.headers,
            body: Some(attempt.body),
        };
        let operation =
            requests::appsync_publish(&incoming, self.iam.settings()).map_err(|e| e.to_string())?;
        for ask in &operation.asks {
            self.iam
                .authorize(signer.principal, &ask.action, &ask.resource, &ask.context)
                .map_err(|denied| denied.message())?;
        }
        Ok(())
    }
}
