//! Renderers: terminal text and JSON, all reading the same [`Diagnostic`](crate::Diagnostic) values.
