//! The vertex arena: vertices in fixed-size chunks, so that growing it never
//! moves (or copies) the vertices already there.

use std::ops::{Index, IndexMut};

use super::Vertex;

const CHUNK: usize = 1024;

#[derive(Default)]
pub(crate) struct Arena {
    chunks: Vec<Vec<Vertex>>,
    len: usize,
}

impl Arena {
    pub fn push(&mut self, vertex: Vertex) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(vertex);
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

impl Index<usize> for Arena {
    type Output = Vertex;

    fn index(&self, index: usize) -> &Vertex {
        &self.chunks[index / CHUNK][index % CHUNK]
    }
}

impl IndexMut<usize> for Arena {
    fn index_mut(&mut self, index: usize) -> &mut Vertex {
        &mut self.chunks[index / CHUNK][index % CHUNK]
    }
}
