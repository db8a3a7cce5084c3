//! Reading the output files the report shows, by column name (so columns added later, such as
//! `unit`, do no harm), with errors that name the file, line and column.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::ReportError;
use super::units::is_all;

/// A CSV file's rows, kept by a filter, with the line each came from.
pub struct Csv {
    pub path: PathBuf,
    header: Vec<String>,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

fn malformed(path: &Path, line: Option<u64>, msg: impl Into<String>) -> ReportError {
    ReportError::Malformed {
        path: path.to_path_buf(),
        line,
        msg: msg.into(),
    }
}

impl Csv {
    /// Reads `dir/name`, checks it has the `required` columns, and keeps the rows `keep`
    /// accepts (`keep` sees the file and the row).
    pub fn read(
        dir: &Path,
        name: &str,
        required: &[&str],
        mut keep: impl FnMut(&Csv, &csv::StringRecord) -> bool,
    ) -> Result<Csv, ReportError> {
        let path = dir.join(name);
        let f = File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ReportError::Missing {
                    dir: dir.to_path_buf(),
                    file: name.to_string(),
                }
            } else {
                ReportError::Read {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(BufReader::with_capacity(1 << 16, f));
        let header: Vec<String> = r
            .headers()
            .map_err(|e| malformed(&path, Some(1), e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(|h| h.is_empty()) {
            return Err(malformed(&path, None, "the file is empty (no header line)"));
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !header.iter().any(|h| h == c))
            .collect();
        if !missing.is_empty() {
            return Err(malformed(
                &path,
                Some(1),
                format!(
                    "no column {} (the header has: {})",
                    missing
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    header.join(",")
                ),
            ));
        }
        let mut csv = Csv {
            path,
            header,
            rows: Vec::new(),
        };
        let mut rec = csv::StringRecord::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    if keep(&csv, &rec) {
                        csv.rows.push((line, rec.clone()));
                    }
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    let msg = match e.kind() {
                        csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => format!("{len} fields where the header has {expected_len}"),
                        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                        _ => e.to_string(),
                    };
                    return Err(malformed(&csv.path, line, msg));
                }
            }
        }
        Ok(csv)
    }

    /// Index of a column.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// A text cell (empty when the column is absent).
    pub fn text<'a>(&self, rec: &'a csv::StringRecord, col: Option<usize>) -> &'a str {
        col.and_then(|c| rec.get(c)).unwrap_or("").trim()
    }

    /// A number cell: empty is not-a-number; anything else that is not a number is an error.
    pub fn num(&self, line: u64, rec: &csv::StringRecord, col: usize) -> Result<f64, ReportError> {
        let cell = rec.get(col).unwrap_or("").trim();
        if cell.is_empty() {
            return Ok(f64::NAN);
        }
        cell.parse::<f64>().map_err(|_| {
            malformed(
                &self.path,
                Some(line),
                format!("`{}` is `{cell}`, not a number", self.header[col]),
            )
        })
    }
}

/// One row of summary.csv (or of compare.csv's or sweep.csv's summary columns).
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub metric: String,
    /// Empty for all.
    pub region: String,
    pub sector: String,
    pub item: String,
    pub unit: Option<String>,
    pub n: f64,
    pub mean: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

fn scope(s: &str) -> String {
    if is_all(s) {
        String::new()
    } else {
        s.to_string()
    }
}

/// summary.csv. The item column is `item` (or `stockpile` in older files).
pub fn summary(dir: &Path) -> Result<Vec<SummaryRow>, ReportError> {
    let c = Csv::read(
        dir,
        "summary.csv",
        &["metric", "region", "sector", "mean", "p5", "p50", "p95"],
        |_, _| true,
    )?;
    summary_rows(&c)
}

/// The summary columns of a file that has them (summary.csv, sweep.csv).
pub fn summary_rows(c: &Csv) -> Result<Vec<SummaryRow>, ReportError> {
    let col = |n: &str| c.col(n);
    let need = |n: &str| {
        c.col(n)
            .ok_or_else(|| malformed(&c.path, Some(1), format!("no column `{n}`")))
    };
    let (metric, region, sector) = (col("metric"), col("region"), col("sector"));
    let item = col("item").or_else(|| col("stockpile"));
    let unit = col("unit");
    let [mean, p5, p50, p95] = [need("mean")?, need("p5")?, need("p50")?, need("p95")?];
    let (p25, p75, n) = (col("p25"), col("p75"), col("n"));
    let mut out = Vec::with_capacity(c.rows.len());
    for (line, r) in &c.rows {
        let opt = |i: Option<usize>| i.map_or(Ok(f64::NAN), |i| c.num(*line, r, i));
        out.push(SummaryRow {
            metric: c.text(r, metric).to_string(),
            region: scope(c.text(r, region)),
            sector: scope(c.text(r, sector)),
            item: scope(c.text(r, item)),
            unit: unit.map(|u| c.text(r, Some(u)).to_string()),
            n: opt(n)?,
            mean: c.num(*line, r, mean)?,
            p5: c.num(*line, r, p5)?,
            p25: opt(p25)?,
            p50: c.num(*line, r, p50)?,
            p75: opt(p75)?,
            p95: c.num(*line, r, p95)?,
        });
    }
    Ok(out)
}

