//! The engine's numeric parameters: a fixed number or a distribution (`Param`), the table that
//! names every parameter of a scenario by its key (`ParamTable`, `ParamId`), and one run's
//! sampled values (`Values`). `sim::params` samples the table per run.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::dist::Dist;

/// A numeric parameter: a fixed number, or a distribution sampled once per run.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Fixed(f64),
    Dist(Dist),
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Param;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a number or a distribution such as { dist = \"uniform\", min = 1, max = 2 }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Param, E> {
                Ok(Param::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Param, E> {
                Ok(Param::Fixed(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Param, E> {
                Ok(Param::Fixed(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Param, A::Error> {
                Dist::deserialize(de::value::MapAccessDeserializer::new(map)).map(Param::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Param {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Param::Fixed(v) => s.serialize_f64(*v),
            Param::Dist(d) => d.serialize(s),
        }
    }
}

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

/// The parameters that `correlations` name, in first-named order, and their target rank
/// correlation matrix (1 on the diagonal, 0 for pairs not named), row-major.
pub fn correlation_matrix(
    correlations: &[crate::model::Correlation],
) -> (Vec<ParamId>, Vec<Vec<f64>>) {
    let mut ids: Vec<ParamId> = Vec::new();
    for c in correlations {
        for id in [c.a, c.b] {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let k = ids.len();
    let mut m = vec![vec![0.0; k]; k];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let at = |id: ParamId| ids.iter().position(|x| *x == id).expect("listed");
    for c in correlations {
        let (i, j) = (at(c.a), at(c.b));
        m[i][j] = c.r;
        m[j][i] = c.r;
    }
    (ids, m)
}

/// Lower Cholesky factor `L` of a symmetric matrix (`m = L L^T`), or None when it is not
/// positive definite (a pivot at most 1e-10).
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = m.len();
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|p| l[i][p] * l[j][p]).sum();
            if i == j {
                let d = m[i][i] - s;
                if d.is_nan() || d <= 1e-10 {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Whether a symmetric matrix is positive definite.
pub fn is_positive_definite(m: &[Vec<f64>]) -> bool {
    cholesky(m).is_some()
}
