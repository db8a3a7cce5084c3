//! A workspace reused run after run allocates nothing on the heap once its tables have their
//! shapes (the engine's half of "no allocation in the month step"): counted per thread by a
//! counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use reesim::sim::run::{Workspace, simulate, simulate_into};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread's counter may be gone while it shuts down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Heap allocations of `runs` runs of `scenario` in one workspace after `warm` runs, and the
/// outputs (which must equal those of `simulate`).
fn allocations_after_warm_up(scenario: &str, warm: u64, runs: u64) -> u64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(scenario);
    let loaded = reesim::scenario::load(&path).expect("valid");
    let sc = &loaded.scenario;
    let mut ws = Workspace::new(sc);
    for run in 0..warm {
        simulate_into(&mut ws, sc.params.sample(1, run), 1, run);
    }
    // Parameter values are sampled outside the count (sim::params allocates them).
    let values: Vec<_> = (warm..warm + runs)
        .map(|r| sc.params.sample(1, r))
        .collect();
    let before = allocations();
    for (run, v) in (warm..).zip(values) {
        simulate_into(&mut ws, v, 1, run);
    }
    let n = allocations() - before;
    // The last run's output is the same as a fresh `simulate`.
    let last = warm + runs - 1;
    let fresh = simulate(sc, 1, last);
    let reused = simulate_into(&mut ws, sc.params.sample(1, last), 1, last);
    assert_eq!(
        format!("{:?}", fresh.records),
        format!("{:?}", reused.records)
    );
    n
}

#[test]
fn the_baseline_allocates_less_than_once_per_run_after_warm_up() {
    // Only buffers whose size varies from run to run (shipments in transit, capacity decided
    // by the market) may still grow now and then.
    let n = allocations_after_warm_up("baseline.toml", 30, 10);
    assert!(n < 10, "{n} allocations in 10 runs");
}

#[test]
fn a_ban_with_a_stockpile_allocates_less_than_once_per_run_month() {
    // Per run: the control's course (its key strings, suspensions and relaxations).
    let n = allocations_after_warm_up("total-ban-12m-stockpile.toml", 3, 10);
    assert!(n < 10 * 12, "{n} allocations in 10 runs");
}