/// One series of timeseries.csv over the months, in month order.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub series: String,
    pub region: String,
    pub item: String,
    pub destination: String,
    pub unit: Option<String>,
    pub dates: Vec<String>,
    pub mean: Vec<f64>,
    pub p5: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p95: Vec<f64>,
}

impl Series {
    /// Whether every percentile (5th to 95th) is zero in every month: nothing to draw, though
    /// the mean may show shortfalls in fewer than 5% of runs.
    pub fn all_zero(&self) -> bool {
        [&self.p5, &self.p25, &self.p50, &self.p75, &self.p95]
            .iter()
            .all(|v| v.iter().all(|x| *x == 0.0 || x.is_nan()))
    }

    /// Whether the 5th and 95th percentiles are one constant value throughout.
    pub fn flat(&self) -> bool {
        let first = self.p5.first().copied().unwrap_or(0.0);
        self.p5.iter().chain(&self.p95).all(|x| *x == first)
    }
}

/// (series, region, item, destination).
type Key = (String, String, String, String);
/// (month, date, [mean, p5, p25, p50, p75, p95], unit).
type Month = (f64, String, [f64; 6], String);

/// The series of timeseries.csv named in `wanted`, keyed by (series, region, item,
/// destination), in file order.
pub fn timeseries(dir: &Path, wanted: &[&str]) -> Result<Vec<Series>, ReportError> {
    let c = Csv::read(
        dir,
        "timeseries.csv",
        &[
            "month", "date", "series", "region", "item", "p5", "p50", "p95",
        ],
        |c, r| wanted.contains(&c.text(r, c.col("series"))),
    )?;
    let col = |n: &str| c.col(n);
    let (month, date, series, region, item) = (
        col("month").unwrap_or(0),
        col("date"),
        col("series"),
        col("region"),
        col("item"),
    );
    let (dest, unit) = (col("destination"), col("unit"));
    let nums = ["mean", "p5", "p25", "p50", "p75", "p95"].map(col);
    let mut order: Vec<Key> = Vec::new();
    let mut by: BTreeMap<Key, Vec<Month>> = BTreeMap::new();
    for (line, r) in &c.rows {
        let key = (
            c.text(r, series).to_string(),
            scope(c.text(r, region)),
            scope(c.text(r, item)),
            scope(c.text(r, dest)),
        );
        let m = c.num(*line, r, month)?;
        if !m.is_finite() {
            return Err(malformed(&c.path, Some(*line), "`month` is empty"));
        }
        let mut v = [f64::NAN; 6];
        for (k, i) in nums.iter().enumerate() {
            if let Some(i) = i {
                v[k] = c.num(*line, r, *i)?;
            }
        }
        let entry = by.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Vec::new()
        });
        entry.push((
            m,
            c.text(r, date).to_string(),
            v,
            c.text(r, unit).to_string(),
        ));
    }
    let mut out = Vec::with_capacity(order.len());
    for key in order {
        let mut pts = by.remove(&key).unwrap_or_default();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut s = Series {
            series: key.0,
            region: key.1,
            item: key.2,
            destination: key.3,
            unit: pts.first().map(|p| p.3.clone()).filter(|u| !u.is_empty()),
            ..Series::default()
        };
        for (m, d, v, _) in pts {
            s.dates.push(if d.is_empty() {
                format!("month {m}")
            } else {
                d
            });
            s.mean.push(v[0]);
            s.p5.push(v[1]);
            s.p25.push(v[2]);
            s.p50.push(v[3]);
            s.p75.push(v[4]);
            s.p95.push(v[5]);
        }
        out.push(s);
    }
    Ok(out)
}

/// Selected columns of runs.csv, rows in run order.
pub struct RunColumns {
    pub names: Vec<String>,
    /// values[c][run]
    pub values: Vec<Vec<f64>>,
}

