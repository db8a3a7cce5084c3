//! report.html end to end: written by `run --report`, `reesim report` and the tools, self-
//! contained, with every chart it should have, rendered by headless Chromium when it is
//! installed (the Debian package `chromium`; scripts/render-report.sh installs it), and clear
//! refusals for directories it cannot report on.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn reesim() -> Command {
    Command::cargo_bin("reesim").expect("binary built")
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// The `id`s of the page's `<svg>` elements, each checked to carry a `<title>` right after.
fn svg_ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for part in html.split("<svg ").skip(1) {
        let id = part
            .strip_prefix("id=\"")
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("an <svg> without an id: {}", &part[..80.min(part.len())]));
        let open_end = part.find('>').unwrap();
        assert!(
            part[open_end + 1..].starts_with(&format!("<title id=\"{id}-title\">")),
            "<svg id={id}> has no <title>"
        );
        ids.push(id.to_string());
    }
    ids
}

/// No network, no scripts: nothing the page would fetch or run.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "http://", "https://", "<script", "<link", "<iframe", "<img", "<object", "<embed",
        "@import", "src=\"", "src='",
    ] {
        assert!(!lower.contains(bad), "report.html contains `{bad}`");
    }
    // Links only within the page.
    for (i, _) in lower.match_indices("href=") {
        assert!(
            lower[i + 5..].starts_with("\"#"),
            "a link out of the page at {i}"
        );
    }
    // url(...) only for the page's own clip paths.
    for (i, _) in lower.match_indices("url(") {
        assert!(lower[i + 4..].starts_with('#'), "external url( at {i}");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
}

/// The cell of summary.csv for a world metric.
fn world_summary(dir: &Path, metric: &str, column: &str) -> f64 {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let idx = |n: &str| h.iter().position(|c| c == n).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let all = |c: &str| matches!(rec.get(idx(c)).unwrap(), "" | "all");
        if rec.get(idx("metric")).unwrap() == metric && all("region") && all("sector") {
            return rec.get(idx(column)).unwrap().parse().unwrap();
        }
    }
    panic!("no world row for {metric}");
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Renders `dir/report.html` with scripts/render-report.sh and checks the picture: the page's
/// background, table and chart colours are all there (so the CSS applied and the SVG drew), and
/// a fair part of the page is not background.
fn check_render(dir: &Path, png: &Path) {
    if chromium().is_none() {
        println!(
            "chromium not installed: skipping the render check (install the Debian package \
             `chromium`, or run scripts/render-report.sh once, which installs it)"
        );
        return;
    }
    let out = std::process::Command::new("bash")
        .arg(repo("scripts/render-report.sh"))
        .arg(dir)
        .arg(png)
        .env("HEIGHT", "8000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "render-report.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(png).unwrap();
    assert!(
        bytes.len() > 100_000,
        "a {} byte PNG is too small",
        bytes.len()
    );
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, 1400);
    let ch = info.color_type.samples();
    assert!(ch >= 3, "{:?}", info.color_type);
    let px = |i: usize| (buf[i * ch], buf[i * ch + 1], buf[i * ch + 2]);
    let n = (info.width * info.height) as usize;
    let count = |rgb: (u8, u8, u8)| (0..n).filter(|&i| px(i) == rgb).count();
    let background = count((0xfa, 0xfa, 0xfa));
    let white = count((0xff, 0xff, 0xff));
    let band90 = count((0xc6, 0xdb, 0xef));
    let band50 = count((0x6b, 0xae, 0xd6)); // also the histogram bars
    let median = count((0x08, 0x30, 0x6b));
    assert!(background > n / 20, "page background barely visible");
    assert!(white > n / 20, "tables and chart panels barely visible");
    assert!(band90 > 20_000, "light fan bands: {band90} pixels");
    assert!(
        band50 > 20_000,
        "dark fan bands and histogram bars: {band50} pixels"
    );
    assert!(median > 2_000, "median lines: {median} pixels");
    let other = n - background;
    assert!(
        other > n / 4,
        "only {other} of {n} pixels differ from the background: is the page blank?"
    );
}

