//! `blueprint emulator` from the command line.
