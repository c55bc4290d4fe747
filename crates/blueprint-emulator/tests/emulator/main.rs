//! Integration tests of the emulator over real HTTP on loopback. Each behaviour is checked the
//! way Microsoft documents it, not the way the product's client happens to use it.

mod support;

mod bad_input;
mod batch;
mod connect;
mod faults;
mod odata;
mod operator;
mod resources;
mod throttling;
mod tokens;
