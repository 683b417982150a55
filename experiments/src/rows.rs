//! A results file of rows with keys, kept across invocations: rerunning a cell replaces its
//! row, other cells' rows stay (`<out>/<experiment>/summary.json` of experiments whose cells
//! run in separate invocations, such as the MNIST models and their evaluations).

use crate::output::{read_json_or_default, write_json};
use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A row with the key of its cell.
pub trait Keyed {
    /// What identifies the cell (rows of equal keys replace each other); rows are kept in
    /// key order.
    type Key: Ord;
    /// The key.
    fn key(&self) -> Self::Key;
}

/// The rows of a results file, `{"runs": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rows<R> {
    /// One row per cell, in key order.
    pub runs: Vec<R>,
}

impl<R> Default for Rows<R> {
    fn default() -> Self {
        Self { runs: Vec::new() }
    }
}

impl<R: Keyed + Serialize + DeserializeOwned> Rows<R> {
    /// The rows at `path`, or none when the file does not exist (an unreadable file is an
    /// error, so that it is never silently replaced).
    pub fn load(path: &Path) -> Result<Self> {
        read_json_or_default(path)
    }

    /// Adds `row`, replacing the row of the same key.
    pub fn upsert(&mut self, row: R) {
        let key = row.key();
        self.runs.retain(|r| r.key() != key);
        self.runs.push(row);
        self.runs.sort_by_key(Keyed::key);
    }

    /// The row of `key`.
    pub fn get(&self, key: &R::Key) -> Option<&R> {
        self.runs.iter().find(|r| &r.key() == key)
    }

    /// Reloads `path`, applies `change` and writes it back atomically, so that invocations
    /// working on one folder side by side keep each other's rows (the window between the
    /// read and the rename is short, not closed).
    pub fn update(path: &Path, change: impl FnOnce(&mut Self)) -> Result<()> {
        let mut rows = Self::load(path)?;
        change(&mut rows);
        write_json(path, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Row {
        name: String,
        value: f64,
    }

    impl Keyed for Row {
        type Key = String;
        fn key(&self) -> String {
            self.name.clone()
        }
    }

    #[test]
    fn rows_are_replaced_by_key_kept_in_order_and_survive_a_reload() {
        let dir = std::env::temp_dir().join(format!("mvl-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("summary.json");
        let row = |name: &str, value| Row {
            name: name.into(),
            value,
        };
        Rows::update(&path, |r| r.upsert(row("b", 1.0))).expect("write");
        Rows::update(&path, |r| r.upsert(row("a", 2.0))).expect("write");
        Rows::update(&path, |r| r.upsert(row("b", 3.0))).expect("write");
        let rows: Rows<Row> = Rows::load(&path).expect("read");
        assert_eq!(rows.runs, vec![row("a", 2.0), row("b", 3.0)]);
        assert_eq!(rows.get(&"b".to_owned()).map(|r| r.value), Some(3.0));
        std::fs::write(&path, "{not json").expect("damage");
        assert!(
            Rows::<Row>::load(&path).is_err(),
            "a damaged file is an error"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