#[test]
fn run_with_report_writes_a_self_contained_page_with_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = reesim()
        .args(["run"])
        .arg(repo("scenarios/total-ban-12m-stockpile.toml"))
        .args(["--runs", "60", "--quiet", "--report", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("report.html"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    // Nothing but the page was added, and no temporary file is left.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest.json",
            "report.html",
            "runs.csv",
            "summary.csv",
            "timeseries.csv",
            "uncertainty.csv"
        ]
    );

    // The question and its inputs.
    assert!(html.contains("<h1>total-ban-12m-stockpile</h1>"));
    assert!(html.contains("The 12-month total ban, against a rest-of-world magnet stockpile"));
    assert!(html.contains("60 runs") && html.contains("seed 20250101"));
    assert!(html.contains("row_magnet_standard") && html.contains("total_ban"));
    assert!(
        html.contains("id=\"drivers\""),
        "top drivers from uncertainty.csv"
    );

    // Headline table with units, 90% intervals and thousands separators, matching summary.csv.
    let table = &html[html.find("<table id=\"headline\"").expect("headline table")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("90% interval") && table.contains("<td>t</td>"));
    let p50 = world_summary(&out, "unmet_demand_t", "p50");
    let p5 = world_summary(&out, "unmet_demand_t", "p5");
    let p95 = world_summary(&out, "unmet_demand_t", "p95");
    assert!(p50 >= 1000.0, "the check below wants a separator: {p50}");
    let f = reesim::report::format::num;
    assert!(
        table.contains(&format!(">{}<", f(p50))),
        "median {}",
        f(p50)
    );
    assert!(f(p50).contains(','));
    assert!(
        table.contains(&format!("{} \u{2013} {}", f(p5), f(p95))),
        "interval {} - {}",
        f(p5),
        f(p95)
    );
    let share = world_summary(&out, "unmet_share", "mean");
    assert!(table.contains(&reesim::report::format::pct(share)));

    // Every chart, by id, each with a <title>.
    let ids = svg_ids(&html);
    for id in [
        "fan-unmet-rest_of_world-total",
        "fan-unmet-rest_of_world-industrial",
        "fan-price-rest_of_world-magnet_standard",
        "fan-price-rest_of_world-magnet_high_temp",
        "fan-stockpile-row_magnet_standard",
        "fan-stockpile-row_magnet_high_temp",
        "hist-unmet_demand_t",
        "hist-unmet_share",
        "hist-shortfall_months",
        "hist-unmet_demand_t-region-rest_of_world",
        "convergence",
    ] {
        assert!(ids.iter().any(|i| i == id), "no chart `{id}` among {ids:?}");
    }
    let fans = ids.iter().filter(|i| i.starts_with("fan-unmet-")).count();
    assert!(fans >= 4, "unmet demand by sector: {fans} charts");
    assert!(ids.iter().filter(|i| i.starts_with("hist-")).count() >= 5);
    // Ids are unique (the clip paths depend on it).
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate chart ids");
    // Calendar axes, labelled yearly; the ban's months shaded; axis labels with units.
    assert!(html.contains(">2026-01</text>") && !html.contains(">2026-02</text>"));
    assert!(html.contains("total_ban in force"));
    assert!(html.contains(">t/month</text>") && html.contains("first-month price"));
    // No tool sections without their files.
    assert!(!html.contains("id=\"tornado") && !html.contains("id=\"compare\""));

    // Beside the directory: a file reesim did not write inside it would stop the next run.
    check_render(&out, &tmp.path().join("report.png"));

    // The next run into the directory replaces the whole set, report included.
    reesim()
        .args(["run"])
        .arg(repo("scenarios/total-ban-12m-stockpile.toml"))
        .args(["--runs", "5", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(
        !out.join("report.html").exists(),
        "a stale report survived new outputs"
    );
    reesim().arg("report").arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("5 runs"));
}

#[test]
fn sensitivity_and_compare_reports_have_their_chart_and_table() {
    let tmp = tempfile::tempdir().unwrap();
    let sens = tmp.path().join("sens");
    reesim()
        .arg("sensitivity")
        .arg(repo("scenarios/total-ban-12m-stockpile.toml"))
        .args(["--runs", "24", "--quiet", "--report", "--out"])
        .arg(&sens)
        .assert()
        .success();
    let html = std::fs::read_to_string(sens.join("report.html")).unwrap();
    assert_self_contained(&html);
    let ids = svg_ids(&html);
    assert!(
        ids.contains(&"tornado-unmet_demand_t".to_string()),
        "{ids:?}"
    );
    assert!(html.contains("<h1>sensitivity: total-ban-12m-stockpile</h1>"));
    // 24 runs are too few for PRCC with 164 inputs: Spearman, and the page says so.
    assert!(html.contains("Spearman rank correlation with the outcome"));

    let cmp = tmp.path().join("cmp");
    reesim()
        .arg("compare")
        .arg(repo("scenarios/total-ban-12m.toml"))
        .arg(repo("scenarios/total-ban-12m-stockpile.toml"))
        .args(["--runs", "12", "--quiet", "--report", "--out"])
        .arg(&cmp)
        .assert()
        .success();
    let html = std::fs::read_to_string(cmp.join("report.html")).unwrap();
    assert_self_contained(&html);
    let table = &html[html.find("<table id=\"compare\"").expect("compare table")..];
    assert!(
        table.contains("mean A: total-ban-12m<")
            && table.contains("mean B: total-ban-12m-stockpile<")
    );
    assert!(table.contains("Unmet demand <code>unmet_demand_t</code></td><td>world</td>"));
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn stockpile_curve_and_sweep_reports_from_their_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "manifest.json",
        r#"{"command": "size-stockpile", "scenario_files": ["s.toml"], "seed": 1,
            "runs_requested": 10, "target": "mean(unmet_demand_t) <= 500",
            "stockpile": "row_magnet_standard", "files": [{"name": "stockpile_curve.csv"}]}"#,
    );
    write(
        d,
        "stockpile_curve.csv",
        "size_t,size_days,statistic,ci95_low,ci95_high,meets_target,meets_target_ci95,chosen,chosen_point_estimate\n\
         0,0,14454,13528,15379,0,0,0,0\n\
         25000,180,900,700,1100,0,0,0,0\n\
         40000,270,450,380,520,1,0,0,1\n\
         51739,365,300,250,350,1,1,1,0\n",
    );
    reesim().arg("report").arg(d).assert().success();
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(svg_ids(&html).contains(&"stockpile-curve".to_string()));
    assert!(html.contains("answer: 51,739 t (365 days)"));
    assert!(html.contains("on the point estimate: 40,000 t"));
    assert!(html.contains("<code>mean(unmet_demand_t) &lt;= 500</code>"));

    let s = tmp.path().join("sweep");
    std::fs::create_dir(&s).unwrap();
    write(
        &s,
        "manifest.json",
        r#"{"command": "sweep", "scenario_files": ["s.toml"]}"#,
    );
    write(
        &s,
        "sweep.csv",
        "stockpiles.x.initial_days,metric,region,sector,item,n,mean,sd,mcse,p5,p25,p50,p75,p95,min,max\n\
         0,unmet_demand_t,,,,40,14746,3602,569,8153,12801,15213,16550,22068,7654,23412\n\
         0,unmet_share,,,,40,0.0083,0.002,0.0003,0.0047,0.0071,0.0085,0.0092,0.0127,0.0043,0.0133\n\
         60,unmet_demand_t,all,all,all,40,9000,3000,500,4000,7000,9100,11000,15000,3000,16000\n",
    );
    reesim().arg("report").arg(&s).assert().success();
    let html = std::fs::read_to_string(s.join("report.html")).unwrap();
    assert!(svg_ids(&html).contains(&"sweep-unmet".to_string()));
    assert!(
        html.contains("15,213 [8,153 \u{2013} 22,068]"),
        "sweep table"
    );
    assert!(
        html.contains("9,100 [4,000 \u{2013} 15,000]"),
        "`all` scopes are the world"
    );
}

