//! The operator console: its pages in a real headless browser, the way an operator
//! goes from an alarm to a replay; its guards over plain HTTP.

mod access;
pub mod browser;
mod pages;
mod replay;
