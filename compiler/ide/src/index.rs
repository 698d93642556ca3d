//! Per-file indexes for the IDE features: the one declaration index of
//! each file, as the database's per-file queries give it
//! (`froyo_db::cue_declarations`, `froyo_db::starlark_declarations`).

pub use froyo_check::declarations::{FileIndex, Named, index_cue_text, resource_type_of};
pub use froyo_db::declarations::index_starlark_text;
pub use froyo_db::{cue_declarations as cue_index, starlark_declarations as starlark_index};
