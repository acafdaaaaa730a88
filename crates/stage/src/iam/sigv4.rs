//! Who signed a request: the principal whose access key its SigV4 signature names, once
//! the session token is found to be that principal's and the signature is made again
//! with its secret and found equal (`wisaw_adapters::aws::sigv4`, the check the local
//! events endpoint makes too): header signatures and presigned URLs, any service.

use super::{Iam, Principal};
use std::time::SystemTime;
use subtle::ConstantTimeEq;
use wisaw_adapters::aws::sigv4::Claim;
pub use wisaw_adapters::aws::sigv4::{Location, Received, Refusal};

/// Why a request is not taken as any principal's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("The request carries no signature.")]
    Unsigned,
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    UnknownKey(String),
    #[error("The security token included in the request is invalid.")]
    BadToken,
    #[error("The credential is scoped to the region '{given}'; this stage's is '{expected}'.")]
    WrongRegion { given: String, expected: String },
    #[error("{0}")]
    Signature(Refusal),
}

/// A request's signer as it says it is, before its signature is checked: its service and
/// whether the check takes the body are known from it.
pub struct Signer<'a> {
    pub principal: &'a Principal,
    pub claim: Claim,
}

impl Iam {
    /// The principal a request says signed it: its key is known, its session token that
    /// principal's, its scope this stage's region. [`Signer::verify`] checks the rest.
    pub fn signer(&self, request: &Received<'_>) -> Result<Signer<'_>, AuthFailure> {
        let claim = Claim::read(request)
            .map_err(AuthFailure::Signature)?
            .ok_or(AuthFailure::Unsigned)?;
        let principal = self
            .by_access_key(&claim.access_key_id)
            .ok_or_else(|| AuthFailure::UnknownKey(claim.access_key_id.clone()))?;
        let token = claim.session_token.as_deref().unwrap_or_default();
        let expected = principal.credentials.session_token.as_bytes();
        if !bool::from(token.as_bytes().ct_eq(expected)) {
            return Err(AuthFailure::BadToken);
        }
        if claim.region != self.settings.region {
            return Err(AuthFailure::WrongRegion {
                given: claim.region.clone(),
                expected: self.settings.region.clone(),
            });
        }
        Ok(Signer { principal, claim })
    }

    /// The principal that signed `request` (its body given when the signature covers it).
    pub fn authenticate(
        &self,
        request: &Received<'_>,
        now: SystemTime,
    ) -> Result<&Principal, AuthFailure> {
        let signer = self.signer(request)?;
        signer.verify(request, now, self)?;
        Ok(signer.principal)
    }
}

impl Signer<'_> {
    /// Whether the check takes the body (its hash is signed).
    pub fn needs_body(&self) -> bool {
        self.claim.needs_body()
    }

    /// The signature made again with the principal's secret, and compared.
    pub fn verify(
        &self,
        request: &Received<'_>,
        now: SystemTime,
        iam: &Iam,
    ) -> Result<(), AuthFailure> {
        self.claim
            .verify(
                &self.principal.credentials.secret_access_key,
                request,
                now,
                iam.settings.max_skew,
            )
            .map_err(AuthFailure::Signature)
    }
}
