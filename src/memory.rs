//! Process-wide memory settings.

/// Turns transparent huge pages off for this process.
///
/// mimalloc (the global allocator) asks the kernel for huge pages on its arenas
/// (`madvise(MADV_HUGEPAGE)`), so the first write to each new 2 MiB of heap makes the kernel
/// zero a whole huge page inside that page fault: 5 to 8 ms on the project's VM, during which
/// the thread serves nothing. The simulator's heap grows with every transfer it keeps (and the
/// load engine's with its histograms), so under load these stalls came every 50 to 100 ms and
/// set the p99 of every request in flight: a withdraw load measured by wrk had 1 in 8,000
/// calls take 4.7 to 8 ms (`perf record`: `clear_page_erms` under
/// `do_huge_pmd_anonymous_page`) and a p99 of 4.3 to 4.9 ms. Base pages are zeroed 4 KiB at a
/// time, spread over the requests that use them. Best effort: an older kernel without the
/// option is left as it is.
pub fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes an integer flag and no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
