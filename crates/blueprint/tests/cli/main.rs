//! Integration tests of the `blueprint` binary, run as a user would run it.

mod support;

mod catalogue;

mod crash;

mod demo;

mod deploy;

mod emulator;

mod engagement;

mod permissions;

mod files;

mod lock;

mod rollback;

mod sdk_compat;

mod serve;

mod sprints;
