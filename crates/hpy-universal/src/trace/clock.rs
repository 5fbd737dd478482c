//! The clock of trace mode: CLOCK_MONOTONIC in nanoseconds.
//!
//! glibc answers `clock_gettime(CLOCK_MONOTONIC)` in user space through the
//! kernel's vDSO (a read of the time-stamp counter and a multiply, no system
//! call) wherever the kernel's clock source allows it (the TSC on x86-64,
//! the generic timer on arm64), and it is monotonic and shared by all CPUs,
//! which a raw `rdtsc` is not guaranteed to be. Durations are kept in its
//! unit, nanoseconds.

/// Nanoseconds since an arbitrary point, never decreasing.
#[inline(always)]
pub fn now() -> u64 {
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

/// The clock's resolution in Hz (ticks per second): 10^9 / the resolution
/// that clock_getres reports in nanoseconds.
pub fn frequency() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: as in `now`.
    unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
    let resolution = (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64);
    1_000_000_000 / resolution.max(1)
}
