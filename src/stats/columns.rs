//! Per-run values (outcome metrics, sampled inputs) kept as columns in bounded memory.
//!
//! Exact quantiles in summary.csv need every run's value, which at a million runs and a few
//! hundred columns is gigabytes. Rows are gathered in a buffer of `CHUNK` runs; a full buffer
//! is appended to an anonymous temporary file, column by column, so that reading one column
//! back is one contiguous read per chunk. Memory is the buffer plus the one column being read.
//! The file has no name and is deleted by the operating system when closed, also when the
//! process is killed.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

/// Runs per chunk.
pub const CHUNK: usize = 4096;

#[derive(Debug)]
pub struct Columns {
    width: usize,
    /// Row-major buffer of up to `CHUNK` rows.
    buffer: Vec<f64>,
    /// Behind a lock: several threads may read columns at once.
    spill: Option<Mutex<File>>,
    /// Chunks in the spill file.
    spilled: u64,
}

impl Columns {
    /// An empty store of rows of `width` values.
    pub fn new(width: usize) -> Self {
        Columns {
            width,
            buffer: Vec::new(),
            spill: None,
            spilled: 0,
        }
    }

    /// Rows stored.
    pub fn len(&self) -> u64 {
        self.spilled * CHUNK as u64 + self.buffered() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn buffered(&self) -> usize {
        self.buffer.len().checked_div(self.width).unwrap_or(0)
    }

    /// Appends one row (`width` values).
    pub fn push(&mut self, row: &[f64]) -> io::Result<()> {
        debug_assert_eq!(row.len(), self.width);
        if self.width == 0 {
            return Ok(());
        }
        self.buffer.extend_from_slice(row);
        if self.buffered() == CHUNK {
            self.spill_buffer()?;
        }
        Ok(())
    }

    fn spill_buffer(&mut self) -> io::Result<()> {
        let file = match &mut self.spill {
            Some(f) => f.get_mut().unwrap_or_else(|e| e.into_inner()),
            None => self
                .spill
                .insert(Mutex::new(tempfile::tempfile().map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("could not create a temporary file for per-run values: {e}"),
                    )
                })?))
                .get_mut()
                .unwrap_or_else(|e| e.into_inner()),
        };
        file.seek(SeekFrom::End(0))?;
        let mut bytes = Vec::with_capacity(CHUNK * 8);
        for j in 0..self.width {
            bytes.clear();
            for i in 0..CHUNK {
                bytes.extend_from_slice(&self.buffer[i * self.width + j].to_le_bytes());
            }
            file.write_all(&bytes)?;
        }
        self.buffer.clear();
        self.spilled += 1;
        Ok(())
    }

    /// Every row's value of column `j`, in row order.
    pub fn column(&self, j: usize) -> io::Result<Vec<f64>> {
        let mut out = Vec::with_capacity(self.len() as usize);
        if let Some(f) = &self.spill {
            let mut bytes = vec![0u8; CHUNK * 8];
            for chunk in 0..self.spilled {
                let at = (chunk * self.width as u64 + j as u64) * (CHUNK as u64 * 8);
                let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
                f.seek(SeekFrom::Start(at))?;
                f.read_exact(&mut bytes)?;
                out.extend(
                    bytes
                        .chunks_exact(8)
                        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                );
            }
        }
        out.extend((0..self.buffered()).map(|i| self.buffer[i * self.width + j]));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_back_in_row_order_across_spilled_chunks() {
        let mut c = Columns::new(3);
        let rows = CHUNK * 2 + 17;
        for i in 0..rows {
            let x = i as f64;
            c.push(&[x, -x, x * 0.5]).unwrap();
        }
        assert_eq!(c.len(), rows as u64);
        assert_eq!(c.spilled, 2);
        let col = c.column(1).unwrap();
        assert_eq!(col.len(), rows);
        assert!(col.iter().enumerate().all(|(i, &v)| v == -(i as f64)));
        assert_eq!(c.column(2).unwrap()[CHUNK + 3], (CHUNK + 3) as f64 * 0.5);
    }

    #[test]
    fn zero_width_stores_nothing() {
        let mut c = Columns::new(0);
        c.push(&[]).unwrap();
        assert!(c.is_empty());
        assert!(c.column(0).unwrap().is_empty());
    }
}
