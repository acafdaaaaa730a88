//! wisaw api