#[test]
fn text_from_user_files_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "manifest.json",
        r#"{"command": "sensitivity", "scenario_files": ["a.toml"],
            "scenario": {"scenario": {"name": "<script>alert(1)</script>", "description": "x & \"y\" <b>"}}}"#,
    );
    write(
        d,
        "sensitivity.csv",
        "outcome,input,rank,spearman,prcc,note\nunmet_demand_t,<img src=x>,1,0.5,0.4,\n",
    );
    reesim().arg("report").arg(d).assert().success();
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("x &amp; &quot;y&quot; &lt;b&gt;"));
    assert!(html.contains("&lt;img src=x&gt;") || html.contains("&lt;img"));
}

#[test]
fn directories_it_cannot_report_on_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let refuse = |dir: &Path, want: &[&str], code: i32| {
        let out = reesim().arg("report").arg(dir).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(code), "{err}");
        for w in want {
            assert!(err.contains(w), "`{w}` not in: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert!(!dir.join("report.html").exists());
    };
    // No manifest.
    refuse(d, &["manifest.json", "reesim run"], 2);
    // Not JSON.
    write(d, "manifest.json", "{not json");
    refuse(d, &["manifest.json", "line 1", "not valid JSON"], 2);
    // A run's manifest without its data.
    write(
        d,
        "manifest.json",
        r#"{"runs": 3, "files": [{"name": "summary.csv"}]}"#,
    );
    refuse(d, &["summary.csv"], 2);
    write(d, "manifest.json", r#"{"runs": 3}"#);
    refuse(d, &["holds none of the files"], 2);
    write(
        d,
        "summary.csv",
        "metric,region,sector,item,n,mean,p5,p50,p95\nunmet_demand_t,,,,3,1,0,1,2\n",
    );
    refuse(d, &["timeseries.csv"], 2);
    write(
        d,
        "timeseries.csv",
        "month,date,series,region,item,destination,mean,p5,p25,p50,p75,p95\n0,2025-01,unmet,a,total,,1,1,1,1,1,1\n",
    );
    refuse(d, &["runs.csv"], 2);
    write(d, "runs.csv", "run,unmet_demand_t\n0,1\n1,2\n2,x\n");
    refuse(d, &["runs.csv", "line 4", "`x`"], 2);
    write(d, "runs.csv", "run,unmet_demand_t\n0,1\n1,2\n2,3\n");
    write(
        d,
        "summary.csv",
        "metric,region,sector,item,n,mean,p5,p50,p95\nunmet_demand_t,,,,3,1,0\n",
    );
    refuse(d, &["summary.csv", "line 2", "7 fields"], 2);
    // Repaired, it reports.
    write(
        d,
        "summary.csv",
        "metric,region,sector,item,n,mean,p5,p50,p95\nunmet_demand_t,,,,3,2,1,2,3\n",
    );
    reesim().arg("report").arg(d).assert().success();
    // A shard directory, and a path that is a file.
    let shard = tmp.path().join("shard");
    std::fs::create_dir(&shard).unwrap();
    write(
        &shard,
        "manifest.json",
        r#"{"files": [{"name": "histograms.bin"}]}"#,
    );
    refuse(&shard, &["shard", "reesim merge"], 2);
    refuse(&d.join("runs.csv"), &["not a directory"], 2);
    refuse(&d.join("nothing-here"), &["does not exist"], 2);
}