/// The runs.csv columns `pick` accepts, in file order.
pub fn runs(dir: &Path, pick: impl Fn(&str) -> bool) -> Result<RunColumns, ReportError> {
    let mut cols: Vec<usize> = Vec::new();
    let mut run_col = None;
    let mut rows: Vec<(f64, Vec<f64>)> = Vec::new();
    let mut err = None;
    let c = Csv::read(dir, "runs.csv", &["run"], |c, r| {
        if run_col.is_none() {
            run_col = c.col("run");
            cols = (0..c.header().len())
                .filter(|&i| pick(&c.header()[i]))
                .collect();
        }
        if err.is_some() {
            return false;
        }
        let line = r.position().map_or(0, |p| p.line());
        let run = match c.num(line, r, run_col.unwrap_or(0)) {
            Ok(v) => v,
            Err(e) => {
                err = Some(e);
                return false;
            }
        };
        let mut v = Vec::with_capacity(cols.len());
        for &i in &cols {
            match c.num(line, r, i) {
                Ok(x) => v.push(x),
                Err(e) => {
                    err = Some(e);
                    return false;
                }
            }
        }
        rows.push((run, v));
        false
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    if cols.is_empty() {
        cols = (0..c.header().len())
            .filter(|&i| pick(&c.header()[i]))
            .collect();
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let names = cols.iter().map(|&i| c.header()[i].clone()).collect();
    let values = (0..cols.len())
        .map(|k| rows.iter().map(|r| r.1[k]).collect())
        .collect();
    Ok(RunColumns { names, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (n, t) in files {
            std::fs::write(d.path().join(n), t).unwrap();
        }
        d
    }

    #[test]
    fn summary_accepts_empty_or_all_scopes_and_a_unit_column() {
        let d = dir_with(&[(
            "summary.csv",
            "metric,region,sector,item,unit,n,mean,sd,mcse,p5,p25,p50,p75,p95,min,max\n\
             unmet_demand_t,all,all,all,t,10,5,1,0.3,1,2,5,7,9,0,10\n\
             unmet_demand_t,,ev,,t,10,1,1,0.3,0,0,1,2,3,0,4\n",
        )]);
        let s = summary(d.path()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].region.as_str(), s[0].sector.as_str()), ("", ""));
        assert_eq!(s[0].unit.as_deref(), Some("t"));
        assert_eq!((s[0].p5, s[0].p50, s[0].p95), (1.0, 5.0, 9.0));
        assert_eq!(s[1].sector, "ev");
    }

    #[test]
    fn bad_cells_and_missing_files_are_named() {
        let d = dir_with(&[(
            "summary.csv",
            "metric,region,sector,item,mean,p5,p50,p95\nunmet_demand_t,,,,abc,1,2,3\n",
        )]);
        let e = summary(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("summary.csv") && e.contains("line 2") && e.contains("`mean`"),
            "{e}"
        );
        let e = timeseries(d.path(), &["unmet"]).unwrap_err().to_string();
        assert!(e.contains("timeseries.csv"), "{e}");
        let d = dir_with(&[("summary.csv", "metric,region\nx,y\n")]);
        let e = summary(d.path()).unwrap_err().to_string();
        assert!(e.contains("no column") && e.contains("`mean`"), "{e}");
        let d = dir_with(&[("summary.csv", "metric,region,sector,mean,p5,p50,p95\nx,y\n")]);
        let e = summary(d.path()).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("2 fields"), "{e}");
    }

    #[test]
    fn timeseries_groups_and_orders_by_month() {
        let d = dir_with(&[(
            "timeseries.csv",
            "month,date,series,region,item,destination,mean,p5,p25,p50,p75,p95\n\
             1,2025-02,unmet,row,ev,,2,1,1,2,3,4\n\
             0,2025-01,unmet,row,ev,,1,0,0,1,1,2\n\
             0,2025-01,demand,row,ev,,9,9,9,9,9,9\n\
             0,2025-01,price,all,magnet,,1,1,1,1,1,1\n",
        )]);
        let s = timeseries(d.path(), &["unmet", "price"]).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].dates, ["2025-01", "2025-02"]);
        assert_eq!(s[0].p95, [2.0, 4.0]);
        assert_eq!(s[1].region, "");
        assert!(s[1].flat() && !s[0].flat());
    }

    #[test]
    fn runs_columns_in_run_order() {
        let d = dir_with(&[(
            "runs.csv",
            "run,x,unmet_demand_t,\"stockpile_min_t[region=a,stockpile=b]\"\n2,0.1,30,\n0,0.2,10,5\n1,0.3,20,6\n",
        )]);
        let r = runs(d.path(), |n| n != "run" && n != "x").unwrap();
        assert_eq!(
            r.names,
            ["unmet_demand_t", "stockpile_min_t[region=a,stockpile=b]"]
        );
        assert_eq!(r.values[0], [10.0, 20.0, 30.0]);
        assert!(r.values[1][2].is_nan());
        let d = dir_with(&[("runs.csv", "run,y\n0,1\n1,oops\n")]);
        let e = runs(d.path(), |n| n == "y").err().unwrap().to_string();
        assert!(e.contains("line 3") && e.contains("oops"), "{e}");
    }
}
