//! The table of numeric parameters of a scenario and their per-run sampling.
//!
//! Validation registers every numeric value of the scenario here under its key (its dotted path
//! in the scenario, with list items named, e.g. `regions.china.mines.bayan_obo.capacity_t`) and
//! the model refers to it by `ParamId`. At the start of each run, `sample` turns the table into a
//! plain vector of numbers: fixed values are copied, distributions get one uniform draw from the
//! parameter's own stream.

use crate::scenario::schema::Param;
use crate::sim::streams;
use rand::RngExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamId(pub usize);

#[derive(Debug, Clone)]
pub struct ParamDef {
    pub key: String,
    pub value: Param,
}

#[derive(Debug, Clone, Default)]
pub struct ParamTable {
    pub defs: Vec<ParamDef>,
}

impl ParamTable {
    pub fn add(&mut self, key: impl Into<String>, value: Param) -> ParamId {
        self.defs.push(ParamDef {
            key: key.into(),
            value,
        });
        ParamId(self.defs.len() - 1)
    }

    pub fn fixed(&mut self, key: impl Into<String>, v: f64) -> ParamId {
        self.add(key, Param::Fixed(v))
    }

    /// Ids of the parameters that are sampled (have a distribution), in table order.
    pub fn sampled(&self) -> impl Iterator<Item = (ParamId, &ParamDef)> {
        self.defs
            .iter()
            .enumerate()
            .filter(|(_, d)| matches!(d.value, Param::Dist(_)))
            .map(|(i, d)| (ParamId(i), d))
    }

    /// Values for run `run`: fixed numbers as written, distributions sampled from their own
    /// streams.
    pub fn sample(&self, seed: u64, run: u64) -> Values {
        Values(
            self.defs
                .iter()
                .map(|d| match &d.value {
                    Param::Fixed(v) => *v,
                    Param::Dist(dist) => {
                        let u: f64 = streams::stream(seed, run, &d.key).random();
                        dist.quantile(u)
                    }
                })
                .collect(),
        )
    }
}

/// One run's parameter values, indexed by `ParamId`.
#[derive(Debug, Clone)]
pub struct Values(pub Vec<f64>);

impl std::ops::Index<ParamId> for Values {
    type Output = f64;
    fn index(&self, id: ParamId) -> &f64 {
        &self.0[id.0]
    }
}

impl std::ops::IndexMut<ParamId> for Values {
    fn index_mut(&mut self, id: ParamId) -> &mut f64 {
        &mut self.0[id.0]
    }
}
