//! The clock of trace mode, read twice per traced call.
//!
//! Two sources, chosen once, when hpy.universal is imported:
//!
//! - `tsc`: on x86-64, when the kernel itself keeps time with the
//!   time-stamp counter (`/sys/devices/system/clocksource/clocksource0/
//!   current_clocksource` is `tsc`, which it only is for an invariant TSC
//!   that its checks found synchronised across CPUs), the counter is read
//!   with `rdtsc`: one instruction, measured at 14 ns where the vDSO's
//!   `clock_gettime` takes 35 ns (it reads the same counter, then scales it
//!   under a sequence lock). Ticks are turned into nanoseconds when the
//!   figures are read, with a frequency measured once against
//!   CLOCK_MONOTONIC, from hpy.universal's import to the first reading of
//!   the figures (at least 20 ms).
//! - `monotonic`: otherwise (or with `HPY_TRACE_CLOCK=monotonic`),
//!   `clock_gettime(CLOCK_MONOTONIC)`, through the vDSO, in nanoseconds.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Once, OnceLock};

/// Whether `now` reads the TSC (set once, by `init`).
static USE_TSC: AtomicBool = AtomicBool::new(false);
/// The TSC and CLOCK_MONOTONIC read together by `init`, for the frequency.
static ANCHOR_TICKS: AtomicU64 = AtomicU64::new(0);
static ANCHOR_NS: AtomicU64 = AtomicU64::new(0);
static INIT: Once = Once::new();

/// The shortest interval over which the TSC frequency is measured.
const MIN_CALIBRATION_NS: u64 = 20_000_000;

/// Chooses the source (once; before the first trace context is used).
pub fn init() {
    INIT.call_once(|| {
        let forced = std::env::var("HPY_TRACE_CLOCK").ok();
        let tsc = match forced.as_deref().map(str::trim) {
            Some("monotonic") => false,
            _ => kernel_uses_tsc(),
        };
        if tsc {
            ANCHOR_NS.store(monotonic_ns(), Relaxed);
            ANCHOR_TICKS.store(read_tsc(), Relaxed);
            USE_TSC.store(true, Relaxed);
        }
    });
}

/// The name of the source in use: "tsc" or "monotonic".
pub fn name() -> &'static str {
    if USE_TSC.load(Relaxed) {
        "tsc"
    } else {
        "monotonic"
    }
}

fn kernel_uses_tsc() -> bool {
    cfg!(target_arch = "x86_64")
        && std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )
        .is_ok_and(|s| s.trim() == "tsc")
}

/// The time in ticks of the source (`frequency` per second), never
/// decreasing on one thread.
#[inline(always)]
pub fn now() -> u64 {
    if USE_TSC.load(Relaxed) {
        read_tsc()
    } else {
        monotonic_ns()
    }
}

#[inline(always)]
fn read_tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: rdtsc exists on every x86-64 CPU, reads a counter and
        // touches no memory.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        monotonic_ns()
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
#[inline(always)]
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to; CLOCK_MONOTONIC always
    // exists on Linux, so the call cannot fail (ts stays zero if it did).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Ticks per second: the TSC's measured frequency, or for CLOCK_MONOTONIC
/// 10^9 / its resolution as clock_getres reports it (10^9 for 1 ns).
pub fn frequency() -> u64 {
    if USE_TSC.load(Relaxed) {
        let (ticks, ns) = since_anchor();
        let hz = u128::from(ticks) * 1_000_000_000 / u128::from(ns.max(1));
        return u64::try_from(hz).unwrap_or(u64::MAX);
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: as in `monotonic_ns`.
    unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
    let resolution = (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64);
    1_000_000_000 / resolution.max(1)
}

/// The calibration: (TSC ticks, nanoseconds) elapsed together, measured
/// once, the first time it is needed, from the anchor, over at least
/// MIN_CALIBRATION_NS (sleeping for the rest if that is sooner). Measured
/// once so that every reading converts with the same frequency (a figure
/// read twice gives the same nanoseconds).
fn since_anchor() -> (u64, u64) {
    static CALIBRATION: OnceLock<(u64, u64)> = OnceLock::new();
    *CALIBRATION.get_or_init(measure)
}

fn measure() -> (u64, u64) {
    let (ticks0, ns0) = (ANCHOR_TICKS.load(Relaxed), ANCHOR_NS.load(Relaxed));
    loop {
        let ticks = read_tsc();
        let ns = monotonic_ns();
        let elapsed = ns.saturating_sub(ns0);
        if elapsed >= MIN_CALIBRATION_NS {
            return (ticks.saturating_sub(ticks0), elapsed);
        }
        std::thread::sleep(std::time::Duration::from_nanos(
            MIN_CALIBRATION_NS - elapsed,
        ));
    }
}

/// A converter from ticks to nanoseconds, for a batch of figures read
/// together (one frequency for all of them).
pub struct ToNs {
    /// (ticks, ns) of the calibration, or None for a nanosecond clock.
    ratio: Option<(u64, u64)>,
}

impl ToNs {
    pub fn new() -> ToNs {
        ToNs {
            ratio: USE_TSC
                .load(Relaxed)
                .then(since_anchor)
                .map(|(ticks, ns)| (ticks.max(1), ns)),
        }
    }

    pub fn convert(&self, ticks: u64) -> u64 {
        match self.ratio {
            None => ticks,
            Some((per, ns)) => {
                let value = u128::from(ticks) * u128::from(ns) / u128::from(per);
                u64::try_from(value).unwrap_or(u64::MAX)
            }
        }
    }
}
