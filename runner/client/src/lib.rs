//! Runner client.
