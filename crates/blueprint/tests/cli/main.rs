//! Integration tests of the `blueprint` binary, run as a user would run it.

mod support;

mod catalogue;

mod deploy;

mod emulator;

mod sdk_compat;
