//! Provider host.
