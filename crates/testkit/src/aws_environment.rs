//! What `AwsEnvironment` refused, read back for the tests of the variables it reads.

use wisaw_adapters::aws::EnvironmentError;
use wisaw_domain::PortError;

/// The variable whose absence `result` reports; fails the test on anything else.
pub fn missing_variable<T>(result: Result<T, EnvironmentError>) -> &'static str {
    match result {
        Err(EnvironmentError::Missing { variable, .. }) => variable,
        Err(other) => panic!("expected a missing variable, got: {other}"),
        Ok(_) => panic!("expected a missing variable, got a success"),
    }
}

/// The variable whose value `result` refuses, and why; fails the test on anything else.
pub fn invalid_variable<T>(result: Result<T, EnvironmentError>) -> (&'static str, PortError) {
    match result {
        Err(EnvironmentError::Invalid { variable, source }) => (variable, source),
        Err(other) => panic!("expected an invalid variable, got: {other}"),
        Ok(_) => panic!("expected an invalid variable, got a success"),
    }
}
